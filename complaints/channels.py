"""The authorities a complaint can go to: who each is for, what it needs, how to submit."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from evidence.errors import UsageError
from evidence.resources import resource_dir

CHANNELS = ("12321", "12315", "nifa", "police", "12378")
PROFILE_LABELS = {"name": "姓名", "id_number": "身份证号", "phone": "联系电话", "address": "地址"}


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    form: str  # 投诉, 举报 or 报案
    title: str
    addressee: str
    who_for: str
    required: tuple[str, ...]
    submit: tuple[str, ...]
    requests: tuple[str, ...]
    per_number: bool


@cache
def channel(channel_id: str) -> Channel:
    if channel_id not in CHANNELS:
        raise UsageError(f"unknown channel {channel_id!r}: one of {', '.join(CHANNELS)}")
    with (resource_dir("templates") / "channels" / f"{channel_id}.toml").open("rb") as f:
        raw = tomllib.load(f)
    return Channel(
        raw["id"],
        raw["name"],
        raw["form"],
        raw["title"],
        raw["addressee"],
        raw["who_for"],
        tuple(raw["required"]),
        tuple(raw["submit"]),
        tuple(raw["requests"]),
        raw["per_number"],
    )


@cache
def category_names() -> dict[int, str]:
    with (resource_dir("templates") / "letters" / "categories.toml").open("rb") as f:
        return {int(k): v for k, v in tomllib.load(f).items()}
