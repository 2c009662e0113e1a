"""Loan maths for category 10: the effective annual rate of what was actually paid, and the LPR table.

The rate is the internal rate of return of the real cash flows — what reached the borrower
(not the contract principal) against each repayment on its date — annualised as
(1 + r)^(365/days) - 1 (the "IRR method" Chinese disclosure rules use for 年化利率). An
up-front deduction (砍头息) therefore raises the rate, as it should.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

from evidence.errors import UsageError
from evidence.resources import template_path


@dataclass(frozen=True)
class LoanRecord:
    party: str
    principal: Decimal
    received: Decimal
    start: date
    schedule: tuple[tuple[date, Decimal], ...]
    lender_type: str | None = None  # bank, consumer-finance, microloan, unlicensed, individual


@dataclass(frozen=True, order=True)
class LprRow:
    start: date
    rate: Decimal  # percent, e.g. 3.00
    mark: str


def _npv(rate: float, flows: list[tuple[float, float]]) -> float:
    return sum(amount / (1.0 + rate) ** (days / 365.0) for days, amount in flows)


def effective_annual_rate(loan: LoanRecord) -> float:
    """Annual IRR of the cash flows, by bisection: the borrower's NPV (money in first, repayments
    later, discounted) rises with the rate, and the IRR is where it crosses zero."""
    if loan.received <= 0:
        raise UsageError("the amount received must be more than zero")
    flows = [(0.0, float(loan.received))]
    flows += [(float((d - loan.start).days), -float(a)) for d, a in loan.schedule]
    if any(days < 0 for days, _ in flows):
        raise UsageError("a repayment is dated before the loan started")
    if sum(a for _, a in flows) >= 0:
        return 0.0 if sum(a for _, a in flows) == 0 else -1.0 + 1e-9  # repaid no more than received
    low, high = -0.999999, 1.0
    while _npv(high, flows) < 0 and high < 1e12:
        high *= 10
    for _ in range(200):
        mid = (low + high) / 2
        if _npv(mid, flows) > 0:
            high = mid
        else:
            low = mid
    return (low + high) / 2


@cache
def lpr_table() -> tuple[LprRow, ...]:
    with template_path("lpr.toml").open("rb") as f:
        rows = tomllib.load(f)["lpr"]
    table = tuple(sorted(LprRow(date.fromisoformat(r["from"]), Decimal(r["rate"]), r["mark"]) for r in rows))
    return table


def lpr_on(d: date) -> LprRow | None:
    """The one-year LPR in force on `d` (None before the series began)."""
    found = None
    for row in lpr_table():
        if row.start <= d:
            found = row
    return found
