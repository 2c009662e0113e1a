"""The layering of DESIGN.md, enforced: interfaces (the click commands, the web page) are thin
adapters over the application layer; SQLAlchemy stays inside `evidence`; every closed set of
choices is spelled once."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from locker.app import vocabulary
from locker.cli import cli

ROOT = Path(__file__).resolve().parent.parent
# The interfaces: the click commands now, the local web page when it comes (issue 12).
INTERFACES = ("locker/commands", "locker/web")
# What an interface may import besides the standard library: the application layer (use cases,
# views, vocabulary), the CLI's own helpers, its sibling modules, and its framework.
INTERFACE_MAY_IMPORT = (
    "locker.app",
    "locker.context",
    "locker.options",
    "locker.output",
    "locker.commands",
    "locker.web",  # its sibling modules; and `serve`, the command that starts it
    "click",
)
# The web page's framework, for `locker/web` only (a click command has no use for it): the ASGI
# toolkit, its server and the templates. Nothing else third-party, so it still reaches the
# locker only through locker.app.
WEB_MAY_IMPORT = ("starlette", "uvicorn", "jinja2")
# Where SQLAlchemy may be imported: the core that owns the database, and its migrations.
SQLALCHEMY_HOMES = ("evidence", "migrations")
PRODUCT = ("locker", "evidence", "complaints", "scripts", "bench")
# A command parses, makes one application call and renders: a long body is logic in the wrong
# place. Statements are the measure (ast, docstring excluded); lines only a backstop, since the
# formatter spreads one call with keyword arguments over several lines.
MAX_STATEMENTS = 15
MAX_LINES = 20


def python_files(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every module an import names (at any depth, so a function-level import counts too)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _within(module: str, allowed: tuple[str, ...]) -> bool:
    return any(module == a or module.startswith(a + ".") for a in allowed)


def interface_violations(source: str, name: str) -> list[str]:
    out = []
    allowed = INTERFACE_MAY_IMPORT + (WEB_MAY_IMPORT if name.startswith("locker/web/") else ())
    for line, module in imported_modules(ast.parse(source)):
        top = module.split(".")[0]
        if top == "__future__" or top in sys.stdlib_module_names or _within(module, allowed):
            continue
        out.append(f"{name}:{line} imports {module}: go through locker.app")
    return out


def sqlalchemy_violations(source: str, name: str) -> list[str]:
    return [
        f"{name}:{line} imports {module}: give `evidence` the query instead"
        for line, module in imported_modules(ast.parse(source))
        if module.split(".")[0] == "sqlalchemy"
    ]


def body_size(fn: ast.FunctionDef) -> tuple[int, int]:
    """(statements, lines) of a function's body without its docstring."""
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    if not body:
        return 0, 0
    statements = sum(1 for b in body for n in ast.walk(b) if isinstance(n, ast.stmt))
    return statements, (body[-1].end_lineno or body[-1].lineno) - body[0].lineno + 1


def click_functions(tree: ast.AST) -> Iterator[ast.FunctionDef]:
    """Functions decorated as click commands or groups (`@click.command`, `@party.command`, ...)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for d in node.decorator_list:
                target = d.func if isinstance(d, ast.Call) else d
                if isinstance(target, ast.Attribute) and target.attr in ("command", "group"):
                    yield node
                    break


def long_commands(source: str, name: str) -> list[str]:
    out = []
    for fn in click_functions(ast.parse(source)):
        statements, lines = body_size(fn)
        if statements > MAX_STATEMENTS or lines > MAX_LINES:
            out.append(
                f"{name}: {fn.name} has {statements} statements on {lines} lines: move the work to locker.app"
            )
    return out


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_interfaces_import_only_the_application_layer() -> None:
    found = [v for p in python_files(*INTERFACES) for v in interface_violations(p.read_text(), _relative(p))]
    assert found == []


def test_sqlalchemy_only_in_evidence() -> None:
    outside = [p for p in python_files(*PRODUCT) if not _relative(p).startswith(SQLALCHEMY_HOMES)]
    found = [v for p in outside for v in sqlalchemy_violations(p.read_text(), _relative(p))]
    assert found == []


def test_commands_are_short() -> None:
    found = [v for p in python_files(*INTERFACES) for v in long_commands(p.read_text(), _relative(p))]
    assert found == []


def test_the_measure_sees_every_command() -> None:
    # The body-size check finds commands by their decorators: it must see all of them, or a
    # command written another way would escape it.
    seen = {
        fn.name for p in python_files("locker/commands") for fn in click_functions(ast.parse(p.read_text()))
    }

    def callbacks(command: click.Command) -> Iterator[str]:
        if command.callback is not None:
            yield command.callback.__name__
        if isinstance(command, click.Group):
            for sub in command.commands.values():
                yield from callbacks(sub)

    registered = {name for c in cli.commands.values() for name in callbacks(c)}
    assert registered <= seen


def test_the_application_layer_neither_prints_nor_prompts() -> None:
    found = []
    for p in python_files("locker/app"):
        tree = ast.parse(p.read_text())
        for line, module in imported_modules(tree):
            if _within(
                module, ("click", "locker.context", "locker.options", "locker.output", "locker.commands")
            ):
                found.append(f"{_relative(p)}:{line} imports {module}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("print", "input")
            ):
                found.append(f"{_relative(p)}:{node.lineno} calls {node.func.id}")
    assert found == []


# --- the checks catch what they are for -------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "from evidence.store import open_store\n",
        "import complaints.bundle\n",
        "def f():\n    from evidence import findings\n",
        "import sqlalchemy\n",
    ],
)
def test_an_interface_reaching_past_the_application_layer_is_caught(source: str) -> None:
    assert interface_violations(source, "x.py")


def test_the_web_framework_is_for_the_web_page_only() -> None:
    assert not interface_violations("from starlette.routing import Route\n", "locker/web/pages.py")
    assert interface_violations("from starlette.routing import Route\n", "locker/commands/x.py")
    assert interface_violations("from evidence.store import open_store\n", "locker/web/pages.py")


def test_sqlalchemy_outside_evidence_is_caught() -> None:
    assert sqlalchemy_violations("from sqlalchemy import select\n", "x.py")
    assert not sqlalchemy_violations("from evidence import items\n", "x.py")


def test_a_long_command_is_caught() -> None:
    body = "".join(f"    x{n} = {n}\n" for n in range(MAX_STATEMENTS + 1))
    source = f'@click.command()\ndef c():\n    """Help."""\n{body}'
    assert long_commands(source, "x.py")
    assert not long_commands('@click.command()\ndef c():\n    """Help."""\n    x = 1\n', "x.py")


# --- one definition of each closed set ---------------------------------------------------------

REGISTRIES = {
    "EVENT_KINDS": vocabulary.EVENT_KINDS,
    "CALL_STATUSES": vocabulary.CALL_STATUSES,
    "DIRECTIONS": vocabulary.DIRECTIONS,
    "DECLARABLE": vocabulary.DECLARABLE,
    "FINDING_STATUSES": vocabulary.FINDING_STATUSES,
    "CHANNELS": vocabulary.CHANNELS,
    "LENDER_TYPES": tuple(vocabulary.LENDER_TYPES),
}


def _literal_sets(tree: ast.AST) -> Iterator[tuple[int, frozenset[str]]]:
    """Tuples, lists and sets written out of string constants only. (Tables keyed by the codes,
    such as the Chinese names of event kinds, are naming, not a second definition.)"""
    for node in ast.walk(tree):
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            strings = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(strings) > 1 and len(strings) == len(node.elts):
                yield node.lineno, frozenset(strings)


@pytest.mark.parametrize("name", sorted(REGISTRIES))
def test_each_choice_is_spelled_once(name: str) -> None:
    wanted = frozenset(REGISTRIES[name])
    spelled = [
        f"{_relative(p)}:{line}"
        for p in python_files("locker", "evidence", "complaints")
        for line, values in _literal_sets(ast.parse(p.read_text()))
        if values == wanted
    ]
    # At most one: the registry itself (LENDER_TYPES is a table of codes to names, not a tuple).
    assert len(spelled) <= 1, f"{name} is spelled out at {spelled}: use the registry"


def _choices(path: str, option: str) -> list[str]:
    command: click.Command = cli
    for part in path.split():
        assert isinstance(command, click.Group)
        command = command.commands[part]
    param = next(p for p in command.params if p.name == option)
    assert isinstance(param.type, click.Choice)
    return list(param.type.choices)


@pytest.mark.parametrize(
    ("command", "option", "registry"),
    [
        ("events", "kind", vocabulary.EVENT_KINDS),
        ("log", "kind", vocabulary.DECLARABLE),
        ("log", "direction", vocabulary.DIRECTIONS),
        ("log", "status", vocabulary.CALL_STATUSES),
        ("party set", "lender_type", tuple(vocabulary.LENDER_TYPES)),
        ("loan add", "lender_type", tuple(vocabulary.LENDER_TYPES)),
        ("report", "channel", vocabulary.CHANNELS),
        ("config set", "key", vocabulary.SETTING_KEYS),
    ],
)
def test_the_cli_choices_come_from_the_registries(
    command: str, option: str, registry: tuple[str, ...]
) -> None:
    assert _choices(command, option) == list(registry)


def test_the_category_range_comes_from_the_registry() -> None:
    param = next(p for p in cli.commands["findings"].params if p.name == "category")
    assert isinstance(param.type, click.IntRange)
    assert (param.type.min, param.type.max) == (min(vocabulary.CATEGORIES), max(vocabulary.CATEGORIES))
