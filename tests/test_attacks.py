"""Issue 8, as it was attacked: each test reproduces one attack with real files and the real CLI.

Named `test_pNN_...` after the numbered point of the issue it closes. Points 9 (CSV), 8 (scoped
bundle) live in test_bundle.py, 10/18/19 in test_cli_input.py, 11/15 (OCR) in test_ocr.py and
test_media.py, 12 in test_age_reader.py / test_age_format.py, 14/15 (exports) in the importer tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidence import custody
from evidence.database import make_engine
from evidence.intake import add_file
from evidence.store import Store
from evidence.verification import verify_store
from tests.conftest import DEMO, PASSPHRASE, cli_env, peak_rss_mb, run_cli, run_locker, tamper

XIAOMI = DEMO / "通话录音@171 5555 0001(17155550001)_20260811091000.mp3"
SMS = DEMO / "sms-20260817.xml"
EXE = str(Path(sys.executable).parent / "locker")


def sms_backup(texts: list[str], number: str = "17155550001") -> bytes:
    rows = "".join(
        f'<sms protocol="0" address="{number}" date="{1786000000000 + i * 60000}" type="1" '
        f'body="{t}" read="1" status="-1" locked="0" />\n'
        for i, t in enumerate(texts)
    )
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
        f'<smses count="{len(texts)}">\n{rows}</smses>\n'
    ).encode()


def sql(home: Path, statement: str, *params: object) -> None:
    tamper(home, statement, params)


def objects(home: Path) -> set[str]:
    return {p.name for p in (home / "objects").iterdir()}


def no_traceback(r: object) -> None:
    text = getattr(r, "stderr", "")
    assert "Traceback" not in text


# --- evidence destroyed ---------------------------------------------------------------------


def test_p01_missing_identity_is_damage_and_init_refuses(cli_home: Path, tmp_path: Path) -> None:
    assert run_cli(cli_home, "add", str(XIAOMI)).exit_code == 0
    db_before = (cli_home / "locker.db").read_bytes()
    stored = objects(cli_home)
    (cli_home / "identity.age").rename(tmp_path / "identity.age")
    for args in (["ls"], ["verify"], ["gc"]):
        r = run_cli(cli_home, *args)
        assert r.exit_code == 5, (args, r.stderr)
        assert "identity.age is missing" in r.stderr and "locker recover" in r.stderr
        assert "locker init" not in r.stderr
    r = run_cli(cli_home, "init")
    assert r.exit_code == 2 and "already holds a locker" in r.stderr
    assert (cli_home / "locker.db").read_bytes() == db_before
    assert objects(cli_home) == stored
    (tmp_path / "identity.age").rename(cli_home / "identity.age")
    assert run_cli(cli_home, "verify").exit_code == 0


def test_p01_recover_without_identity_file(home: Path, tmp_path: Path) -> None:
    init = run_locker(home, "init")
    recovery = init.stdout.strip().splitlines()[-1]
    assert run_locker(home, "add", str(XIAOMI)).returncode == 0
    (home / "identity.age").unlink()
    key = tmp_path / "key.txt"
    key.write_text(recovery)
    r = run_locker(home, "recover", "--key-file", str(key), LOCKER_NEW_PASSPHRASE="a brand new passphrase")
    assert r.returncode == 0, r.stderr
    ok = run_locker(home, "verify", passphrase="a brand new passphrase")
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_p01_interrupted_init_can_be_redone(home: Path) -> None:
    home.mkdir(mode=0o700)
    (home / ".init-unfinished").write_bytes(b"")
    (home / "locker.db").write_bytes(b"half-made")
    (home / "objects").mkdir()
    assert run_cli(home, "init").exit_code == 0
    assert run_cli(home, "verify").exit_code == 0


def _rolled_back(cli_home: Path, tmp_path: Path) -> tuple[str, str]:
    """Add A, keep a copy of the database, add B, put the old copy back. Returns (sha A, sha B)."""
    a = tmp_path / "a.bin"
    b = tmp_path / "b.bin"
    a.write_bytes(b"evidence A " * 1000)
    b.write_bytes(b"evidence B " * 1000)
    assert run_cli(cli_home, "add", str(a)).exit_code == 0
    shutil.copy2(cli_home / "locker.db", tmp_path / "old.db")
    assert run_cli(cli_home, "add", str(b)).exit_code == 0
    for suffix in ("-wal", "-shm"):
        (cli_home / f"locker.db{suffix}").unlink(missing_ok=True)
    shutil.copy2(tmp_path / "old.db", cli_home / "locker.db")
    return hashlib.sha256(a.read_bytes()).hexdigest(), hashlib.sha256(b.read_bytes()).hexdigest()


def test_p02_rolled_back_database_is_reported_never_collected(cli_home: Path, tmp_path: Path) -> None:
    _sha_a, sha_b = _rolled_back(cli_home, tmp_path)
    stored = objects(cli_home)
    v = run_cli(cli_home, "verify")
    assert v.exit_code == 1
    assert "rolled back" in v.stdout and "not recorded" in v.stdout
    assert run_cli(cli_home, "gc").exit_code in (0, 5)
    assert objects(cli_home) == stored  # nothing complete was deleted
    # Nothing may extend the old copy until the repair records what happened.
    r = run_cli(cli_home, "add", str(DEMO / "calls-20260817.xml"))
    assert r.exit_code == 5 and "older than" in r.stderr
    assert objects(cli_home) == stored
    rep = run_cli(cli_home, "verify", "--repair")
    assert rep.exit_code == 0, rep.stdout + rep.stderr
    listed = json.loads(run_cli(cli_home, "ls", "--json").stdout)
    assert sha_b in {i["sha256"] for i in listed}
    assert run_cli(cli_home, "verify").exit_code == 0
    log = json.loads(run_cli(cli_home, "verify", "--json").stdout)
    assert log["ok"] is True


def test_p02_emptied_database_is_rolled_back_and_repaired(cli_home: Path) -> None:
    assert run_cli(cli_home, "add", str(XIAOMI), str(SMS)).exit_code == 0
    stored = objects(cli_home)
    for suffix in ("-wal", "-shm"):
        (cli_home / f"locker.db{suffix}").unlink(missing_ok=True)
    (cli_home / "locker.db").write_bytes(b"")
    v = run_cli(cli_home, "verify")
    assert v.exit_code == 1 and "rolled back" in v.stdout
    assert run_cli(cli_home, "gc").exit_code in (0, 5)
    assert objects(cli_home) == stored
    assert run_cli(cli_home, "verify", "--repair").exit_code == 0
    listed = json.loads(run_cli(cli_home, "ls", "--json").stdout)
    assert len(listed) == 2 and all(i["name"].startswith("recovered-") for i in listed)
    events = json.loads(run_cli(cli_home, "events", "--json").stdout)
    assert len(events) > 10  # the SMS export's events were extracted again from its sealed bytes


def test_p02_missing_database_repaired_from_objects(cli_home: Path) -> None:
    assert run_cli(cli_home, "add", str(XIAOMI)).exit_code == 0
    for suffix in ("", "-wal", "-shm"):
        (cli_home / f"locker.db{suffix}").unlink(missing_ok=True)
    r = run_cli(cli_home, "ls")
    assert r.exit_code == 5 and "--repair" in r.stderr
    assert run_cli(cli_home, "verify", "--repair").exit_code == 0
    assert len(json.loads(run_cli(cli_home, "ls", "--json").stdout)) == 1


def test_p02_altered_head_file_is_damage(cli_home: Path) -> None:
    doc = json.loads((cli_home / "head").read_text())
    doc["seq"] = doc["seq"] + 5
    (cli_home / "head").write_text(json.dumps(doc))
    r = run_cli(cli_home, "ls")
    assert r.exit_code == 5 and "head" in r.stderr


def test_p03_deleted_item_row_fails_verify(cli_home: Path) -> None:
    assert run_cli(cli_home, "add", str(XIAOMI), str(SMS)).exit_code == 0
    sql(cli_home, "DELETE FROM events WHERE item_id = 1")
    sql(cli_home, "DELETE FROM item_facts WHERE item_id = 1")
    sql(cli_home, "DELETE FROM items WHERE id = 1")
    v = run_cli(cli_home, "verify")
    assert v.exit_code == 1
    assert "missing from the database" in v.stdout


# --- evidence altered without notice --------------------------------------------------------


def test_p04_facts_come_from_the_sealed_bytes(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "sms-20260817.xml"
    original = sms_backup(["第一条", "第二条", "第三条"])
    path.write_bytes(original + b" " * (3 << 20))  # several read blocks
    swapped = tmp_path / "swap.xml"
    swapped.write_bytes(sms_backup([f"别的{i}" for i in range(7)]))
    replaced: list[bool] = []

    def replace_meanwhile(_n: int) -> None:  # a sync client renames a new version over the file
        if not replaced:
            os.replace(swapped, path)
            replaced.append(True)

    result = add_file(store, path, progress=replace_meanwhile)
    assert replaced
    assert result.sha256 == hashlib.sha256(original + b" " * (3 << 20)).hexdigest()
    assert result.events == 3
    from evidence.events import list_events

    assert sorted(e.text for e in list_events(store)) == sorted(["第一条", "第二条", "第三条"])


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("events", "number", "13800000000"),
        ("events", "number_class", "landline"),
        ("events", "contact", "someone else"),
        ("events", "declared", None),
        ("events", "tz_assumed", None),
        ("items", "captured_at", "2020-01-01 00:00:00.000000"),
        ("items", "name", "other.mp3"),
        ("items", "number", "13800000000"),
        ("item_facts", "value", "2020-01-01T00:00:00+00:00"),
    ],
)
def test_p05_fields_verify_did_not_cover(cli_home: Path, table: str, column: str, value: object) -> None:
    assert run_cli(cli_home, "add", str(XIAOMI)).exit_code == 0
    assert run_cli(cli_home, "verify").exit_code == 0
    key = "item_id" if table != "items" else "id"
    if value is None:  # a flag: flip it
        sql(cli_home, f"UPDATE {table} SET {column} = 1 - {column} WHERE {key} = 1")
    else:
        sql(cli_home, f"UPDATE {table} SET {column} = ? WHERE {key} = 1", value)
    v = run_cli(cli_home, "verify")
    assert v.exit_code == 1, v.stdout
    assert "was edited" in v.stdout


def test_p06_flipped_page_is_damage_not_wrong_passphrase(cli_home: Path) -> None:
    assert run_cli(cli_home, "add", str(SMS), str(DEMO / "calls-20260817.xml")).exit_code == 0
    db = cli_home / "locker.db"
    data = bytearray(db.read_bytes())
    pages = len(data) // 4096
    assert pages >= 4
    # the last page holds rows written last; the schema's pages, read at every open, may sit
    # anywhere once a migration grows the schema, and a flip there fails the open as a damaged
    # file (test_p06_first_page_damage_is_not_wrong_passphrase)
    data[(pages - 1) * 4096 + 2000] ^= 0x10
    db.write_bytes(bytes(data))
    v = run_cli(cli_home, "verify")
    assert v.exit_code == 5, v.stdout + v.stderr
    assert "page" in v.stdout.lower()
    for args in (["ls"], ["events"], ["findings"], ["verify"]):
        r = run_cli(cli_home, *args)
        assert r.exit_code in (0, 1, 5), (args, r.exit_code, r.stderr)
        assert "passphrase" not in r.stderr


def test_p06_first_page_damage_is_not_wrong_passphrase(cli_home: Path) -> None:
    db = cli_home / "locker.db"
    data = bytearray(db.read_bytes())
    data[100] ^= 0xFF
    db.write_bytes(bytes(data))
    r = run_cli(cli_home, "ls")
    assert r.exit_code == 5 and "passphrase" not in r.stderr


# --- evidence leaked ------------------------------------------------------------------------


@pytest.fixture
def big_item(cli_home: Path, tmp_path: Path) -> Path:
    big = tmp_path / "long.wav"
    with big.open("wb") as f:
        f.write(b"RIFF\x00\x00\x00\x00WAVE")
        f.write(os.urandom(1 << 20) * 400)  # 400 MiB: slow enough to be killed mid-write
    assert run_cli(cli_home, "add", str(big)).exit_code == 0
    big.unlink()
    return cli_home


def _started(args: list[str], home: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [EXE, *args], env=cli_env(home), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _wait_until_writing(folder: Path, p: subprocess.Popen[bytes], name: str) -> None:
    # The output is nameless while it is written: wait until the process has written a while.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and p.poll() is None:
        fds = Path(f"/proc/{p.pid}/fd")
        with contextlib.suppress(OSError):
            for fd in fds.iterdir():
                target = os.readlink(fd)
                if target.startswith(str(folder)) and os.stat(fd).st_size > 20 << 20:
                    return
        time.sleep(0.02)
    raise AssertionError(f"{name} never got to writing")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
@pytest.mark.parametrize("command", ["get", "export"])
def test_p07_killed_output_leaves_no_plaintext(
    big_item: Path, tmp_path: Path, sig: int, command: str
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / ("copy.wav" if command == "get" else "bundle.zip")
    args = ["get", "1", "-o", str(out)] if command == "get" else ["export", "-o", str(out)]
    p = _started(args, big_item)
    _wait_until_writing(out_dir, p, command)
    p.send_signal(sig)
    _out, err = p.communicate(timeout=30)
    assert list(out_dir.iterdir()) == []
    if sig != signal.SIGKILL:
        assert p.returncode == 130, err


def test_p07_named_temp_fallback_is_shredded_by_the_next_command(
    cli_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a file system without O_TMPFILE (a FAT USB stick) a killed command's temp is noted in
    the locker, and the next command overwrites and removes it."""
    from evidence import outputs

    out_dir = tmp_path / "usb"
    out_dir.mkdir()
    real_open = os.open

    def no_tmpfile(path: object, flags: int, *a: object) -> int:
        if flags & os.O_TMPFILE == os.O_TMPFILE:
            raise OSError(95, "Operation not supported")
        return real_open(path, flags, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(outputs.os, "open", no_tmpfile)
    with pytest.raises(RuntimeError), outputs.private_output(cli_home, out_dir / "x.zip") as f:
        f.write(b"plaintext evidence")
        leftover = [p for p in out_dir.iterdir()]
        assert len(leftover) == 1 and leftover[0].name.startswith(".tmp-")
        # Simulate SIGKILL: the process dies with the temp and its note still there.
        os.link(leftover[0], out_dir / ".tmp-killed")
        (cli_home / outputs.PENDING_FILE).write_bytes(os.fsencode(out_dir / ".tmp-killed") + b"\n")
        raise RuntimeError
    monkeypatch.undo()
    assert (out_dir / ".tmp-killed").exists()
    assert run_cli(cli_home, "ls").exit_code == 0
    assert list(out_dir.iterdir()) == []


# --- hostile and unlucky input --------------------------------------------------------------


def test_p13_folder_symlinks_fifos_and_the_locker_itself(cli_home: Path, tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "shadow"
    secret.parent.mkdir()
    secret.write_text("root:$6$hash")
    folder = tmp_path / "evidence"
    folder.mkdir()
    shutil.copy(XIAOMI, folder / XIAOMI.name)
    (folder / "shadow-link").symlink_to(secret)
    (folder / "dir-link").symlink_to(secret.parent)
    os.mkfifo(folder / "pipe")
    p = run_locker(cli_home, "add", str(folder), timeout=30)
    assert p.returncode == 0, p.stderr
    assert "symbolic link" in p.stderr and "not a regular file" in p.stderr
    listed = json.loads(run_locker(cli_home, "ls", "--json").stdout)
    assert [i["name"] for i in listed] == [XIAOMI.name]
    # The locker's own folder, directly and inside a folder given.
    r = run_locker(cli_home, "add", str(cli_home), timeout=30)
    assert r.returncode == 2 and "locker's own folder" in r.stderr
    assert len(json.loads(run_locker(cli_home, "ls", "--json").stdout)) == 1


def test_p13_locker_inside_the_folder_added_is_skipped(tmp_path: Path) -> None:
    parent = tmp_path / "case"
    home = parent / "locker"
    assert run_locker(home, "init").returncode == 0
    shutil.copy(XIAOMI, parent / XIAOMI.name)
    r = run_locker(home, "add", str(parent), timeout=30)
    assert r.returncode == 0, r.stderr
    assert "locker's own folder" in r.stderr
    assert len(json.loads(run_locker(home, "ls", "--json").stdout)) == 1


def test_p13_explicit_fifo_refused_without_blocking(cli_home: Path, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    r = run_locker(cli_home, "add", str(tmp_path / "pipe"), timeout=30)
    assert r.returncode == 4 and "not a regular file" in r.stderr


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    if subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)]
    ).returncode:
        pytest.skip("mounting a tmpfs needs root (CI runs as root)")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_p16_read_only_locker_reads_work(cli_home: Path, tmp_path: Path) -> None:
    assert run_cli(cli_home, "add", str(XIAOMI), str(SMS)).exit_code == 0
    with tmpfs(tmp_path / "media", "64m") as media:
        copy = media / "locker"
        shutil.copytree(cli_home, copy)
        subprocess.run(["mount", "-o", "remount,ro", str(media)], check=True)
        for args in (["ls"], ["show", "1"], ["events"], ["findings"]):
            r = run_locker(copy, *args)
            assert r.returncode == 0, (args, r.stderr)
        v = run_locker(copy, "verify")
        assert v.returncode == 0 and "OK" in v.stdout, v.stdout + v.stderr
        out = tmp_path / "copy.mp3"
        assert run_locker(copy, "get", "1", "-o", str(out)).returncode == 0
        assert out.read_bytes() == XIAOMI.read_bytes()
        a = run_locker(copy, "add", str(DEMO / "calls-20260817.xml"))
        assert a.returncode == 74 and "read-only" in a.stderr
        assert "passphrase" not in a.stderr
        wrong = run_locker(copy, "ls", passphrase="not the passphrase")
        assert wrong.returncode == 3


def test_p16_full_disk_says_disk_full(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "6m") as small:
        home = small / "locker"
        assert run_locker(home, "init").returncode == 0
        assert run_locker(home, "add", str(XIAOMI)).returncode == 0
        big = tmp_path / "big.wav"
        big.write_bytes(b"RIFF\x00\x00\x00\x00WAVE" + os.urandom(8 << 20))
        r = run_locker(home, "add", str(big))
        assert r.returncode == 74, r.stderr
        assert "disk" in r.stderr and "Traceback" not in r.stderr
        assert not [p for p in (home / "objects").iterdir() if p.name.startswith(".tmp-")]
        v = run_locker(home, "verify")
        assert v.returncode == 0, v.stdout + v.stderr


@pytest.mark.parametrize("target", ["fifo", "device", "missing-folder", "folder"])
def test_p17_output_must_be_a_file_in_an_existing_folder(cli_home: Path, tmp_path: Path, target: str) -> None:
    assert run_cli(cli_home, "add", str(XIAOMI)).exit_code == 0
    if target == "fifo":
        out = tmp_path / "pipe"
        os.mkfifo(out)
    elif target == "device":
        # A device node of our own: a failing build must not replace the machine's /dev/null.
        out = tmp_path / "null"
        try:
            os.mknod(out, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("making a device node needs root (CI runs as root)")
    elif target == "missing-folder":
        out = tmp_path / "no-such-folder" / "copy.mp3"
    else:
        out = tmp_path
    for args in (
        ["get", "1", "-o", str(out)],
        ["export", "-o", str(out)],
        ["report", "--to", "12321", "-o", str(out)],
    ):
        r = run_locker(cli_home, *args, timeout=30)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
    if target == "fifo":
        assert out.is_fifo()
    if target == "device":
        assert out.is_char_device()


def test_p20_gc_and_verify_during_an_add(cli_home: Path, tmp_path: Path) -> None:
    """An add is held mid-seal (its progress callback waits); gc and verify run meanwhile as
    real processes. gc refuses rather than delete the write; verify waits for it, then counts
    the new item as recorded, never as a stray object."""
    import threading

    from evidence.store import open_store

    big = tmp_path / "long.wav"
    big.write_bytes(b"RIFF\x00\x00\x00\x00WAVE" + os.urandom(3 << 20))
    store = open_store(cli_home, PASSPHRASE)
    sealing, release = threading.Event(), threading.Event()

    def hold(_n: int) -> None:
        sealing.set()
        release.wait(60)

    done: list[object] = []
    adding = threading.Thread(target=lambda: done.append(add_file(store, big, progress=hold)))
    adding.start()
    try:
        assert sealing.wait(30)
        gc = run_locker(cli_home, "gc")
        assert gc.returncode == 2 and "writing" in gc.stderr, gc.stderr
        verify = subprocess.Popen(
            [EXE, "verify", "--json"], env=cli_env(cli_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        time.sleep(1.0)
        assert verify.poll() is None  # waiting for the write to finish
    finally:
        release.set()
        adding.join(60)
    out, err = verify.communicate(timeout=60)
    store.close()
    assert done, "the add did not finish"
    report = json.loads(out)
    assert report["unrecorded"] == [] and report["ok"] is True, (report, err)
    assert run_locker(cli_home, "verify").returncode == 0


def test_p20_log_attach_holds_the_vault_lock(cli_home: Path, tmp_path: Path) -> None:
    photo = tmp_path / "door.jpg"
    shutil.copy(DEMO / "Screenshot_2026-08-12-22-48-30-517_com.tencent.mm.jpg", photo)
    r = run_locker(
        cli_home, "log", "visit", "--at", "2026-08-15T19:30", "--text", "两人上门", "--attach", str(photo)
    )
    assert r.returncode == 0, r.stderr
    assert run_locker(cli_home, "gc").returncode == 0
    assert run_locker(cli_home, "verify").returncode == 0


@pytest.mark.slow
def test_p21_export_streams_a_big_original(big_item: Path, tmp_path: Path) -> None:
    code, peak = peak_rss_mb([EXE, "export", "-o", str(tmp_path / "b.zip")], cli_env(big_item))
    assert code == 0
    assert peak < 200, f"peak RSS {peak:.0f} MB"


def test_p22_debug_output_hides_message_texts(cli_home: Path, tmp_path: Path) -> None:
    secret = "验证码739164请勿泄露"
    export = tmp_path / "sms-1.xml"
    export.write_bytes(sms_backup([secret]))
    # Failure injection: a trigger makes the insert fail the way a real database error would.
    sql(cli_home, "CREATE TRIGGER boom BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'injected'); END")
    r = run_locker(cli_home, "--debug", "add", str(export))
    assert r.returncode not in (0, 70), r.stderr
    assert secret not in r.stderr and secret not in r.stdout
    assert "739164" not in r.stderr


def test_p22_engine_errors_carry_no_parameters(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "x.db", b"k" * 32)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (v TEXT UNIQUE)")
        conn.exec_driver_sql("INSERT INTO t VALUES ('x')")
    with pytest.raises(Exception) as caught, engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t VALUES (?)", ("x",))
    assert "hidden" in str(caught.value) or "'x'" not in str(caught.value)
    engine.dispose()


def test_custody_chain_v2_redacts_and_still_links(store: Store) -> None:
    with store.transaction() as s:
        custody.append(s, "dismiss", {"finding": 1, "why_sha256": "0" * 64}, store.now())
        custody.append(s, "party", {"party": "某平台"}, store.now())
    from complaints.gather import custody_log

    log = custody_log(store)
    redacted = [custody.redact(e) if e["action"] == "dismiss" else e for e in log]
    assert custody.check_exported_chain(redacted) == []
    assert "dismiss" not in json.dumps(redacted)
    tampered = [dict(e) for e in redacted]
    tampered[-1]["detail"] = {"party": "另一个"}
    assert custody.check_exported_chain(tampered)
    assert verify_store(store).ok


def test_p12_object_sizes_are_buckets(cli_home: Path, tmp_path: Path) -> None:
    """Known files of nearby sizes give sealed objects of one size: the size names no file."""
    from evidence.age import padded_length

    sizes = (100_500, 100_700, 100_900)  # one Padmé bucket: (100 352, 102 400]
    for n in sizes:
        f = tmp_path / f"f{n}.bin"
        f.write_bytes(os.urandom(n))
        assert run_cli(cli_home, "add", str(f)).exit_code == 0
    lengths = {p.stat().st_size for p in (cli_home / "objects").iterdir()}
    assert len(lengths) == 1
    assert lengths.pop() == padded_length(100_900 + 200)  # the bucket of the largest
    assert run_cli(cli_home, "verify").exit_code == 0


def test_p19_huge_ids_and_endless_key_files_are_usage_errors(cli_home: Path, tmp_path: Path) -> None:
    for args in (["show", "99999999999999999999"], ["get", str(10**30), "-o", str(tmp_path / "x")]):
        r = run_locker(cli_home, *args)
        assert r.returncode == 2 and "Traceback" not in r.stderr, (args, r.stderr)
    r = run_locker(cli_home, "recover", "--key-file", "/dev/zero", timeout=30)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    r = run_locker(cli_home, "recover", input="x" * 100_000, timeout=30)
    assert r.returncode == 2, r.stderr


def test_p19_os_errors_get_their_own_codes(cli_home: Path, tmp_path: Path) -> None:
    """Once every OSError was exit 1 ("verification failed"): a refused path is a usage error."""
    locked = tmp_path / "locked"
    locked.mkdir()
    assert run_cli(cli_home, "add", str(XIAOMI)).exit_code == 0
    r = run_locker(cli_home, "get", "1", "-o", str(locked / "sub" / "x.mp3"))
    assert r.returncode == 2, r.stderr
