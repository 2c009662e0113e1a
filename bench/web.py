"""Benchmark: `locker serve` at 100,000 events (each page ≤ 200 ms), and an upload through the
page against `locker add` of the same file (goal ≥ 0.8× the command's speed).

Builds a locker as a person's would be after adding a big SMS export: bench/import_sms.py's
generator writes 100,000 collection messages from a few dozen collector numbers (every one a
finding, so the findings run to about 180,000), a party is declared with its signature, and the
export goes in through intake with the findings refreshed, as `locker add` does. Then the page is
served as `locker serve` serves it (uvicorn on 127.0.0.1, the guard in front), unlocked through
its form, and every page is asked for several times over HTTP (httpx): the median and the
slowest time of each, against the 200 ms limit (judged on the median; the slowest is shown, and
the machine's load with it, since the numbers move with it).

Then a recording-like file of `--size` bytes (default 1 GiB; random bytes, named as a phone
names a call recording) is added twice into empty lockers: by `locker add FILE` in its own
process, and uploaded to the page as the page's script sends it (the body is the file, in one
request, then /upload/finish), timed from the first byte sent to the last answer. The free disk
space is checked first (the file and two sealed copies); with too little, the size is lowered
and the run says so.

    .venv/bin/python bench/web.py [--events 100000] [--size 1073741824] [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import uvicorn
from import_sms import COLLECTORS, write_export  # the same generator as the import benchmark

from evidence import intake, parties
from evidence.store import init_store
from locker.app.findings import refresh_findings
from locker.web.guard import CSRF_HEADER, Guard, Secrets
from locker.web.pages import DAY_LIMIT, FINDINGS_PER_PAGE, make_app
from locker.web.server import listen
from locker.web.unlocked import Unlocked

PASSPHRASE = "bench passphrase"
LIMIT_MS = 200
BIN = Path(sys.executable).parent
RECORDING = "通话录音@171 5555 0001(17155550001)_20260811091000.m4a"


def build_locker(folder: Path, messages: int) -> Path:
    """A locker holding one SBR export of `messages` collection messages, findings refreshed."""
    export = folder / "sms-bench.xml"
    write_export(export, messages)
    home = folder / "locker"
    store, _ = init_store(home, PASSPHRASE, 10)
    try:
        # Declared before the export goes in: one findings refresh for everything, as `add` runs it.
        parties.add_party(store, "好借花", list(COLLECTORS[:12]), ["【好借花】"], [])
        batch = intake.add_paths(store, [export])
        if batch.failures or not batch.added:
            sys.exit(f"the export was not added: {batch.failures}")
        refresh_findings(store)
    finally:
        store.close()
    export.unlink()
    return home


@contextmanager
def served(home: Path) -> Iterator[httpx.Client]:
    """The page as `locker serve` runs it, on a free port of 127.0.0.1; a client already unlocked."""
    sock = listen(0)
    port = sock.getsockname()[1]
    keys = Secrets()
    session = Unlocked(home)
    config = uvicorn.Config(
        Guard(make_app(session, keys, None), keys, port),
        log_level="warning",
        access_log=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    try:
        # TCP_NODELAY, as browsers set it: without it a delayed ACK adds 40 ms to every answer.
        nodelay = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
        with httpx.Client(base_url=base, timeout=600, follow_redirects=False, transport=nodelay) as client:
            client.get(f"/start?token={keys.url_token}")
            r = client.post("/unlock", data={"passphrase": PASSPHRASE, "csrf": keys.csrf})
            if r.status_code != 303:
                sys.exit(f"unlock failed: {r.status_code}")
            client.headers[CSRF_HEADER] = keys.csrf
            yield client
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def pages_to_time(client: httpx.Client) -> list[tuple[str, str]]:
    """(label, path): every page a person opens, the long listings at their first and last pages."""
    html = client.get("/timeline").text
    days = [(d, int(n)) for d, n in re.findall(r'day=([\d-]+)">[\d-]+</a></td>\s*<td>(\d+)</td>', html)]
    busiest, events = max(days, key=lambda d: d[1]) if days else ("2026-08-12", 0)
    last_day_page = max(1, -(-events // DAY_LIMIT))
    findings = client.get("/findings").text
    tab = r'category=(\d+)"[^>]*>[^<]*<span class="n">(\d+)<'
    tabs = [(int(c), int(n)) for c, n in re.findall(tab, findings)]
    category, count = max(tabs, key=lambda t: t[1]) if tabs else (1, 0)
    last_findings_page = max(1, -(-count // FINDINGS_PER_PAGE))
    return [
        ("add (home)", "/"),
        ("timeline", "/timeline"),
        (f"day {busiest} ({events} events)", f"/timeline?day={busiest}"),
        (f"day, last page ({last_day_page})", f"/timeline?day={busiest}&page={last_day_page}"),
        ("findings (first category)", "/findings"),
        (
            f"findings cat. {category}, last page ({last_findings_page})",
            f"/findings?category={category}&page={last_findings_page}",
        ),
        ("parties", "/parties"),
        ("reports", "/reports"),
        ("profile", "/profile"),
        ("verify (form)", "/verify"),
        ("triage (form)", "/triage"),
    ]


def time_pages(client: httpx.Client, runs: int) -> list[tuple[str, float, float, int]]:
    out = []
    for label, path in pages_to_time(client):
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            r = client.get(path)
            times.append((time.perf_counter() - t) * 1000)
            if r.status_code != 200:
                sys.exit(f"{path} answered {r.status_code}")
        out.append((label, statistics.median(times), max(times), len(r.content)))
    return out


def recording(path: Path, size: int) -> None:
    """`size` random bytes (compressed audio looks random to anything reading it)."""
    rnd = random.Random(5)
    block = rnd.randbytes(1 << 20)
    with path.open("wb") as f:
        left = size
        while left > 0:
            # A different block each time: identical blocks would be the same whatever is measured,
            # but a real recording never repeats itself.
            f.write(block[: min(left, len(block))])
            left -= len(block)
            block = block[1:] + block[:1]


def cli_add(path: Path, folder: Path) -> float:
    """Seconds for `locker add FILE` into an empty locker, in its own process (start-up included)."""
    home = folder / "cli-locker"
    init_store(home, PASSPHRASE, 10)[0].close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKER_")}
    env.update(LOCKER_HOME=str(home), LOCKER_PASSPHRASE=PASSPHRASE)
    t = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "locker"), "add", str(path)], env=env, stdin=subprocess.DEVNULL, capture_output=True
    )
    seconds = time.perf_counter() - t
    if done.returncode != 0:
        sys.exit(f"locker add failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
    shutil.rmtree(home)
    return seconds


# The browser's part, in a process of its own as a browser is (in the server's process it would
# take the server's interpreter lock for every block it sends): the file as the body of one
# request, then /upload/finish, as app.js sends them.
_UPLOADER = """
import http.client, json, os, socket, sys, time
port, cookie, csrf, path, name = sys.argv[1:6]
size = os.path.getsize(path)
head = {"Host": f"127.0.0.1:{port}", "Cookie": cookie, "X-CSRF-Token": csrf}
t = time.perf_counter()
c = http.client.HTTPConnection("127.0.0.1", int(port), timeout=600, blocksize=1 << 20)
c.connect()
c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
with open(path, "rb") as f:
    c.request("POST", "/upload?batch=bench&name=" + name, body=f,
              headers={**head, "Content-Type": "application/octet-stream", "Content-Length": str(size)})
    r = c.getresponse()
    answer = json.loads(r.read())
c.request("POST", "/upload/finish?batch=bench", body=b"", headers=head)
c.getresponse().read()
print(json.dumps({"seconds": time.perf_counter() - t, "added": answer["added"]}))
"""


def web_add(path: Path, folder: Path) -> float:
    """Seconds for the page's upload of FILE into an empty locker: the one request with the file as
    its body, then /upload/finish (findings and stamp, as `add` ends)."""
    home = folder / "web-locker"
    init_store(home, PASSPHRASE, 10)[0].close()
    with served(home) as client:
        port = str(client.base_url.port)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        csrf = client.headers[CSRF_HEADER]
        done = subprocess.run(
            [sys.executable, "-c", _UPLOADER, port, cookie, csrf, str(path), quote(path.name)],
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        sys.exit(f"the upload failed: {done.stderr[-500:]}")
    result = json.loads(done.stdout)
    if not result["added"] or result["added"][0]["size"] != path.stat().st_size:
        sys.exit(f"the upload was not added: {result}")
    shutil.rmtree(home)
    return float(result["seconds"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=1 << 30, help="bytes of the uploaded file (default 1 GiB)")
    ap.add_argument("--runs", type=int, default=7, help="requests per page")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="locker-bench-web-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        home = build_locker(folder, a.events)
        print(f"locker:   {a.events:,} events from one SMS export, built in {time.perf_counter() - t:.0f} s")
        with served(home) as client:
            rows = time_pages(client, a.runs)
        load = os.getloadavg()
        print(
            f"pages:    {a.runs} requests each over HTTP to 127.0.0.1; limit {LIMIT_MS} ms on the median "
            f"(load average {load[0]:.2f} on {os.cpu_count()} cores)"
        )
        width = max(len(label) for label, *_ in rows)
        for label, median, slowest, size in rows:
            verdict = "OK" if median <= LIMIT_MS else "OVER"
            print(
                f"  {label:<{width}}  median {median:6.1f} ms  max {slowest:6.1f} ms  "
                f"{size / 1024:6.0f} KiB  {verdict}"
            )
        over = [label for label, median, *_ in rows if median > LIMIT_MS]
        print(f"  {'all pages within the limit' if not over else 'OVER the limit: ' + ', '.join(over)}")
        shutil.rmtree(home)

        size = a.size
        free = shutil.disk_usage(folder).free
        needed = size * 3 + (256 << 20)  # the file, and its sealed copy in each locker in turn (+ margin)
        if needed > free:
            size = max(1 << 20, (free - (256 << 20)) // 3)
            print(
                f"upload:   only {free / 2**30:.1f} GiB free: "
                f"the file is {size / 2**20:.0f} MiB, not {a.size / 2**20:.0f}"
            )
        path = folder / RECORDING
        recording(path, size)
        cli = cli_add(path, folder)
        web = web_add(path, folder)
        ratio = cli / web
        mib = size / 2**20
        print(f"upload:   {mib:,.0f} MiB recording-like file")
        print(f"  locker add (CLI): {cli:6.2f} s  ({mib / cli:6.1f} MiB/s, process start-up included)")
        print(f"  page upload:      {web:6.2f} s  ({mib / web:6.1f} MiB/s)")
        verdict = "goal met" if ratio >= 0.8 else "BELOW GOAL"
        print(f"  speed vs CLI:     {ratio:.2f}x (goal >= 0.8x): {verdict}")


if __name__ == "__main__":
    main()
