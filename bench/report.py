"""Benchmark: one complaint PDF over 10,000 events and 500 findings (goal ≤ 10 s).

.venv/bin/python bench/report.py [--events 10000] [--findings 500]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from complaints.assembly import CaseFile, Profile, assemble_complaint
from complaints.render import render_complaint_pdf
from evidence.records import EventRecord, FindingRecord, ItemRecord, PartyRecord


def synthetic(n_events: int, n_findings: int) -> CaseFile:
    start = datetime(2026, 8, 1, tzinfo=UTC)
    party = PartyRecord("好借花", ("17155550001", "17155550002"))
    items = [
        ItemRecord(i, f"sms-{i}.xml", "export", 1000 + i, f"{i:064x}", start, None, None)
        for i in range(1, 21)
    ]
    events = [
        EventRecord(
            i,
            1 + i % 20,
            "sms" if i % 3 else "call",
            "in",
            party.numbers[i % 2],
            "virtual",
            None,
            start + timedelta(minutes=7 * i),
            30.0 if i % 3 == 0 else None,
            "answered" if i % 3 == 0 else None,
            None
            if i % 3 == 0
            else f"【好借花】第{i}条：您的账单已逾期，请今日内还款，否则将联系您的家人和同事。",
            party="好借花",
        )
        for i in range(1, n_events + 1)
    ]
    findings = [
        FindingRecord(
            i,
            f"{i:064x}",
            1 + i % 9,
            "text-threat",
            1,
            events[i * 10 % n_events].at,
            (party.numbers[i % 2],),
            "好借花",
            tuple(range(i * 10 % n_events + 1, i * 10 % n_events + 21)),
            (1 + i % 20,),
            f"第{i}项：催收短信含有威胁内容“……”。",
            "strong",
            "auto",
            instruments=("《中华人民共和国民法典》第一千零三十三条（私人生活安宁）",),
        )
        for i in range(1, n_findings + 1)
    ]
    profile = Profile("王五", "440305199202021234", "13600000000", "深圳市南山区科技园一路1号")
    return CaseFile(
        profile, party, items, events, findings, "0" * 64, datetime.now(UTC), ZoneInfo("Asia/Shanghai")
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--findings", type=int, default=500)
    a = ap.parse_args()
    case = synthetic(a.events, a.findings)
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        complaint = assemble_complaint("12321", case)
        result = render_complaint_pdf(complaint, Path(d) / "bench.pdf")
        seconds = time.perf_counter() - t
        size = (Path(d) / "bench.pdf").stat().st_size
    print(f"events {a.events:,}, findings {a.findings}, in the report: {len(complaint.events):,} events")
    print(f"pages {result.pages}, {size / 1e6:.1f} MB")
    print(f"time  {seconds:.2f} s (goal ≤ 10 s): {'goal met' if seconds <= 10 else 'OVER GOAL'}")


if __name__ == "__main__":
    main()
