"""Click pieces every command module shares: the context decorator, --json, and -o FILE."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from locker.context import AppContext

pass_app = click.make_pass_decorator(AppContext)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")


def output_option(what: str) -> Any:
    return click.option(
        "-o",
        "--output",
        "out",
        required=True,
        type=click.Path(path_type=Path, dir_okay=False),
        help=f"Where to write {what}.",
    )
