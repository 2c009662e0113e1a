"""Commands over violations: findings, confirm, dismiss, loan add, triage."""

from __future__ import annotations

import sys
from dataclasses import asdict, is_dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import click

from evidence import findings as core
from evidence.errors import UsageError
from evidence.records import FindingRecord
from evidence.store import Store
from locker.context import AppContext
from locker.options import json_option, pass_app
from locker.output import emit_json, iso_local, status


def finding_json(f: FindingRecord, store: Store) -> dict[str, Any]:
    return {
        "id": f.id,
        "key": f.key,
        "category": f.category,
        "rule": f.rule,
        "rule_version": f.rule_version,
        "at": iso_local(f.at, store.timezone),
        "numbers": list(f.numbers),
        "party": f.party,
        "events": list(f.events),
        "items": list(f.items),
        "explanation": f.explanation,
        "strength": f.strength,
        "level": f.level,
        "instruments": list(f.instruments),
        "status": f.status,
        "why": f.why,
    }


@click.command(name="findings")
@click.option("--category", type=click.IntRange(1, 10), help="Only this category (1–10).")
@click.option("--party", help="Only findings against this party.")
@json_option
@pass_app
def findings_cmd(app: AppContext, category: int | None, party: str | None, as_json: bool) -> None:
    """The violations found in the evidence, each with its explanation and the events behind it.

    \b
    Categories: 1 contacts harassed, 2 more than 3 calls a day, 3 outside 08:00–21:00,
    4 personal data disclosed, 5 threats or insults, 6 visits, 7 posing as police/courts,
    8 pushing new loans, 9 SMS or call bombing, 10 fees above the legal caps.

    \b
    Example:
      locker findings --category 3
    """
    store = app.store()
    rows = core.list_findings(store, core.FindingFilter(category=category, party=party))
    if as_json:
        emit_json([finding_json(f, store) for f in rows])
        return
    for f in rows:
        when = (iso_local(f.at, store.timezone) or "")[:16].replace("T", " ")
        mark = {"auto": "", "confirmed": " [confirmed]", "dismissed": " [dismissed]"}[f.status]
        click.echo(
            f"#{f.id}  category {f.category}  {when}  {f.party or _numbers(f.numbers)}  ({f.strength}){mark}"
        )
        click.echo(f"     {f.explanation}")
        click.echo(
            f"     events {', '.join(map(str, f.events[:12]))}{' …' if len(f.events) > 12 else ''}; "
            f"items {', '.join(map(str, f.items))}"
        )
    status(f"{len(rows)} findings")


def _numbers(numbers: tuple[str, ...], shown: int = 3) -> str:
    more = f" and {len(numbers) - shown} more" if len(numbers) > shown else ""
    return ", ".join(numbers[:shown]) + more


@click.command()
@click.argument("finding_id", type=int)
@pass_app
def confirm(app: AppContext, finding_id: int) -> None:
    """Confirm a finding (kept across re-runs; reports mark it confirmed).

    \b
    Example:
      locker confirm 4
    """
    core.decide(app.store(), finding_id, "confirmed")
    status(f"finding {finding_id} confirmed")


@click.command()
@click.argument("finding_id", type=int)
@click.option("--why", required=True, help="Why it is not a violation (kept with the evidence).")
@pass_app
def dismiss(app: AppContext, finding_id: int, why: str) -> None:
    """Dismiss a finding; it stays out of reports, and the reason is logged.

    \b
    Example:
      locker dismiss 7 --why "这是我自己约定的还款提醒时间"
    """
    core.decide(app.store(), finding_id, "dismissed", why)
    status(f"finding {finding_id} dismissed")


def _money(text: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", "").replace("，", ""))
    except InvalidOperation as e:
        raise UsageError(f"not an amount: {text!r}") from e
    if value < 0:
        raise UsageError("amounts are not negative")
    return value


def _schedule(parts: tuple[str, ...]) -> list[tuple[date, Decimal]]:
    out = []
    for part in parts:
        for entry in part.split(","):
            if not entry.strip():
                continue
            day, _, amount = entry.strip().partition("=")
            try:
                out.append((date.fromisoformat(day.strip()), _money(amount.strip())))
            except ValueError as e:
                raise UsageError(
                    f"a repayment is DATE=AMOUNT, e.g. 2026-07-01=1200 (got {entry.strip()!r})"
                ) from e
    if not out:
        raise UsageError("give the repayments with --schedule DATE=AMOUNT (repeatable or comma-separated)")
    return sorted(out)


@click.group()
def loan() -> None:
    """Loans as agreed, to check interest and fees against the legal caps (category 10).

    \b
    Example:
      locker loan add --party 好借花 --principal 5000 --received 3500 \\
        --start 2026-06-01 --schedule 2026-06-08=5000
    """


@loan.command(name="add")
@click.option("--party", required=True, help="The lender.")
@click.option("--principal", required=True, help="The amount on the contract (借款金额).")
@click.option("--received", required=True, help="What actually reached you (到账金额); less means 砍头息.")
@click.option("--start", required=True, help="Date the money arrived (2026-06-01).")
@click.option(
    "--schedule",
    multiple=True,
    required=True,
    help="Repayments as DATE=AMOUNT, repeatable or comma-separated.",
)
@click.option(
    "--lender-type",
    type=click.Choice(["bank", "consumer-finance", "microloan", "unlicensed", "individual"]),
    help="Which caps apply (4×LPR applies to private lending only).",
)
@json_option
@pass_app
def loan_add(
    app: AppContext,
    party: str,
    principal: str,
    received: str,
    start: str,
    schedule: tuple[str, ...],
    lender_type: str | None,
    as_json: bool,
) -> None:
    """Record a loan and show its effective annual rate against the caps.

    \b
    Example:
      locker loan add --party 好借花 --principal 5000 --received 3500 \\
        --start 2026-06-01 --schedule 2026-06-08=5000
    """
    store = app.store()
    try:
        start_day = date.fromisoformat(start)
    except ValueError as e:
        raise UsageError("--start is a date such as 2026-06-01") from e
    result = core.record_loan(
        store, party, _money(principal), _money(received), start_day, _schedule(schedule), lender_type
    )
    core.refresh(store)
    doc = _plain(result)
    if as_json:
        emit_json(doc)
    else:
        for k, v in doc.items():
            click.echo(f"{k:24} {v}")


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal | date):
        return str(value)
    return value


@click.command()
@click.option("--from", "sender", help="The number the message came from.")
@click.argument("text", required=False)
@json_option
def triage(sender: str | None, text: str | None, as_json: bool) -> None:
    """Is this message real? Judge one message about courts, mediation or arrest without adding it.

    Reads the text from stdin when it is not given. Needs no locker.

    \b
    Example:
      locker triage --from 12368 "【某某法院】您有一件诉前调解案件……"
    """
    from evidence.numbers import parse_number
    from evidence.triage import triage_message

    if text is None:
        text = sys.stdin.read()
    if not text.strip():
        raise UsageError("give the message text as an argument or on stdin")
    result = triage_message(text, parse_number(sender).canonical if sender else None)
    if as_json:
        emit_json(_plain(result))
        return
    click.echo(result.explanation)
    click.echo(f"  · {result.sender_note}")
    for _code, description in result.red_flags:
        click.echo(f"  ⚠ {description}")
    for line in result.advice:
        click.echo(f"  → {line}")


COMMANDS = [findings_cmd, confirm, dismiss, loan, triage]
