"""Findings: run the rules over the stored events and keep the user's decisions (filled in by issue 4)."""

from __future__ import annotations

from evidence.store import Store


def refresh(store: Store) -> None:
    """Re-run the rules after new evidence (a no-op until the rules land)."""
