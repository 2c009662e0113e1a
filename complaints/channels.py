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
    # What the authority needs to know of the respondent (keys of parties.IDENTITY_FIELDS): a
    # 12315 举报 names an identified 经营者, NIFA the institution's name and address.
    respondent_required: tuple[str, ...] = ()
    # The kinds of lender it takes (keys of parties.LENDER_TYPES; empty: any), and where a
    # complaint about another kind goes instead.
    lender_types: tuple[str, ...] = ()
    otherwise: str = ""
    statement: str = ""  # a truthfulness statement above the signature, where the form has one
    sign: str = ""  # the signature line's label; "" for the form's own (投诉人（签名）)

    @property
    def complainant_label(self) -> str:
        return f"{self.form}人"  # 投诉人, 举报人, 报案人

    @property
    def respondent_label(self) -> str:
        return "被报案人" if self.form == "报案" else f"被{self.form}方"


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
        tuple(raw.get("respondent_required", ())),
        tuple(raw.get("lender_types", ())),
        raw.get("otherwise", ""),
        raw.get("statement", ""),
        raw.get("sign", ""),
    )


@cache
def category_names() -> dict[int, str]:
    with (resource_dir("templates") / "letters" / "categories.toml").open("rb") as f:
        return {int(k): v for k, v in tomllib.load(f).items()}
