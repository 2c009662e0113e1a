"""Work out what the text judgement needs of each pattern (its gate, how its matches start) and
write it to templates/rules/judgement/derived.json, so that loading the judgement does not.

Every `locker` command that judges a text loads the judgement; working out the gates of every
cue takes seconds. The file is keyed by a hash of each pattern's text (and of
evidence.rules.texts.DERIVATION_VERSION), so a pattern edited since is worked out at load time
as before: the file only ever saves time, it never changes a judgement. Re-run this after
editing the judgement's TOML files (tests/test_judgement.py checks the file is current).

    .venv/bin/python scripts/derive_judgement.py            # rewrite the file
    .venv/bin/python scripts/derive_judgement.py --check    # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: import the checkout's packages
    sys.path.insert(0, str(ROOT))

from evidence.resources import template_path  # noqa: E402
from evidence.rules.texts import DERIVED_FILE, Derivation, read_judgement  # noqa: E402


def build(folder: Path | None = None) -> str:
    """The file's text: every pattern of the folder's judgement, worked out afresh."""
    derived = Derivation()
    read_judgement(folder or template_path("rules", "judgement"), derived)
    return derived.to_json()


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if the file differs from a fresh build")
    a = ap.parse_args(argv)
    out = template_path("rules", "judgement") / DERIVED_FILE
    built = build()
    if a.check:
        same = out.is_file() and out.read_text(encoding="utf-8") == built
        print(f"{out}: {'up to date' if same else 'stale: re-run scripts/derive_judgement.py'}")
        return 0 if same else 1
    out.write_text(built, encoding="utf-8")
    print(f"wrote {out} ({len(built.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
