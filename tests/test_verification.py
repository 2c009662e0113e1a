"""verify and gc: tamper tests (object byte, database row, chain), orphans, kill -9 during add."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text, update

from evidence import intake
from evidence.schema import CustodyEntry, Item
from evidence.store import Store, open_store
from evidence.verification import collect_garbage, verify_store
from tests.conftest import DEMO, PASSPHRASE, run_locker

XIAOMI = "通话录音@171 5555 0001(17155550001)_20260811091000.mp3"


def test_intact_locker_verifies(store: Store) -> None:
    intake.add_file(store, DEMO / XIAOMI)
    report = verify_store(store)
    assert report.ok and report.items_checked == 1 and not report.problems
    assert not report.unrecorded and not report.leftovers and not report.damaged


def test_a_flipped_byte_in_an_object_names_the_item(store: Store) -> None:
    r = intake.add_file(store, DEMO / XIAOMI)
    with store.transaction() as s:
        name = s.get(Item, r.id).object_name  # type: ignore[union-attr]
    path = store.vault.path_of(name)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify_store(store)
    assert not report.ok
    assert [p.item for p in report.problems] == [r.id]
    assert "altered or damaged" in report.problems[0].problem


def test_an_edited_item_row_is_caught(store: Store) -> None:
    r = intake.add_file(store, DEMO / XIAOMI)
    with store.transaction() as s:
        s.execute(update(Item).where(Item.id == r.id).values(size=r.size + 1))
    report = verify_store(store)
    assert not report.ok and any(p.item == r.id for p in report.problems)


def test_an_edited_event_is_caught(store: Store) -> None:
    r = intake.add_file(store, DEMO / XIAOMI)
    with store.transaction() as s:
        s.execute(text("UPDATE events SET text = 'rewritten' WHERE item_id = :i"), {"i": r.id})
    report = verify_store(store)
    assert any(p.item == r.id and "was edited" in p.problem for p in report.problems)


def test_a_broken_chain_link_is_caught(store: Store) -> None:
    intake.add_file(store, DEMO / XIAOMI)
    with store.transaction() as s:
        s.execute(update(CustodyEntry).where(CustodyEntry.seq == 1).values(action="tampered"))
    report = verify_store(store)
    assert not report.ok
    assert any(p.item is None and "custody entry 1" in p.problem for p in report.problems)


def test_a_deleted_chain_entry_is_caught(store: Store) -> None:
    intake.add_file(store, DEMO / XIAOMI)
    intake.add_file(store, DEMO / "075512345678_20260814090000.m4a")
    with store.transaction() as s:
        s.execute(text("DELETE FROM custody WHERE seq = 2"))
    assert not verify_store(store).ok


def test_temp_files_are_harmless_and_gc_removes_only_them(store: Store) -> None:
    intake.add_file(store, DEMO / XIAOMI)
    (store.vault.root / (".tmp-" + "0" * 16)).write_bytes(b"partial")
    (store.vault.root / ("a" * 64)).write_bytes(b"not an object of this locker")
    report = verify_store(store)
    assert report.leftovers == [".tmp-" + "0" * 16]
    assert not report.ok and any("does not decrypt" in p.problem for p in report.problems)
    assert collect_garbage(store) == [".tmp-" + "0" * 16]
    assert (store.vault.root / ("a" * 64)).exists()  # never deleted: it is not ours to judge
    assert verify_store(store).leftovers == []


def test_an_unrecorded_original_is_evidence_and_repair_adopts_it(store: Store) -> None:
    from evidence.verification import repair_store

    r = intake.add_file(store, DEMO / XIAOMI)
    with store.transaction() as s:  # as if the add's commit had been lost
        s.execute(text("DELETE FROM events WHERE item_id = :i"), {"i": r.id})
        s.execute(text("DELETE FROM item_facts WHERE item_id = :i"), {"i": r.id})
        s.execute(text("DELETE FROM items WHERE id = :i"), {"i": r.id})
    report = verify_store(store)
    assert not report.ok and len(report.unrecorded) == 1
    assert collect_garbage(store) == []
    repaired = repair_store(store)
    assert len(repaired.adopted) == 1
    assert verify_store(store).ok  # the item is back, with a custody entry saying it was recovered
    with store.transaction() as s:
        adopted = s.get(Item, repaired.adopted[0])
        assert adopted is not None and adopted.sha256 == r.sha256 and adopted.name.startswith("recovered-")


@pytest.mark.slow
def test_kill_9_during_add_leaves_a_locker_that_verifies(cli_home: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.wav"
    with big.open("wb") as f:
        f.write(os.urandom(1 << 20) * 200)  # 200 MiB: the kill lands while sealing
    for delay in (0.3, 0.8, 1.5):
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "locker"), "add", str(big)],
            env=_env(cli_home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        v = run_locker(cli_home, "verify", "--json")
        if v.returncode == 1:  # killed between the object's rename and the commit: evidence kept
            assert '"unrecorded": [\n    "' in v.stdout and '"problems": [\n    {' in v.stdout
            assert run_locker(cli_home, "verify", "--repair").returncode == 0
        else:
            assert v.returncode == 0, v.stdout + v.stderr
    again = run_locker(cli_home, "add", "--json", str(DEMO / XIAOMI), str(big), timeout=300)
    assert again.returncode == 0, again.stderr
    assert run_locker(cli_home, "gc").returncode == 0
    final = run_locker(cli_home, "verify", "--json")
    assert final.returncode == 0 and '"leftovers": []' in final.stdout


def _env(home: Path) -> dict[str, str]:
    from tests.conftest import cli_env

    return cli_env(home)


def test_store_reopens_after_tampering_is_reported(store: Store) -> None:
    intake.add_file(store, DEMO / XIAOMI)
    store.close()
    reopened = open_store(store.home, PASSPHRASE)
    assert verify_store(reopened).ok
    reopened.close()
