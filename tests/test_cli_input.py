"""What the CLI takes in and prints: personal data off the command line, hostile names made
inert on the terminal, and out-of-range input a usage error (exit 2), never a crash."""

from __future__ import annotations

import json
import os
import pty
import resource
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, cli_env, run_cli, run_locker

ID_NUMBER = "440305199202021234"
COURT_BLUFF = "【法院调解中心】你的欠款已进入诉前调解，请2小时内添加调解员微信tj2026并缴纳保证金3000元。"
HOSTILE_NAME = "催收\x1b[31m红字\n伪造的一行\u202egpj.wav"
MIB = 1 << 20
MEMORY_CAP = 2 << 30  # bytes of address space for a locker that may read an endless file


def run_capped(
    home: Path, *args: str, passphrase: str | None = PASSPHRASE, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """`locker` as a subprocess with its memory capped, for inputs such as /dev/zero: a regression
    then fails this test with a MemoryError instead of starving the machine until the kernel
    kills something."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))

    exe = Path(sys.executable).parent / "locker"
    return subprocess.run(
        [str(exe), *args],
        env=cli_env(home, passphrase),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=cap_memory,
    )


def profile_of(home: Path) -> dict[str, str | None]:
    r = run_cli(home, "profile", "show", "--json")
    assert r.exit_code == 0, r.stderr
    doc: dict[str, str | None] = json.loads(r.stdout)
    return doc


def event_texts(home: Path) -> list[str | None]:
    r = run_cli(home, "events", "--json")
    assert r.exit_code == 0, r.stderr
    return [e["text"] for e in json.loads(r.stdout)]


class Terminal:
    """`locker` on a pseudo-terminal, so its prompts run as they do for a person.

    Answers are typed only once their prompt shows, as a person would: characters typed
    before a hidden prompt turned echo off would be echoed, and prove nothing.
    """

    def __init__(self, home: Path, *args: str, passphrase: str | None = PASSPHRASE) -> None:
        exe = str(Path(sys.executable).parent / "locker")
        env = cli_env(home, passphrase)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: becomes locker, with the pty as its controlling terminal
            try:
                os.execve(exe, [exe, *args], env)
            finally:
                os._exit(127)
        self.seen = b""

    def expect(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            if not self._read(deadline):
                raise AssertionError(f"no {text!r} on the terminal; it showed {self.seen!r}")

    def type(self, line: str) -> None:
        os.write(self.fd, line.encode() + b"\r")

    def finish(self, timeout: float = 60) -> int:
        deadline = time.monotonic() + timeout
        while self._read(deadline):
            pass
        try:
            _, status = os.waitpid(self.pid, 0)
        finally:
            os.close(self.fd)
        return os.waitstatus_to_exitcode(status)

    def _read(self, deadline: float) -> bool:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([self.fd], [], [], left)[0]:
            os.kill(self.pid, signal.SIGKILL)
            raise AssertionError(f"locker hung on the terminal; it showed {self.seen!r}")
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.seen += chunk
        return bool(chunk)


# --- personal data off the command line ------------------------------------------------------


def test_p10_profile_id_number_from_stdin_not_argv(cli_home: Path) -> None:
    r = run_cli(
        cli_home,
        "profile",
        "set",
        "--from-file",
        "-",
        input=f"# my details\nname: 王五\nid_number: {ID_NUMBER}\n\n电话：13600000000\n",
    )
    assert r.exit_code == 0, r.stderr
    assert ID_NUMBER not in r.stdout + r.stderr
    assert profile_of(cli_home) == {
        "name": "王五",
        "id_number": ID_NUMBER,
        "phone": "13600000000",
        "address": None,
    }


def test_profile_from_a_json_file_keeps_fields_left_out(cli_home: Path, tmp_path: Path) -> None:
    assert run_cli(cli_home, "profile", "set", "--name", "王五", "--phone", "13600000000").exit_code == 0
    me = tmp_path / "me.json"
    me.write_text(json.dumps({"id-number": ID_NUMBER, "address": "深圳市南山区科技园一路1号"}), "utf-8")
    r = run_cli(cli_home, "profile", "set", "--from-file", str(me))
    assert r.exit_code == 0, r.stderr
    assert profile_of(cli_home) == {
        "name": "王五",
        "id_number": ID_NUMBER,
        "phone": "13600000000",
        "address": "深圳市南山区科技园一路1号",
    }


@pytest.mark.parametrize(
    "text",
    [f"id_nmber: {ID_NUMBER}\n", f"{ID_NUMBER}\n", f'{{"id": "{ID_NUMBER}"}}', f'["{ID_NUMBER}"]'],
)
def test_profile_file_errors_never_echo_the_value(cli_home: Path, text: str) -> None:
    r = run_cli(cli_home, "profile", "set", "--from-file", "-", input=text)
    assert r.exit_code == 2
    assert "profile file" in r.stderr and ID_NUMBER not in r.stderr


def test_profile_file_and_option_for_the_same_field_exit_2(cli_home: Path) -> None:
    r = run_cli(cli_home, "profile", "set", "--from-file", "-", "--name", "王五", input="name: 王六\n")
    assert r.exit_code == 2 and "name" in r.stderr


def test_profile_prompt_hides_the_id_number(cli_home: Path) -> None:
    t = Terminal(cli_home, "profile", "set")
    t.expect("Name")
    t.type("王五")
    t.expect("not shown")
    t.type(ID_NUMBER)
    t.expect("again")
    t.type(ID_NUMBER)
    t.expect("Phone")
    t.type("")
    t.expect("Address")
    t.type("")
    assert t.finish() == 0, t.seen
    assert ID_NUMBER.encode() not in t.seen
    assert profile_of(cli_home) == {"name": "王五", "id_number": ID_NUMBER, "phone": None, "address": None}


def test_profile_without_details_or_terminal_says_how(cli_home: Path) -> None:
    r = run_cli(cli_home, "profile", "set")
    assert r.exit_code == 2 and "--from-file" in r.stderr


def test_p10_log_text_file(cli_home: Path, tmp_path: Path) -> None:
    text = "两名男子到小区门口，\n说要找物业贴告示"
    f = tmp_path / "visit.txt"
    f.write_text(text + "\n", encoding="utf-8")
    r = run_cli(cli_home, "log", "visit", "--at", "2026-08-15T19:30", "--text-file", str(f))
    assert r.exit_code == 0, r.stderr
    assert event_texts(cli_home) == [text]


def log_sms_from_stdin(home: Path, text: str) -> None:
    """`locker log sms ... --text-file -` with `text` on stdin; it must succeed."""
    r = run_cli(
        home,
        "log",
        "sms",
        "--number",
        "17155550001",
        "--at",
        "2026-08-15T10:00",
        "--text-file",
        "-",
        input=text,
    )
    assert r.exit_code == 0, r.stderr


def test_log_text_file_from_stdin(cli_home: Path) -> None:
    log_sms_from_stdin(cli_home, "今天不还钱就上门\n")
    assert event_texts(cli_home) == ["今天不还钱就上门"]


def test_log_text_and_text_file_at_once_exit_2(cli_home: Path) -> None:
    r = run_cli(
        cli_home, "log", "visit", "--at", "2026-08-15T19:30", "--text", "a", "--text-file", "-", input="b"
    )
    assert r.exit_code == 2 and "once" in r.stderr
    assert event_texts(cli_home) == []


def test_log_prompts_for_the_text_in_a_terminal(cli_home: Path) -> None:
    t = Terminal(cli_home, "log", "visit", "--at", "2026-08-15T19:30")
    t.expect("Enter for none")
    t.type("two men at the gate 两名男子")
    assert t.finish() == 0, t.seen
    assert event_texts(cli_home) == ["two men at the gate 两名男子"]


def test_p10_triage_reads_stdin(tmp_path: Path) -> None:
    r = run_cli(tmp_path / "none", "triage", "--file", "-", "--json", input=COURT_BLUFF, passphrase=None)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["verdict"] == "likely_fake"


def test_triage_file(tmp_path: Path) -> None:
    f = tmp_path / "message.txt"
    f.write_text(COURT_BLUFF, encoding="utf-8")
    r = run_cli(tmp_path / "none", "triage", "--file", str(f), "--json", passphrase=None)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["verdict"] == "likely_fake"


def test_triage_prompts_in_a_terminal(tmp_path: Path) -> None:
    t = Terminal(tmp_path / "none", "triage", "--json", passphrase=None)
    t.expect("Message text")
    t.type(COURT_BLUFF)
    assert t.finish() == 0, t.seen
    assert b"likely_fake" in t.seen


@pytest.mark.parametrize("args", [["triage"], ["triage", "--file", "-"]])
def test_triage_stdin_over_1_mib_exit_2(tmp_path: Path, args: list[str]) -> None:
    r = run_cli(tmp_path / "none", *args, input="法院" * MIB, passphrase=None)
    assert r.exit_code == 2 and "too long" in r.stderr


def test_closed_stdin_is_not_a_crash(cli_home: Path) -> None:
    exe = str(Path(sys.executable).parent / "locker")
    for args, code in ((["ls"], 0), (["triage"], 2)):
        p = subprocess.run(
            [exe, *args],
            env=cli_env(cli_home),
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=lambda: os.close(0),  # `locker ls <&-`: Python then has no sys.stdin
        )
        assert p.returncode == code, (args, p.stderr)


def test_text_files_are_bounded_even_endless_ones(cli_home: Path, tmp_path: Path) -> None:
    p = run_capped(cli_home, "log", "visit", "--at", "2026-08-15T19:30", "--text-file", "/dev/zero")
    assert p.returncode == 2 and "too long" in p.stderr
    p = run_capped(tmp_path / "none", "triage", "--file", "/dev/zero", passphrase=None)
    assert p.returncode == 2 and "too long" in p.stderr


def test_text_file_not_utf8_exit_2(cli_home: Path, tmp_path: Path) -> None:
    f = tmp_path / "gbk.txt"
    f.write_bytes("今天不还钱就上门".encode("gbk"))
    r = run_cli(cli_home, "log", "visit", "--at", "2026-08-15T19:30", "--text-file", str(f))
    assert r.exit_code == 2 and "UTF-8" in r.stderr


# --- hostile text made inert on the terminal -------------------------------------------------


def test_printable_escapes_controls_and_bidi_overrides() -> None:
    from locker.output import printable

    assert printable("a\x1b[31mb\nc\rd\te\x7f\x85\u202egpj.exe\u2066\u2069") == (
        "a\\x1b[31mb\\nc\\rd\\te\\x7f\\x85\\u202egpj.exe\\u2066\\u2069"
    )
    assert printable("好借花 ok \\ 【】") == "好借花 ok \\ 【】"


def test_p18_ls_escapes_control_characters_in_names(cli_home: Path, tmp_path: Path) -> None:
    f = tmp_path / HOSTILE_NAME
    f.write_bytes(b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * 64)
    added = run_cli(cli_home, "add", str(f))
    assert added.exit_code == 0, added.stderr
    listed = run_cli(cli_home, "ls")
    assert listed.exit_code == 0, listed.stderr
    for out in (added.stderr, listed.stdout):
        assert "\\x1b[31m红字\\n伪造的一行\\u202egpj.wav" in out
        assert "\x1b" not in out and "\u202e" not in out
        assert not any(line.startswith("伪造的一行") for line in out.splitlines())  # no forged line
    assert len(listed.stdout.splitlines()) == 3  # header, rule, one row: no forged line
    [item] = json.loads(run_cli(cli_home, "ls", "--json").stdout)
    assert item["name"] == HOSTILE_NAME  # JSON stays exact


def test_events_escape_control_characters_in_texts(cli_home: Path) -> None:
    log_sms_from_stdin(cli_home, "还钱\x1b]0;pwned\x07\x1b[2J")
    out = run_cli(cli_home, "events").stdout
    assert "还钱\\x1b]0;pwned\\x07\\x1b[2J" in out and "\x1b" not in out and "\x07" not in out


# --- exit codes ------------------------------------------------------------------------------


def test_p19_invalid_utf8_passphrase_exit_2(cli_home: Path) -> None:
    # What os.environ gives for the bytes b"\xff\xfe" (surrogateescape); the subprocess gets the bytes.
    p = run_locker(cli_home, "ls", passphrase="\udcff\udcfe" + PASSPHRASE)
    assert p.returncode == 2, p.stderr
    assert "LOCKER_PASSPHRASE" in p.stderr and "UTF-8" in p.stderr and "Traceback" not in p.stderr


def test_invalid_utf8_new_passphrase_exit_2(cli_home: Path) -> None:
    p = run_locker(cli_home, "passwd", LOCKER_NEW_PASSPHRASE="\udcff" + PASSPHRASE)
    assert p.returncode == 2 and "LOCKER_NEW_PASSPHRASE" in p.stderr
    assert run_cli(cli_home, "ls").exit_code == 0  # the old passphrase still opens it


def test_passphrase_file_not_utf8_exit_2(cli_home: Path, tmp_path: Path) -> None:
    f = tmp_path / "pass.txt"
    f.write_bytes(b"\xff\xfe" + PASSPHRASE.encode())
    r = run_cli(cli_home, "--passphrase-file", str(f), "ls", passphrase=None)
    assert r.exit_code == 2 and "UTF-8" in r.stderr


def test_p19_passphrase_file_dev_zero_bounded(cli_home: Path) -> None:
    started = time.monotonic()
    p = run_capped(cli_home, "--passphrase-file", "/dev/zero", "ls", passphrase=None, timeout=20)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert time.monotonic() - started < 15


def test_passphrase_file_too_long_exit_2(cli_home: Path, tmp_path: Path) -> None:
    f = tmp_path / "pass.txt"
    f.write_text(PASSPHRASE + "x" * 5000, encoding="utf-8")
    r = run_cli(cli_home, "--passphrase-file", str(f), "ls", passphrase=None)
    assert r.exit_code == 2 and "the passphrase file is too long" in r.stderr


def test_passphrase_file_from_a_pipe_still_works(cli_home: Path) -> None:
    p = run_locker(
        cli_home, "--passphrase-file", "/dev/stdin", "ls", passphrase=None, input=PASSPHRASE + "\n"
    )
    assert p.returncode == 0, p.stderr


def test_p19_huge_id_exit_2(cli_home: Path) -> None:
    for args in (
        ["confirm", str(10**30)],
        ["confirm", "99999999999999999999"],
        ["dismiss", str(2**63), "--why", "x"],
        ["confirm", "-1"],
    ):
        r = run_cli(cli_home, *args)
        assert r.exit_code == 2, (args, r.stderr)
        assert "internal error" not in r.stderr


def test_p19_since_year_1_exit_2(cli_home: Path, tmp_path: Path) -> None:
    for args in (
        ["events", "--since", "0001-01-01"],
        ["events", "--until", "9999-12-31"],
        ["events", "--since", "0001-01-01T00:00"],
        ["log", "visit", "--at", "0001-01-01T00:00", "--text", "x"],
        ["report", "--to", "12321", "--since", "0001-01-01", "-o", str(tmp_path / "x.pdf")],
    ):
        r = run_cli(cli_home, *args)
        assert r.exit_code == 2, (args, r.stderr)
        assert "1970" in r.stderr


def test_p19_duration_nan_and_negative_exit_2(cli_home: Path) -> None:
    log_call = ["log", "call", "--number", "17155550001", "--at", "2026-08-15T10:00", "--duration"]
    for value in ("nan", "inf", "-inf", "-50", "1e999"):
        r = run_cli(cli_home, *log_call, value)
        assert r.exit_code == 2, (value, r.stderr)
    assert event_texts(cli_home) == []
    assert run_cli(cli_home, *log_call, "42.5").exit_code == 0


def test_loan_amounts_and_dates_out_of_range_exit_2(cli_home: Path) -> None:
    assert run_cli(cli_home, "party", "add", "好借花", "--number", "17155550001").exit_code == 0
    good = {
        "--principal": "5000",
        "--received": "3500",
        "--start": "2026-06-01",
        "--schedule": "2026-06-08=5000",
    }
    for option, bad in (
        ("--principal", "NaN"),
        ("--principal", "-5000"),
        ("--principal", "1e400"),
        ("--received", "Infinity"),
        ("--start", "0001-01-01"),
        ("--schedule", "2026-06-08=NaN"),
        ("--schedule", "2026-06-08=-1"),
        ("--schedule", "9999-12-31=5000"),
    ):
        args = [a for k, v in {**good, option: bad}.items() for a in (k, v)]
        r = run_cli(cli_home, "loan", "add", "--party", "好借花", *args)
        assert r.exit_code == 2, (option, bad, r.stderr)
    r = run_cli(cli_home, "loan", "add", "--party", "好借花", *[a for kv in good.items() for a in kv])
    assert r.exit_code == 0, r.stderr


LOAN_ADD = [
    "loan",
    "add",
    "--party",
    "x",
    "--received",
    "1",
    "--start",
    "2026-06-01",
    "--schedule",
    "2026-06-08=1",
]
HOSTILE_ARGS = [
    ["dismiss", "99999999999999999999", "--why", "x"],
    ["events", "--since", "0001-01-01"],
    ["events", "--until", "9999-12-31T23:59:59-23:59"],
    ["log", "call", "--number", "17155550001", "--at", "2026-08-15T10:00", "--duration", "nan"],
    ["log", "visit", "--at", "2026-08-15T10:00", "--text-file", "/dev/zero"],
    [*LOAN_ADD, "--principal", "sNaN"],
    ["triage", "--file", "/dev/zero"],
    ["profile", "set", "--from-file", "/dev/zero"],
    ["--passphrase-file", "/dev/zero", "ls"],
]


@pytest.mark.parametrize("args", HOSTILE_ARGS, ids=lambda a: " ".join(a)[:40])
def test_hostile_input_is_a_usage_error_without_traceback(cli_home: Path, args: list[str]) -> None:
    passphrase = None if "--passphrase-file" in args else PASSPHRASE
    p = run_capped(cli_home, *args, passphrase=passphrase)
    assert p.returncode == 2, p.stderr
    assert "Traceback" not in p.stdout + p.stderr and "internal error" not in p.stderr
    assert "No such option" not in p.stderr  # refused for what it is, not as a typo
