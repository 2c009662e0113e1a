"""Click pieces every command module shares: the context decorator, --json, -o FILE, and the
parameter types that keep out-of-range input a usage error (exit 2) rather than a crash."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click

from evidence.events import FIRST_YEAR, LAST_YEAR
from locker.context import AppContext

pass_app = click.make_pass_decorator(AppContext)
json_option = click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")

# Ids are SQLite integers: anything outside 64 bits would overflow in the database driver.
ID_MAX = 2**63 - 1
# Dates a user gives (loan dates, --since, --at): wider than any debt-collection case, narrow
# enough that converting between timezones can never overflow (datetime stops at years 1 and 9999).
# No loan in this program's world comes near a trillion yuan; bigger numbers are typos or attacks.
AMOUNT_MAX = Decimal(10) ** 12


def output_option(what: str) -> Any:
    return click.option(
        "-o",
        "--output",
        "out",
        required=True,
        type=click.Path(path_type=Path, dir_okay=False),
        help=f"Where to write {what}.",
    )


class IdType(click.ParamType):
    """An item, event or finding id: a whole number from 1 to 2**63 - 1."""

    name = "id"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = int(str(value).strip(), 10)
            except ValueError:  # also for thousands of digits (Python's int-size guard)
                self.fail("an id is a whole number such as 3 (`locker ls` and `locker findings` show them)")
        if not 1 <= number <= ID_MAX:
            self.fail(f"ids run from 1 to {ID_MAX}")
        return number


class NonNegativeFloat(click.ParamType):
    """A finite number ≥ 0 (click.FloatRange lets nan through, and float() takes inf)."""

    def __init__(self, name: str = "number") -> None:
        self.name = name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"not a number: {value!r}")
        if not math.isfinite(number) or number < 0:
            self.fail(f"must be a finite number of at least 0, not {value!r}")
        return number


def parse_amount(text: str) -> Decimal:
    """A money amount: 5000, 5,000 or 3500.50; finite, not negative, under a trillion.

    Raises ValueError with a message fit for the user.
    """
    try:
        value = Decimal(text.strip().replace(",", "").replace("，", ""))
    except InvalidOperation as e:
        raise ValueError(f"not an amount: {text!r}") from e
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    if value < 0:
        raise ValueError("amounts are not negative")
    if value >= AMOUNT_MAX:
        raise ValueError(f"not a plausible amount: {text!r}")
    return value


def parse_day(text: str) -> date:
    """A calendar date such as 2026-06-01, within the years a user may name. Raises ValueError."""
    day = date.fromisoformat(text.strip())
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"dates run from {FIRST_YEAR} to {LAST_YEAR}")
    return day


class AmountType(click.ParamType):
    """A money amount as a Decimal (see `parse_amount`)."""

    name = "amount"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            return value
        try:
            return parse_amount(str(value))
        except ValueError as e:
            self.fail(str(e))


class DayType(click.ParamType):
    """A calendar date (see `parse_day`)."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return parse_day(str(value))
        except ValueError:
            self.fail(f"{value!r} is not a date such as 2026-06-01 (from {FIRST_YEAR} to {LAST_YEAR})")


ID = IdType()
DURATION = NonNegativeFloat("seconds")
AMOUNT = AmountType()
DAY = DayType()
