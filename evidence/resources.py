"""Finds the data folders (`templates/`, `migrations/`) in a checkout and in an installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    """Return the folder `name` ("templates" or "migrations").

    A built wheel carries them under `evidence/_data/` (hatchling force-include); a checkout
    or editable install has them at the repository root beside the packages.
    """
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the {name}/ folder is missing from this installation; reinstall locker")


def template_path(*parts: str) -> Path:
    """Path of a file under templates/, e.g. template_path("rules", "catalog.toml")."""
    return resource_dir("templates").joinpath(*parts)
