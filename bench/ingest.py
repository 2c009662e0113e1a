"""Benchmark: `locker add` of one big file against what a careful user would do by hand.

Times, on the same file in the same run: `cp` (the copy bandwidth, the physical limit here),
`sha256sum`, `age -r` (seal by hand), and `locker add` net of start-up (an `add` of a tiny
file is subtracted). Prints ratios. Goals: add ≤ 1.0 × (sha256sum + age) and ≤ 2 × cp.

    .venv/bin/python bench/ingest.py [--mib 512]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(cmd: list[str], env: dict[str, str] | None = None, **kw: object) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, **kw)  # type: ignore[call-overload]
    return time.perf_counter() - t


def best(n: int, fn) -> float:  # type: ignore[no-untyped-def]
    return min(fn() for _ in range(n))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mib", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    if not shutil.which("age") or not shutil.which("age-keygen"):
        sys.exit("bench/ingest.py needs age and age-keygen (apt-get install age)")
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d:
        tmp = Path(d)
        big = tmp / "recording.wav"
        block = os.urandom(1 << 20)
        with big.open("wb") as f:
            for _ in range(a.mib):
                f.write(block)
        tiny = tmp / "tiny.wav"
        tiny.write_bytes(b"RIFF\x00\x00\x00\x00WAVE" + os.urandom(1024))
        subprocess.run(["age-keygen", "-o", str(tmp / "key.txt")], check=True, capture_output=True)
        recipient = subprocess.run(
            ["age-keygen", "-y", str(tmp / "key.txt")], check=True, capture_output=True, text=True
        ).stdout.strip()
        subprocess.run(["cat", str(big)], check=True, stdout=subprocess.DEVNULL)  # warm the page cache

        t_cp = best(a.repeat, lambda: timed(["cp", str(big), str(tmp / "copy")]))
        # locker fsyncs before it reports success; the same durability for the copy:
        t_cp_sync = best(
            a.repeat,
            lambda: timed(["dd", f"if={big}", f"of={tmp / 'copy'}", "bs=1M", "conv=fsync", "status=none"]),
        )
        t_sha = best(a.repeat, lambda: timed(["sha256sum", str(big)], stdout=subprocess.DEVNULL))
        t_age = best(
            a.repeat, lambda: timed(["age", "-r", recipient, "-o", str(tmp / "sealed.age"), str(big)])
        )
        (tmp / "copy").unlink()
        (tmp / "sealed.age").unlink()

        env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKER_")}
        env |= {"LOCKER_PASSPHRASE": "bench passphrase", "LOCKER_SCRYPT_LOG_N": "10"}
        locker = str(BIN / "locker")

        def add_once(path: Path) -> float:
            home = Path(tempfile.mkdtemp(dir=tmp))
            subprocess.run([locker, "--home", str(home), "init"], env=env, check=True, capture_output=True)
            t = timed([locker, "--home", str(home), "add", str(path)], env=env, capture_output=True)
            shutil.rmtree(home)
            return t

        t_startup = best(a.repeat, lambda: add_once(tiny))
        t_add_total = best(a.repeat, lambda: add_once(big))
        t_add = max(t_add_total - t_startup, 1e-9)
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    mb = a.mib * (1 << 20) / 1e6
    print(f"file: {a.mib} MiB (best of {a.repeat})")
    for label, t in [
        ("cp", t_cp),
        ("sha256sum", t_sha),
        ("age -r", t_age),
        ("sha256sum + age", t_sha + t_age),
        ("locker add (total)", t_add_total),
        ("locker start-up", t_startup),
        ("locker add (net)", t_add),
    ]:
        print(f"  {label:20} {t:7.3f} s  {mb / t:8.0f} MB/s")
    print(f"ratio add / (sha256sum + age): {t_add / (t_sha + t_age):.2f}  (goal ≤ 1.00)")
    print(f"ratio add / cp:                {t_add / t_cp:.2f}  (goal ≤ 2.00)")
    print(f"ratio add / durable copy:      {t_add / t_cp_sync:.2f}  (cp above does not fsync; locker does)")
    print(f"peak RSS of the largest child: {rss:.0f} MB")


if __name__ == "__main__":
    main()
