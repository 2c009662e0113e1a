"""Is this message real? One message about courts, mediation or arrest, judged without adding it.

The judgement is deliberately modest: it names what the message claims, what kind of number
sent it, which red flags it carries, and how to check with the court itself. It never says
a message is certainly genuine: only the court can say that.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from evidence.numbers import parse_number
from evidence.resources import template_path

VERDICTS = ("likely_genuine", "suspicious", "likely_fake", "not_legal")


@dataclass(frozen=True)
class TriageResult:
    claims_legal_process: bool
    claims: list[str]
    sender: str | None
    sender_class: str
    sender_official: bool
    red_flags: list[tuple[str, str]]
    verdict: str
    explanation: str
    sender_note: str
    advice: list[str] = field(default_factory=list)


@cache
def _texts() -> dict[str, Any]:
    with template_path("triage", "triage.toml").open("rb") as f:
        return tomllib.load(f)


def triage_message(text: str, sender: str | None) -> TriageResult:
    t = _texts()
    flat = " ".join(text.split())
    claims = [name for name, pattern in t["claims"].items() if re.search(pattern, flat)]
    flags = [(rf["code"], rf["text"]) for rf in t["red_flag"] if re.search(rf["pattern"], flat)]
    number = parse_number(sender) if sender else None
    sender_class = number.number_class if number else "none"
    official = sender_class == "court"
    if not claims:
        verdict = "not_legal"
    elif official and not flags:
        verdict = "likely_genuine"
    elif flags and (
        not official or any(code in ("deposit", "transfer", "personal_wechat") for code, _ in flags)
    ):
        verdict = "likely_fake"
    else:
        verdict = "suspicious"
    claim_names = "、".join(t["claim_names"][c] for c in claims)
    explanation = t["verdict"][verdict]
    if claims:
        explanation = f"声称涉及：{claim_names}。" + explanation
    return TriageResult(
        claims_legal_process=bool(claims),
        claims=claims,
        sender=number.canonical if number else None,
        sender_class=sender_class,
        sender_official=official,
        red_flags=flags,
        verdict=verdict,
        explanation=explanation,
        sender_note=t["sender"].get(sender_class, t["sender"]["unknown"]),
        advice=list(t["advice"]["steps"]) if claims else [],
    )
