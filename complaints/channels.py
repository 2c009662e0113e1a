"""The authorities a complaint can go to: who each is for, what it needs, how to submit."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
    # The filing's numbered parts, in the authority's order: (heading, part). A part is a block of
    # templates/letters/<id>.txt.j2 (its matter, the facts, the loan background, the harm done)
    # or one the renderer builds: "tally" (the counts), "basis" (the instruments), "requests".
    sections: tuple[tuple[str, str], ...] = ()
    # Instruments (catalog keys) this authority's own frame adds to a category's basis: 12315
    # judges a 经营者 by consumer law, NIFA by its own self-regulation.
    grounds: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    # Requests made only when the filing's findings show the categories they rest on.
    requests_if: tuple[tuple[tuple[int, ...], str], ...] = ()
    closing_request: str = ""  # the last request: to be told the outcome
    attachments: tuple[str, ...] = ()  # the 附件 list; {items} is the evidence list's length
    expect: tuple[str, ...] = ()  # what happens after filing, and its time limits (the cover sheet)
    label: str = ""  # how the respondent row is labelled; "" for 被投诉方/被举报方/被报案人
    # For the police: who is reported is not known by name; the respondent is the institution.
    respondent_text: str = ""  # {brand}: the name the borrower knows

    @property
    def complainant_label(self) -> str:
        return f"{self.form}人"  # 投诉人, 举报人, 报案人

    @property
    def respondent_label(self) -> str:
        if self.label:
            return self.label
        return "被报案人" if self.form == "报案" else f"被{self.form}方"

    def requests_for(self, categories: Iterable[int]) -> tuple[str, ...]:
        """The requests this filing makes: the channel's own, then those its findings support."""
        shown = set(categories)
        made = self.requests + tuple(text for cats, text in self.requests_if if shown & set(cats))
        return made + ((self.closing_request,) if self.closing_request else ())


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
        tuple((heading, part) for heading, part in raw["sections"]),
        {int(k): tuple(v) for k, v in raw.get("grounds", {}).items()},
        tuple((tuple(r["categories"]), r["text"]) for r in raw.get("request_if", ())),
        raw.get("closing_request", ""),
        tuple(raw.get("attachments", ())),
        tuple(raw.get("expect", ())),
        raw.get("label", ""),
        raw.get("respondent_text", ""),
    )


@cache
def category_names() -> dict[int, str]:
    with (resource_dir("templates") / "letters" / "categories.toml").open("rb") as f:
        return {int(k): v for k, v in tomllib.load(f).items()}
