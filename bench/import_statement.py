"""Benchmark: a 200,000-row carrier call-detail spreadsheet through `locker add` (goal ≤ 60 s, ≤ 300 MB).

Writes a China Mobile-shaped .xlsx (five title rows, the year only in the title, "03-02 13:13:40"
times, 通信方式 主叫/被叫, durations as 1分23秒, a total row) of N calls: a few dozen collector
numbers around the clock, so night-call and calls-per-day findings fire, among ordinary calls.
Then times:

* reader: `sheets.xlsx_rows` alone (openpyxl's streaming reader, the floor for this file);
* whole import: `locker add FILE` into an empty locker (sniff, seal, rows → events, inserts,
  custody, findings refresh), its seconds and its own peak RSS.

    .venv/bin/python bench/import_statement.py [--rows 200000]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_sms import locker_add  # the same whole-import measurement

_READER = """
import json, resource, sys, time
from evidence.importers.sheets import xlsx_rows
t = time.perf_counter()
with open(sys.argv[1], "rb") as f:
    n = sum(1 for _ in xlsx_rows(f))
print(json.dumps({"rows": n, "seconds": time.perf_counter() - t,
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def write_statement(path: Path, rows: int, seed: int = 11) -> None:
    rnd = random.Random(seed)
    collectors = [f"1715555{i:04d}" for i in range(40)]
    others = [f"139{i:08d}" for i in range(2000)]
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("通话详单")
    for title in (
        ["中国移动通信客户详单"],
        ["客户姓名：张**"],
        ["查询月份：2026年03月"],
        ["详单类型：通话详单"],
        [],
    ):
        sheet.append(title)
    sheet.append(
        ["起始时间", "通信地点", "通信方式", "对方号码", "通信时长", "通信类型", "套餐优惠", "实收通信费(元)"]
    )
    seconds_in_month = 31 * 86400
    for i in range(rows):
        at = i * seconds_in_month // rows
        day, rest = divmod(at, 86400)
        when = f"03-{day + 1:02d} {rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
        number = rnd.choice(collectors) if rnd.random() < 0.4 else rnd.choice(others)
        seconds = rnd.choice([0, 12, 35, 83, 240])
        direction = "被叫" if rnd.random() < 0.8 else "主叫"
        sheet.append(
            [
                when,
                "深圳",
                direction,
                int(number),
                f"{seconds // 60}分{seconds % 60:02d}秒",
                "本地",
                "",
                "0.00",
            ]
        )
    sheet.append(["合计", "", "", "", "", "", "", "0.00"])
    book.save(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=200_000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "通话详单.xlsx"
        t = time.perf_counter()
        write_statement(path, a.rows)
        print(
            f"statement:       {a.rows:,} rows, {path.stat().st_size / 2**20:.1f} MiB "
            f"(written in {time.perf_counter() - t:.1f} s)"
        )
        reader = json.loads(
            subprocess.run(
                [sys.executable, "-c", _READER, str(path)], check=True, capture_output=True, text=True
            ).stdout
        )
        print(
            f"xlsx reader:     {reader['seconds']:.2f} s ({reader['rows']:,} rows), "
            f"peak RSS {reader['rss_kib'] / 1024:.0f} MB"
        )
        whole = locker_add(path)
        mb = whole["rss_kib"] / 1024
        verdict = "goal met" if whole["seconds"] <= 60 and mb <= 300 else "OVER GOAL"
        print(
            f"locker add:      {whole['seconds']:.1f} s (goal ≤ 60 s), "
            f"peak RSS {mb:.0f} MB (goal ≤ 300 MB): {verdict}"
        )
        print(f"ratio to reader: {whole['seconds'] / reader['seconds']:.2f}x")


if __name__ == "__main__":
    main()
