"""Events and findings a page at a time, and their counts from the database (issue 12: the web
page at 100,000 events): the same answers as reading everything, without reading everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy

from evidence import events, finding_pages, findings, intake
from evidence.store import Store, init_store
from tests.conftest import FAST_LOG_N, PASSPHRASE

THREATS = (
    "王五，再不还钱，小心你的腿，出门注意点。第{n}次提醒",
    "王五，我们知道你家住哪里，不还钱后果自负，别怪我们不客气。编号{n}",
    "王五，你的通讯录我们已经导出，明天开始挨个打电话给你的家人和同事。编号{n}",
)


def sbr_export(path: Path, times: list[datetime], numbers: tuple[str, ...] = ("17155550001",)) -> Path:
    """An SMS Backup & Restore export: one received collection message at each time."""
    rows = []
    for n, at in enumerate(times):
        millis = int(at.timestamp() * 1000)
        text = THREATS[n % len(THREATS)].format(n=n)
        number = numbers[n % len(numbers)]
        rows.append(
            f'<sms protocol="0" address="{number}" date="{millis}" type="1" body="{text}" read="1" '
            'status="-1" contact_name="(Unknown)" />'
        )
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
        f'<smses count="{len(rows)}">\n' + "\n".join(rows) + "\n</smses>\n",
        encoding="utf-8",
    )
    return path


def filled(tmp_path: Path, times: list[datetime], timezone: str = "Asia/Shanghai") -> Store:
    store, _ = init_store(tmp_path / "locker", PASSPHRASE, FAST_LOG_N, timezone)
    batch = intake.add_paths(store, [sbr_export(tmp_path / "sms.xml", times)])
    assert not batch.failures and batch.added[0].events == len(times)
    findings.refresh(store)
    return store


def every(start: datetime, step: timedelta, count: int) -> list[datetime]:
    return [start + step * k for k in range(count)]


@pytest.mark.parametrize(
    ("timezone", "start"),
    [
        ("Asia/Shanghai", datetime(2026, 8, 11, 15, 0, tzinfo=UTC)),  # 23:00 local: days turn at 16:00 UTC
        ("America/New_York", datetime(2026, 3, 6, 0, 0, tzinfo=UTC)),  # across the spring change
        ("America/New_York", datetime(2026, 10, 30, 0, 0, tzinfo=UTC)),  # across the autumn change
        ("Asia/Kathmandu", datetime(2026, 8, 11, 17, 0, tzinfo=UTC)),  # +05:45
    ],
)
def test_counts_per_day_from_the_database_are_those_of_the_events(
    tmp_path: Path, timezone: str, start: datetime
) -> None:
    store = filled(tmp_path, every(start, timedelta(minutes=37), 400), timezone)
    expected = events.per_day(events.list_events(store), store)
    assert events.day_counts(store) == expected
    assert events.DayCounter().counts(store) == expected
    store.close()


def test_offset_spans_split_where_the_zone_changes() -> None:
    tz = ZoneInfo("America/New_York")
    spans = events.offset_spans(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC), tz)
    assert [m for _, _, m in spans] == [-300, -240, -300]
    assert spans[1][0] == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 02:00 EST
    assert spans[1][1] == datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # 02:00 EDT
    shanghai = ZoneInfo("Asia/Shanghai")
    assert events.offset_spans(
        datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC), shanghai
    ) == [(None, None, 480)]


def test_the_day_counter_counts_only_what_was_added_and_starts_over_when_the_total_disagrees(
    tmp_path: Path,
) -> None:
    start = datetime(2026, 8, 11, 1, 0, tzinfo=UTC)
    store = filled(tmp_path, every(start, timedelta(hours=5), 30))
    counter = events.DayCounter()
    assert counter.counts(store) == events.day_counts(store)
    more = every(start + timedelta(days=20), timedelta(hours=3), 10)
    intake.add_paths(store, [sbr_export(tmp_path / "more.xml", more, ("17155550002",))])
    assert sum(sum(c.values()) for _, c in counter.counts(store)) == 40
    assert counter.counts(store) == events.day_counts(store)
    # A count that no longer adds up (a database put back from a copy) is counted again whole.
    counter._total += 1
    assert counter.counts(store) == events.day_counts(store)
    store.close()


def test_a_page_of_events_is_that_stretch_of_the_whole_listing(tmp_path: Path) -> None:
    store = filled(tmp_path, every(datetime(2026, 8, 11, tzinfo=UTC), timedelta(minutes=3), 250))
    day = events.EventFilter(
        since=datetime(2026, 8, 11, 8, tzinfo=UTC), until=datetime(2026, 8, 11, 20, tzinfo=UTC)
    )
    whole = events.list_events(store, day)
    page, total = events.events_page(store, day, 100, 50)
    assert total == len(whole) and [e.id for e in page] == [e.id for e in whole[100:150]]
    store.close()


def test_findings_a_page_at_a_time_with_their_counts(tmp_path: Path) -> None:
    store = filled(tmp_path, every(datetime(2026, 8, 11, 2, tzinfo=UTC), timedelta(minutes=11), 300))
    listed = findings.list_findings(store)
    counts = finding_pages.finding_counts(store)
    by_category = {c.category: c for c in counts}
    for category in {f.category for f in listed}:
        mine = [f for f in listed if f.category == category]
        assert by_category[category].findings == len(mine)
        assert by_category[category].auto == sum(1 for f in mine if f.status == "auto")
    biggest = max(counts, key=lambda c: c.findings)
    assert biggest.findings > 120  # so that it has pages
    mine = sorted((f for f in listed if f.category == biggest.category), key=lambda f: (f.at, f.id))
    page, total = finding_pages.findings_page(store, biggest.category, 100, 100, evidence=2)
    assert total == biggest.findings
    assert [f.id for f in page] == [f.id for f in mine[100:200]]
    first = page[0]
    assert first.events == len(mine[100].events)
    assert [e.id for e in first.evidence] == list(mine[100].events[:2])
    # A decision moves the counts.
    findings.decide(store, first.id, "dismissed", "我自己的号码")
    after = {c.category: c for c in finding_pages.finding_counts(store)}[biggest.category]
    assert (after.findings, after.dismissed, after.auto) == (biggest.findings, 1, biggest.auto - 1)
    store.close()


def test_no_page_query_reads_a_whole_table(tmp_path: Path) -> None:
    """What keeps the pages quick at 100,000 events: every query they make is answered from an
    index (a SCAN of a table would read every message text and every finding's explanation)."""
    store = filled(tmp_path, every(datetime(2026, 8, 11, 2, tzinfo=UTC), timedelta(minutes=11), 60))
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    sqlalchemy.event.listen(store.engine, "before_cursor_execute", record)
    category = finding_pages.finding_counts(store)[0].category
    finding_pages.findings_page(store, category, 10, 20, evidence=3)
    events.DayCounter().counts(store)
    day = events.EventFilter(since=datetime(2026, 8, 11, tzinfo=UTC), until=datetime(2026, 8, 12, tzinfo=UTC))
    events.events_page(store, day, 5, 10)
    sqlalchemy.event.remove(store.engine, "before_cursor_execute", record)
    assert len(seen) >= 8
    with store.engine.connect() as conn:
        for statement, parameters in seen:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            steps = [str(row[-1]) for row in plan]
            whole = [
                s
                for s in steps
                if s.split()[:2] in (["SCAN", "events"], ["SCAN", "findings"]) and "INDEX" not in s
            ]
            assert not whole, (statement, plan)
    store.close()
