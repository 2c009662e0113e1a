"""Benchmark: parsing a big SMS Backup & Restore export against a bare stdlib `iterparse` loop.

Generates an SBR `sms-*.xml` with N messages in a temporary folder (Chinese text, `&#10;`
newlines, an emoji now and then, an MMS every 50 messages; no surrogate-pair references, which
the bare loop cannot read), then times:

* bare: `xml.etree.ElementTree.iterparse` over the file, touching each record's attributes and
  clearing it (the floor any Python XML reader stands on);
* ours: `evidence.importers.parse_export("sbr-sms", …)`, consuming every event, run in a child
  process so its peak RSS is its own.

Prints both times, the ratio (goal ≤ 5×, limit 15× for the whole import; the parser alone
should stay near 3× so the database insert has headroom) and the parser's peak RSS.

    .venv/bin/python bench/import_sms.py [--messages 100000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from zoneinfo import ZoneInfo
from evidence.importers import parse_export
t = time.perf_counter()
n = sum(1 for _ in parse_export("sbr-sms", Path(sys.argv[1]), ZoneInfo("Asia/Shanghai")))
seconds = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"events": n, "seconds": seconds, "rss_kib": rss}))
"""


def write_export(path: Path, messages: int) -> None:
    """An SBR messages export with `messages` records (one MMS in 50)."""
    start = 1786454400000
    with path.open("w", encoding="utf-8") as out:
        out.write("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n")
        out.write(f'<smses count="{messages}" backup_set="bench" backup_date="{start}" type="full">\n')
        for i in range(messages):
            date = start + i * 7919
            number = f"171{i % 100_000_000:08d}"
            if i % 50 == 49:
                out.write(
                    f'  <mms date="{date}" msg_box="1" address="{number}" m_type="132" read="1" '
                    f'date_sent="{date // 1000}" contact_name="(Unknown)">\n    <parts>\n'
                    '      <part seq="-1" ct="application/smil" text="&lt;smil&gt;&lt;/smil&gt;" />\n'
                    f'      <part seq="0" ct="text/plain" chset="106" text="第{i}条彩信" />\n'
                    '      <part seq="1" ct="image/jpeg" data="iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB" />\n'
                    f'    </parts>\n    <addrs>\n      <addr address="{number}" type="137" charset="106" />\n'
                    "    </addrs>\n  </mms>\n"
                )
                continue
            emoji = "\U0001f60e" if i % 97 == 0 else ""
            out.write(
                f'  <sms protocol="0" address="{number}" date="{date}" type="{1 + i % 2}" subject="null" '
                f'body="【好借花】王五您好，您的账单已逾期{i % 30}天，请今日内还款。{emoji}&#10;回复TD退订" '
                'toa="null" sc_toa="null" service_center="null" read="1" status="-1" locked="0" '
                f'date_sent="{date - 1000}" sub_id="1" readable_date="2026年08月11日 21:20:00" '
                'contact_name="(Unknown)" />\n'
            )
        out.write("</smses>\n")


def bare_iterparse(path: Path) -> float:
    """Seconds for a plain stdlib iterparse loop that reads each record's attributes."""
    t = time.perf_counter()
    touched = 0
    for _event, element in ET.iterparse(path, events=("end",)):
        if element.tag in ("sms", "mms"):
            touched += len(element.attrib.get("body", ""))
            element.clear()
    return time.perf_counter() - t


_IMPORT = """
import json, resource, sys, tempfile, time
from pathlib import Path
from evidence.intake import add_file
from evidence.store import init_store
store, _ = init_store(Path(tempfile.mkdtemp(dir=sys.argv[2])) / "locker", "bench passphrase", 10)
t = time.perf_counter()
r = add_file(store, Path(sys.argv[1]))
seconds = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"events": r.events, "seconds": seconds, "rss_kib": rss}))
"""


def full_import(path: Path) -> dict[str, float]:
    """The whole import (sniff, hash and seal, parse, canonical numbers, batched inserts, custody)."""
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT, str(path), str(path.parent)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def ours(path: Path) -> dict[str, float]:
    """Seconds, event count and peak RSS (KiB) of parse_export in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="locker-bench-") as folder:
        path = Path(folder) / "sms-bench.xml"
        write_export(path, args.messages)
        size_mib = path.stat().st_size / 2**20
        bare = min(bare_iterparse(path) for _ in range(3))
        result = min((ours(path) for _ in range(3)), key=lambda r: r["seconds"])
        whole = min((full_import(path) for _ in range(2)), key=lambda r: r["seconds"])
    ratio = result["seconds"] / bare
    verdict = "goal met" if ratio <= 5 else ("within limit" if ratio <= 15 else "OVER LIMIT")
    print(f"export:          {args.messages} messages, {size_mib:.1f} MiB")
    print(f"bare iterparse:  {bare:.3f} s")
    print(f"parse_export:    {result['seconds']:.3f} s ({int(result['events'])} events)")
    print(f"ratio:           {ratio:.2f}x (goal <= 5x, limit 15x; parser target ~3x): {verdict}")
    print(f"peak RSS (ours): {result['rss_kib'] / 1024:.1f} MiB")
    whole_ratio = whole["seconds"] / bare
    verdict = "goal met" if whole_ratio <= 5 else ("within limit" if whole_ratio <= 15 else "OVER LIMIT")
    print(f"full import:     {whole['seconds']:.3f} s ({int(whole['events'])} events stored)")
    print(f"import ratio:    {whole_ratio:.2f}x (goal <= 5x, limit 15x): {verdict}")
    print(f"peak RSS (import): {whole['rss_kib'] / 1024:.1f} MiB (limit 300)")


if __name__ == "__main__":
    main()
