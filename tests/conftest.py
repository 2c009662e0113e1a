"""Shared fixtures: real lockers in temp folders, the CLI through click's runner and as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from evidence.store import Store, init_store

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEMO = SHARED / "corpus" / "demo"
PASSPHRASE = "correct horse 电池 staple"
FAST_LOG_N = 10  # scrypt work factor for tests: the real default is calibrated to ~1 s
# The demo case's lender and its numbers (../shared/corpus/demo/case.json), as `locker party add` args.
DEMO_PARTY = [
    "party",
    "add",
    "好借花",
    *(a for n in ("17155550001", "17155550002", "10691110001", "075512345678") for a in ("--number", n)),
]
# The demo complainant, as `locker profile set` args (a made-up person).
DEMO_PROFILE = [
    "profile",
    "set",
    "--name",
    "王五",
    "--id-number",
    "440305199202021234",
    "--phone",
    "13600000000",
    "--address",
    "深圳市南山区科技园一路1号",
]


def peak_rss_mb(args: list[str], env: dict[str, str]) -> tuple[int, float]:
    """Run `args` and return (exit code, its peak RSS in MB), measured by a small intermediate
    process: a direct child of this (large) pytest process would count pytest's pages too."""
    probe = (
        "import os, sys; pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ); "
        "_, st, ru = os.wait4(pid, 0); print(os.waitstatus_to_exitcode(st), ru.ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *args], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return int(out[-2]), int(out[-1]) / 1024


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s, _recovery = init_store(tmp_path / "locker", PASSPHRASE, FAST_LOG_N)
    yield s
    s.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "locker"


def cli_env(home: Path, passphrase: str | None = PASSPHRASE, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKER_")}
    env["LOCKER_HOME"] = str(home)
    env["LOCKER_SCRYPT_LOG_N"] = str(FAST_LOG_N)
    if passphrase is not None:
        env["LOCKER_PASSPHRASE"] = passphrase
    env.update(extra)
    return env


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(
    home: Path, *args: str, passphrase: str | None = PASSPHRASE, input: str | None = None, **extra: str
) -> CliResult:
    """The CLI in-process through click's runner, exactly as `main()` runs it (errors → exit codes)."""
    from locker.cli import main

    runner = CliRunner()
    with runner.isolation(input=input, env=cli_env(home, passphrase, **extra)) as (out, err, _):
        code = 0
        try:
            main(list(args))
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        return CliResult(code, out.getvalue().decode(), err.getvalue().decode())


def run_locker(
    home: Path,
    *args: str,
    passphrase: str | None = PASSPHRASE,
    input: str | None = None,
    timeout: float = 120,
    **extra: str,
) -> subprocess.CompletedProcess[str]:
    """The CLI as a real subprocess, the way users and scripts run it."""
    exe = Path(sys.executable).parent / "locker"
    return subprocess.run(
        [str(exe), *args],
        env=cli_env(home, passphrase, **extra),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def cli_home(home: Path) -> Path:
    """A locker initialised through the real command."""
    p = run_locker(home, "init")
    assert p.returncode == 0, p.stderr
    return home


def tamper(home: Path, statement: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Run one SQL statement on a locker's database as someone holding its key would (failure
    injection for the tamper tests): outside any transaction, with foreign keys off."""
    from evidence.database import make_engine
    from evidence.keys import keys_for, unwrap_identity

    keys = keys_for(unwrap_identity(home, PASSPHRASE))
    engine = make_engine(home / "locker.db", keys.db_key)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA foreign_keys = OFF")
        rows = list(cur.execute(statement, params))
        cur.close()
    finally:
        raw.close()
        engine.dispose()
    return rows
