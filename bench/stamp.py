"""Benchmark: local work of one `locker stamp` beyond the network round trip (goal ≤ 50 ms).

A real TSA on 127.0.0.1 (tests/tsa.py: openssl CA, `openssl ts -reply` behind http.server)
answers; the round trip (HTTP plus the TSA signing) is timed inside the poster and subtracted
from the whole `stamp_head`. What is left is ours: reading the head, building the request,
checking the reply (parse, imprint, nonce, EKU, chain, CMS signature at genTime), the custody
entry and its commit (fsync), the head file. The trust store (the system's CA bundle plus the
test root) is loaded once per stamp, as every `locker stamp` and auto-stamp does; loading the
rfc3161 library is once per process and printed apart.

    .venv/bin/python bench/stamp.py [--stamps 30]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.tsa: the local TSA

from evidence import timestamps
from evidence.store import init_store
from tests.tsa import local_tsa

BUDGET_MS = 50.0


def ms(seconds: float) -> float:
    return seconds * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stamps", type=int, default=30)
    a = ap.parse_args()
    t = time.perf_counter()
    import rfc3161_client  # noqa: F401

    import_ms = ms(time.perf_counter() - t)
    with tempfile.TemporaryDirectory() as d, local_tsa(Path(d) / "tsa") as tsa:
        store, _ = init_store(Path(d) / "locker", "bench passphrase 长一些", 10)
        root = tsa.root_pem.read_bytes()
        url = tsa.url("good")
        bundle = timestamps.system_ca_bundle()
        local: list[float] = []
        network: list[float] = []
        stages: dict[str, list[float]] = {"trust store": [], "request": [], "check reply": [], "record": []}
        for _ in range(a.stamps):
            waited = 0.0

            def post(u: str, body: bytes) -> bytes:
                nonlocal waited
                t0 = time.perf_counter()
                reply = timestamps.http_post(u, body)
                waited += time.perf_counter() - t0
                return reply

            t0 = time.perf_counter()
            trust = timestamps.trust_store([root], bundle)
            timestamps.stamp_head(store, [url], trust, post)
            total = time.perf_counter() - t0
            local.append(ms(total - waited))
            network.append(ms(waited))

            # The same work stage by stage (a second stamp, for the breakdown only).
            t0 = time.perf_counter()
            trust = timestamps.trust_store([root], bundle)
            t1 = time.perf_counter()
            with store.transaction() as s:
                head = timestamps.current_head(s)
            request = timestamps.build_request(head)
            t2 = time.perf_counter()
            reply = timestamps.http_post(url, request.as_bytes())
            t3 = time.perf_counter()
            response, chain = timestamps.check_reply(reply, head.hash, request.nonce or 0, trust)
            t4 = time.perf_counter()
            token = timestamps.Token(
                url,
                timestamps.display_name(chain[0]),
                response.tst_info.gen_time,
                response.tst_info.serial_number,
                request.nonce or 0,
                request.as_bytes(),
                reply,
                tuple(chain),
            )
            with store.transaction() as s:
                timestamps.record_stamp(s, head.seq, head.hash, [token], store.now())
            t5 = time.perf_counter()
            for name, seconds in zip(stages, (t1 - t0, t2 - t1, t4 - t3, t5 - t4), strict=True):
                stages[name].append(ms(seconds))
        store.close()
    roots = len(timestamps.trust_store([], bundle).roots) if bundle else 0
    med, worst = statistics.median(local), max(local)
    print(f"stamps {a.stamps}; trust store: {roots} system roots ({bundle}) + the test root")
    print(f"library import (once per process): {import_ms:.1f} ms")
    rtt = statistics.median(network)
    print(f"network round trip to the local TSA (openssl signing included): median {rtt:.1f} ms")
    for name, values in stages.items():
        print(f"  {name:12} median {statistics.median(values):6.2f} ms")
    verdict = "goal met" if med <= BUDGET_MS else "OVER GOAL"
    print(f"local work per stamp: median {med:.1f} ms, worst {worst:.1f} ms (goal ≤ {BUDGET_MS:.0f} ms)")
    print(verdict)


if __name__ == "__main__":
    main()
