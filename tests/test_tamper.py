"""The tamper suite, in borg's manner: every column of every evidence table edited in turn, every
row deleted in turn, database pages flipped. `verify` fails for each; nothing raises anything but
a `LockerError` (which the CLI turns into its exit code: never 70).

The edits are what someone holding the key could write (values of the column's own type), made
on a fresh copy of one locker built from the demo case.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from evidence import events, findings, items
from evidence.database import make_engine, translate_error
from evidence.declarations import Declaration, declare
from evidence.errors import LockerError
from evidence.intake import add_file
from evidence.keys import keys_for, unwrap_identity
from evidence.store import init_store, open_store
from evidence.verification import verify_store
from tests.conftest import DEMO, FAST_LOG_N, PASSPHRASE, tamper

EVIDENCE_TABLES = ("items", "item_facts", "events", "custody")
SMALL_SMS = """<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<smses count="3">
<sms protocol="0" address="17155550001" date="1786000000000" type="1" body="今天不还就上门" read="1" />
<sms protocol="0" address="17155550001" date="1786000060000" type="1" body="通知你的通讯录" read="1" />
<sms protocol="0" address="95588" date="1786000120000" type="1" body="您的账户余额" read="1" status="-1" />
</smses>
"""


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One locker with a recording, an SMS export, a call log and a declaration."""
    root = tmp_path_factory.mktemp("tamper")
    home = root / "locker"
    store, _ = init_store(home, PASSPHRASE, FAST_LOG_N)
    sms = root / "sms-20260817.xml"
    sms.write_text(SMALL_SMS, encoding="utf-8")
    for path in (DEMO / "通话录音@171 5555 0001(17155550001)_20260811091000.mp3", sms):
        add_file(store, path)
    declare(
        store,
        Declaration(kind="visit", at=datetime(2026, 8, 15, 11, 30, tzinfo=UTC), text="两人上门"),
    )
    assert verify_store(store).ok
    store.close()
    return home


@pytest.fixture
def fresh(pristine: Path, tmp_path: Path) -> Path:
    home = tmp_path / "locker"
    shutil.copytree(pristine, home)
    return home


def _connect(home: Path) -> Any:
    keys = keys_for(unwrap_identity(home, PASSPHRASE))
    return make_engine(home / "locker.db", keys.db_key)


def _columns(home: Path, table: str) -> list[tuple[str, str]]:
    engine = _connect(home)
    with engine.connect() as conn:
        cols = [(r[1], r[2].upper()) for r in conn.exec_driver_sql(f"PRAGMA table_info({table})")]
    engine.dispose()
    return cols


def _rows(home: Path, table: str) -> list[int]:
    engine = _connect(home)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.exec_driver_sql(f"SELECT rowid FROM {table} ORDER BY rowid")]
    engine.dispose()
    return ids


def _edited(value: Any, sql_type: str, column: str) -> Any:
    """A different value of the column's own type."""
    if column in ("detail", "other_numbers"):
        return '{"edited": true}' if column == "detail" else '["13800000000"]'
    if value is None:
        if "BOOL" in sql_type:
            return 1
        if "INT" in sql_type:
            return 7
        if "FLOAT" in sql_type or "REAL" in sql_type or "NUMERIC" in sql_type:
            return 1.5
        if "DATETIME" in sql_type:
            return "2020-01-01 00:00:00.000000"
        return "edited"
    if isinstance(value, bool) or "BOOL" in sql_type:
        return 0 if value else 1
    if isinstance(value, int):
        return value + 1000
    if isinstance(value, float):
        return value + 1.0
    if "DATETIME" in sql_type:
        return "2019" + str(value)[4:]
    text = str(value)
    if len(text) == 64 and all(c in "0123456789abcdef" for c in text):
        return ("0" if text[0] != "0" else "1") + text[1:]  # a hash stays hash-shaped
    return text + "x"


def _cases() -> Iterator[tuple[str, str]]:
    # Column lists are read from the real migrated schema inside the test; parametrise by name.
    yield from (
        (t, c)
        for t, cols in {
            "items": "id sha256 object_name size name kind media_type export_format added_at captured_at "
            "captured_tz_assumed number contact duration",
            "item_facts": "id item_id fact value source detail",
            "events": "id item_id dedupe_key kind direction raw_number number number_class contact at "
            "tz_assumed duration status text declared other_numbers",
            "custody": "seq at action detail prev_hash hash",
        }.items()
        for c in cols.split()
    )


def _known(e: Exception) -> bool:
    """What the CLI turns into a documented exit code (never 70)."""
    return isinstance(e, LockerError) or translate_error(e) is not None


def _exercise(home: Path) -> bool:
    """Open, run what the read commands run, then verify. Only errors the CLI maps may escape."""
    try:
        store = open_store(home, PASSPHRASE)
    except Exception as e:
        assert _known(e), repr(e)
        return False
    try:
        for read in (items.list_items, events.list_events, findings.list_findings):
            try:
                read(store)
            except Exception as e:
                assert _known(e), repr(e)
        try:
            report = verify_store(store)
        except Exception as e:
            assert _known(e), repr(e)
            return False
        return report.ok and not report.damaged
    finally:
        store.close()


def test_every_column_is_listed(pristine: Path) -> None:
    """The suite below covers every column the migrations create (a new column joins it)."""
    listed: dict[str, set[str]] = {}
    for t, c in _cases():
        listed.setdefault(t, set()).add(c)
    for table in EVIDENCE_TABLES:
        assert {c for c, _ in _columns(pristine, table)} == listed[table]


@pytest.mark.parametrize(("table", "column"), list(_cases()))
def test_edit_each_column(fresh: Path, table: str, column: str) -> None:
    types = dict(_columns(fresh, table))
    key = "seq" if table == "custody" else "id"
    # The row most worth editing: one where the column holds a value, else the first.
    rows = tamper(fresh, f"SELECT {key}, {column} FROM {table} ORDER BY {key}")
    target = next((r for r in rows if r[1] is not None), rows[0])
    new = _edited(target[1], types[column], column)
    tamper(fresh, f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (new, target[0]))
    assert not _exercise(fresh), f"editing {table}.{column} went unnoticed"


@pytest.mark.parametrize("table", EVIDENCE_TABLES)
def test_delete_each_row(pristine: Path, tmp_path: Path, table: str) -> None:
    for n, rowid in enumerate(_rows(pristine, table)):
        home = tmp_path / f"copy-{n}"
        shutil.copytree(pristine, home)
        tamper(home, f"DELETE FROM {table} WHERE rowid = ?", (rowid,))
        assert not _exercise(home), f"deleting row {rowid} of {table} went unnoticed"
        shutil.rmtree(home)


def _flip(home: Path, offset: int) -> None:
    db = home / "locker.db"
    data = bytearray(db.read_bytes())
    data[offset] ^= 0x01
    db.write_bytes(bytes(data))


def test_flip_each_page(pristine: Path, tmp_path: Path) -> None:
    size = (pristine / "locker.db").stat().st_size
    pages = size // 4096
    assert pages >= 3
    for page in range(pages):
        for where in (24, 2048, 4000):  # the page's start, middle and its HMAC near the end
            home = tmp_path / f"p{page}-{where}"
            shutil.copytree(pristine, home)
            _flip(home, page * 4096 + where)
            assert not _exercise(home), f"a flipped bit in page {page + 1} went unnoticed"
            shutil.rmtree(home)


def test_tamper_through_the_cli_never_exits_70(pristine: Path, tmp_path: Path) -> None:
    """A sample of the tampered lockers, through the real command: only documented exit codes."""
    from tests.conftest import run_locker

    edits: list[Callable[[Path], None]] = [
        lambda h: _flip(h, 2 * 4096 + 100),
        lambda h: _flip(h, 100),
        lambda h: (h / "head").write_text("{}"),
    ]
    for n, edit in enumerate(edits):
        home = tmp_path / f"cli-{n}"
        shutil.copytree(pristine, home)
        edit(home)
        for args in (
            ["ls"],
            ["events"],
            ["findings"],
            ["verify"],
            ["export", "-o", str(tmp_path / f"{n}.zip")],
        ):
            r = run_locker(home, *args)
            assert r.returncode in (0, 1, 5), (n, args, r.returncode, r.stderr)
            assert "Traceback" not in r.stderr
