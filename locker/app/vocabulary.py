"""The closed sets a person chooses from, each defined once in the core; interfaces build their
choices (click.Choice, a web form's options) from these and never spell them again."""

from __future__ import annotations

from complaints.channels import CHANNELS, category_names, channel
from evidence.config import KEYS as SETTINGS
from evidence.declarations import DECLARABLE
from evidence.findings import STATUSES as FINDING_STATUSES
from evidence.parties import LENDER_TYPES
from evidence.records import CALL_STATUSES, CATEGORIES, DIRECTIONS, EVENT_KINDS
from evidence.store import DEFAULT_TIMEZONE

SETTING_KEYS = tuple(sorted(SETTINGS))


def channel_name(channel_id: str) -> str:
    """The authority's Chinese name, as the complaint prints it."""
    return channel(channel_id).name


__all__ = [
    "CALL_STATUSES",
    "CATEGORIES",
    "CHANNELS",
    "DECLARABLE",
    "DEFAULT_TIMEZONE",
    "DIRECTIONS",
    "EVENT_KINDS",
    "FINDING_STATUSES",
    "LENDER_TYPES",
    "SETTINGS",
    "SETTING_KEYS",
    "category_names",
    "channel_name",
]
