# Two commands matter: `make demo` and `make test`. Everything else is a step they use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SHARED ?= ../shared

.PHONY: install demo test lint typecheck bench acceptance clean

$(BIN)/locker: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,ocr]'
	@touch $@

install: $(BIN)/locker  ## .venv with the `locker` command

demo: install  ## the main job end to end on a throwaway locker with the bundled demo case
	@SHARED=$(SHARED) bash scripts/demo.sh

test: install lint typecheck  ## lint, types, and the whole test suite
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

bench: install  ## benchmarks: ratios against the physical limits named in the issues
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

acceptance: install
	$(BIN)/python $(SHARED)/acceptance/check.py --locker $(BIN)/locker

clean:
	rm -rf $(VENV) dist build .pytest_cache .mypy_cache .ruff_cache .hypothesis
