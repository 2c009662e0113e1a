"""The command-line contract: JSON fields, exit codes, help, passphrase sources, privacy at rest."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO, PASSPHRASE, REPO, run_cli, run_locker

XIAOMI = "通话录音@171 5555 0001(17155550001)_20260811091000.mp3"
ADD_FIELDS = {"id", "kind", "name", "size", "sha256", "captured_at", "number", "duplicate", "events"}


def test_add_ls_show_get_verify_through_a_subprocess(cli_home: Path, tmp_path: Path) -> None:
    media = [
        DEMO / XIAOMI,
        DEMO / "075512345678_20260814090000.m4a",
        DEMO / "Screenshot_2026-08-12-22-48-30-517_com.tencent.mm.jpg",
    ]
    p = run_locker(cli_home, "add", "--json", *map(str, media))
    assert p.returncode == 0, p.stderr
    added = json.loads(p.stdout)
    assert isinstance(added, list) and len(added) == 3
    assert all(set(a) >= ADD_FIELDS for a in added)
    assert {a["sha256"] for a in added} == {hashlib.sha256(m.read_bytes()).hexdigest() for m in media}
    rec = next(a for a in added if a["number"] == "17155550001")
    assert rec["captured_at"] == "2026-08-11T09:10:00+08:00"
    listed = json.loads(run_locker(cli_home, "ls", "--json").stdout)
    assert [a["sha256"] for a in listed] == [a["sha256"] for a in added]
    shown = json.loads(run_locker(cli_home, "show", str(rec["id"]), "--json").stdout)
    assert shown["sha256"] == rec["sha256"] and any(f["source"] == "filename" for f in shown["facts"])
    out = tmp_path / "copy.mp3"
    assert run_locker(cli_home, "get", str(rec["id"]), "-o", str(out)).returncode == 0
    assert out.read_bytes() == (DEMO / XIAOMI).read_bytes()
    v = json.loads(run_locker(cli_home, "verify", "--json").stdout)
    assert v["ok"] is True and v["items_checked"] == 3 and v["problems"] == []


def test_duplicate_reported_in_json(cli_home: Path) -> None:
    run_cli(cli_home, "add", str(DEMO / XIAOMI))
    r = run_cli(cli_home, "add", "--json", str(DEMO / XIAOMI))
    assert r.exit_code == 0
    assert json.loads(r.stdout)[0]["duplicate"] is True


# --- one test per exit code ------------------------------------------------------------------


def test_exit_0_ok(cli_home: Path) -> None:
    assert run_cli(cli_home, "ls").exit_code == 0


def test_exit_1_verification_failed(cli_home: Path) -> None:
    run_cli(cli_home, "add", str(DEMO / XIAOMI))
    obj = next(p for p in (cli_home / "objects").iterdir())
    data = bytearray(obj.read_bytes())
    data[-5] ^= 0xFF
    obj.write_bytes(bytes(data))
    r = run_cli(cli_home, "verify")
    assert r.exit_code == 1 and "item 1:" in r.stdout


def test_exit_2_usage(cli_home: Path) -> None:
    r = run_cli(cli_home, "add")
    assert r.exit_code == 2
    assert run_cli(cli_home, "show", "999").exit_code == 2


def test_exit_3_wrong_passphrase_one_line_no_traceback(cli_home: Path) -> None:
    p = run_locker(cli_home, "ls", passphrase="not the passphrase")
    assert p.returncode == 3
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert p.stderr.startswith("locker: error: wrong passphrase")


def test_exit_3_no_passphrase_without_a_terminal(cli_home: Path) -> None:
    p = run_locker(cli_home, "ls", passphrase=None)
    assert p.returncode == 3 and "LOCKER_PASSPHRASE" in p.stderr


def test_exit_4_bad_input_file(cli_home: Path, tmp_path: Path) -> None:
    r = run_cli(cli_home, "add", str(tmp_path / "missing.jpg"))
    assert r.exit_code == 4 and "missing.jpg" in r.stderr


def test_exit_5_damaged_locker(cli_home: Path) -> None:
    (cli_home / "identity.age").write_bytes(b"age-encryption.org/v1\ngarbage\n")
    r = run_cli(cli_home, "ls")
    assert r.exit_code == 5 and "identity.age" in r.stderr


def test_two_passphrase_sources_is_an_error(cli_home: Path, tmp_path: Path) -> None:
    f = tmp_path / "pass.txt"
    f.write_text(PASSPHRASE)
    r = run_cli(cli_home, "--passphrase-file", str(f), "ls")
    assert r.exit_code == 2 and "two passphrase sources" in r.stderr
    assert run_cli(cli_home, "--passphrase-file", str(f), "ls", passphrase=None).exit_code == 0


def test_passwd_then_recover(cli_home: Path, tmp_path: Path) -> None:
    home = cli_home.parent / "second"
    p = run_locker(home, "init")
    recovery = p.stdout.strip()
    assert recovery.startswith("AGE-SECRET-KEY-1")
    r = run_cli(home, "passwd", LOCKER_NEW_PASSPHRASE="second passphrase")
    assert r.exit_code == 0, r.stderr
    assert run_cli(home, "ls").exit_code == 3
    assert run_cli(home, "ls", passphrase="second passphrase").exit_code == 0
    key = tmp_path / "key.txt"
    key.write_text(recovery + "\n")
    r = run_cli(
        home, "recover", "--key-file", str(key), passphrase=None, LOCKER_NEW_PASSPHRASE="third passphrase"
    )
    assert r.exit_code == 0, r.stderr
    assert run_cli(home, "ls", passphrase="third passphrase").exit_code == 0


def test_every_command_has_help_with_an_example() -> None:
    from locker.cli import cli

    for name, command in cli.commands.items():
        assert command.help and "Example" in command.help, name


def test_only_the_cli_layer_imports_click_or_prints() -> None:
    """Dependencies run one way: locker → complaints → evidence; only locker/ talks to the user."""
    for package in ("evidence", "complaints"):
        for path in (REPO / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names = (
                        [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                    )
                    for n in names:
                        assert not n.startswith(("click", "locker")), f"{path} imports {n}"
                        if package == "evidence":
                            assert not n.startswith("complaints"), f"{path} imports {n}"
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    assert node.func.id not in ("print", "input"), f"{path} calls {node.func.id}"


def test_no_plaintext_evidence_or_numbers_at_rest(cli_home: Path, tmp_path: Path) -> None:
    marker = b"PLAINTEXT-MARKER-7f3a9c"
    number = "17155550001"
    f = tmp_path / "通话录音@催收(17155550001)_20260811091000.wav"
    f.write_bytes(b"RIFF\x00\x00\x00\x00WAVE" + marker * 1000)
    p = run_locker(cli_home, "add", str(f), str(DEMO / "sms-20260817.xml"))
    assert p.returncode in (0, 4), p.stderr
    sms_text = "好借花".encode()
    for path in cli_home.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for needle in (marker, number.encode(), "催收".encode(), sms_text):
                assert needle not in data, f"{needle!r} found in {path.name}"
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path.name, oct(mode))


def test_two_adds_at_once_both_land(cli_home: Path, tmp_path: Path) -> None:
    files = []
    for n in range(2):
        f = tmp_path / f"rec{n}.wav"
        f.write_bytes(b"RIFF\x00\x00\x00\x00WAVE" + os.urandom(4 << 20))
        files.append(f)
    from tests.conftest import cli_env

    exe = str(Path(sys.executable).parent / "locker")
    procs = [
        subprocess.Popen(
            [exe, "add", "--json", str(f)],
            env=cli_env(cli_home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f in files
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [o[1] for o in outs]
    listed = json.loads(run_locker(cli_home, "ls", "--json").stdout)
    assert len(listed) == 2
    assert json.loads(run_locker(cli_home, "verify", "--json").stdout)["ok"] is True


@pytest.mark.parametrize("args", [["--help"], ["add", "--help"], ["--version"]])
def test_help_and_version_need_no_locker(tmp_path: Path, args: list[str]) -> None:
    r = run_cli(tmp_path / "nothing-here", *args, passphrase=None)
    assert r.exit_code == 0 and r.stdout
