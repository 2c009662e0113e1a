"""Huawei/Honor backups: folders built here by encrypting real SQLite databases the way the
backup's documented scheme does (RealityNet/kobackupdec; irsl/Huawei-Hisuite-KobackupCipherTool;
Lensual/KobackupCipherTool-go), read back with the password; wrong and missing passwords,
hostile info.xml, damaged files; and Xiaomi .bak files, still warned about."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import json
import os
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evidence.errors import BadInputError
from evidence.importers import parser_for, recognise
from evidence.importers.huawei_backup import (
    MAX_ATTEMPTS,
    HuaweiBackup,
    WrongBackupPasswordError,
    backup_key,
    read_backup_info,
)
from evidence.records import ParsedEvent, SkippedRecord
from evidence.sniff import sniff
from tests.conftest import run_cli
from tests.test_importers_bounds import SealedStream
from tests.test_importers_carrier import EXPECTED, _sbr_calls, findings_of

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "备份密码 Backup-2026"
COLLECTOR = "17155550001"

# --- the backup's databases, in the columns its tables have -----------------------------------------

# sms_tb as P79N6A/pa_script android_sms.py lists it (no _id; rows keyed by group_id), the MMS tables
# with the Telephony provider's columns (pdu_tb, addr_tb, part_tb, same source).
SMS_TB = (
    "CREATE TABLE sms_tb (group_id INTEGER, date INTEGER, address TEXT, read INTEGER, date_sent INTEGER,"
    " subject TEXT, sub_id INTEGER, reply_path_present INTEGER, type INTEGER, body TEXT, seen INTEGER,"
    " thread_id INTEGER, protocol INTEGER, time_body TEXT, addr_body TEXT, service_center TEXT,"
    " error_code INTEGER, locked INTEGER, network_type INTEGER, status INTEGER)"
)
MMS_TB = (
    "CREATE TABLE pdu_tb (_id INTEGER, thread_id INTEGER, date INTEGER, date_sent INTEGER, msg_box INTEGER,"
    " read INTEGER, m_id TEXT, sub TEXT, ct_t TEXT, m_type INTEGER, sub_id INTEGER, seen INTEGER)",
    "CREATE TABLE addr_tb (_id INTEGER, msg_id INTEGER, contact_id INTEGER, address TEXT, type INTEGER,"
    " charset INTEGER)",
    "CREATE TABLE part_tb (_id INTEGER, mid INTEGER, seq INTEGER, ct TEXT, name TEXT, chset INTEGER,"
    " cl TEXT, _data TEXT, text TEXT)",
)
# calls_tb: the CallLog provider's columns Huawei's backup copies (number, type, date, duration,
# subscription) and those pa_script's android_callrecord.py reads besides (name, geocoded_location …).
CALLS_TB = (
    "CREATE TABLE calls_tb (number TEXT, date INTEGER, duration INTEGER, type INTEGER, name TEXT,"
    " subscription_id TEXT, geocoded_location TEXT, ring_times INTEGER, mark_type TEXT,"
    " countryiso TEXT, mark_content TEXT, presentation INTEGER)"
)


def millis(local: datetime) -> int:
    return int(local.timestamp() * 1000)


# Three messages: a collector's threat at night, the borrower's reply, a draft (never sent).
T1 = datetime(2026, 3, 2, 22, 40, tzinfo=TZ)
SMS_ROWS = [
    (1, millis(T1), COLLECTOR, 1, "【闪电贷】今天不还钱就去你单位找你领导"),
    (2, millis(T1) + 60_000, COLLECTOR, 2, "我会还的"),
    (3, millis(T1) + 120_000, COLLECTOR, 3, "草稿"),
]


def sms_db(rows: Iterable[tuple[int, int, str, int, str]] = SMS_ROWS, mms: bool = True) -> bytes:
    db = sqlite3.connect(":memory:")
    db.execute(SMS_TB)
    for statement in MMS_TB:
        db.execute(statement)
    db.executemany(
        "INSERT INTO sms_tb (group_id, date, address, type, body, read, seen, thread_id, protocol, status)"
        " VALUES (?, ?, ?, ?, ?, 1, 1, 7, 0, -1)",
        rows,
    )
    if mms:
        date = millis(T1) // 1000 + 600  # MMS dates are in seconds
        db.execute(
            "INSERT INTO pdu_tb (_id, thread_id, date, msg_box, m_type) VALUES (5, 7, ?, 1, 132)", (date,)
        )
        db.executemany(
            "INSERT INTO addr_tb (_id, msg_id, address, type, charset) VALUES (?, 5, ?, ?, 106)",
            [(1, COLLECTOR, 137), (2, "insert-address-token", 151)],
        )
        db.executemany(
            "INSERT INTO part_tb (_id, mid, seq, ct, text) VALUES (?, 5, ?, ?, ?)",
            [
                (1, -1, "application/smil", "<smil/>"),
                (2, 0, "text/plain", "逾期通知"),
                (3, 1, "image/jpeg", None),
            ],
        )
    data = db.serialize()
    db.close()
    return bytes(data)


def calllog_db(calls: Sequence[tuple[datetime, str, str, float | None]] = EXPECTED) -> bytes:
    """The same calls as tests.test_importers_carrier's (incoming 1, outgoing 2)."""
    db = sqlite3.connect(":memory:")
    db.execute(CALLS_TB)
    db.executemany(
        "INSERT INTO calls_tb (number, date, duration, type, name, countryiso, presentation)"
        " VALUES (?, ?, ?, ?, NULL, 'CN', 1)",
        [(number, millis(at), int(seconds or 0), 1 if d == "in" else 2) for at, d, number, seconds in calls],
    )
    data = db.serialize()
    db.close()
    return bytes(data)


# --- the backup's encryption, written from the documented scheme -----------------------------------


def pbkdf2(secret: bytes, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", secret, salt, 5000, 32)


def ctr(key: bytes, counter: bytes, data: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CTR(counter)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


@dataclass
class Backup:
    folder: Path
    info_xml: bytes
    files: dict[str, bytes]  # encrypted, as on disk


def column(name: str, value: str | None) -> str:
    inner = '<value Null="null"/>' if value is None else f'<value String="{value}"/>'
    return f'<column name="{name}">{inner}</column>'


def make_backup(
    folder: Path,
    databases: dict[str, bytes],
    password: str = PASSWORD,
    check_msg: bool = False,
    check_msg_v3: bool = True,
    v4: bool = False,
    extra_modules: Sequence[str] = (),
) -> Backup:
    """A backup folder: info.xml and each database encrypted as `<module>.db` (huawei_backup docstring)."""
    secret = password.encode("utf-8")
    rows = ['<row table="HeaderInfo"><column name="version"><value Integer="3"/></column></row>']
    key = secret
    wrapped = key_salt = None
    if v4:
        key = os.urandom(32)
        key_salt = os.urandom(32)
        wrapped = AESGCM(pbkdf2(secret, key_salt[:16])).encrypt(key_salt[16:], key, None)  # 32 + 16-byte tag
    check = None
    if check_msg:
        salt = os.urandom(32)
        check = (pbkdf2(key, salt) + salt).hex()
    rows.append(
        '<row table="BackupFilesTypeInfo">'
        + '<column name="encrypt_type"><value Integer="1"/></column>'
        + '<column name="type_attch"><value Integer="3"/></column>'
        + column("checkMsg", check)
        + column("e_perbackupkey", wrapped.hex() if wrapped else None)
        + column("pwkey_salt", key_salt.hex() if key_salt else None)
        + "</row>"
    )
    files: dict[str, bytes] = {}
    for module, plain in [*databases.items(), *((m, os.urandom(2048)) for m in extra_modules)]:
        salt, counter = os.urandom(32), os.urandom(16)
        name = f"{module}.db"
        files[name] = encrypted = ctr(pbkdf2(key, salt), counter, plain)
        checks = ""
        if check_msg_v3:
            mac_salt = os.urandom(32)
            mac = hmac.new(pbkdf2(secret, mac_salt).hex().encode(), encrypted, hashlib.sha256).hexdigest()
            checks = f"{mac}{mac_salt.hex()}_{name}"
        rows.append(
            '<row table="BackupFileModuleInfo_SystemData">'
            + column("name", module)
            + column("encMsgV3", (salt + counter).hex())
            + column("checkMsgV3", checks or None)
            + '<column name="recordTotal"><value Integer="3"/></column>'
            + "</row>"
        )
    info = (
        "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>\n<info.xml>\n"
        + "\n".join(rows)
        + "\n</info.xml>\n"
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "info.xml").write_text(info, encoding="utf-8")
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return Backup(folder, info.encode("utf-8"), files)


def asking(*answers: str | None) -> tuple[list[int], object]:
    asked: list[int] = []

    def passwords(attempt: int) -> str | None:
        asked.append(attempt)
        return answers[attempt] if attempt < len(answers) else None

    return asked, passwords


def events_of(export_format: str, data: bytes) -> list[ParsedEvent]:
    out = list(parser_for(export_format).parse(SealedStream(data), TZ))
    assert not [o for o in out if isinstance(o, SkippedRecord)]
    return [o for o in out if isinstance(o, ParsedEvent)]


def opened(backup: Backup, name: str, *answers: str | None) -> bytes:
    _, passwords = asking(*answers)
    return HuaweiBackup(read_backup_info(backup.info_xml), passwords).decrypt(name, backup.files[name])  # type: ignore[arg-type]


# --- decryption ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        {"check_msg_v3": True},  # HiSuite 10+: no checkMsg; each file's HMAC checks the password
        {"check_msg": True, "check_msg_v3": False},  # older: BackupFilesTypeInfo.checkMsg
        {"check_msg": False, "check_msg_v3": False},  # neither: the decrypted SQLite header tells
        {"v4": True, "check_msg": True, "check_msg_v3": False},  # e_perbackupkey wrapped by pwkey_salt
    ],
)
def test_a_backup_folder_decrypts_to_its_databases(tmp_path: Path, variant: dict[str, bool]) -> None:
    plain = {"sms": sms_db(), "calllog": calllog_db()}
    backup = make_backup(tmp_path / "HUAWEI P30_2026-03-05", plain, **variant)
    assert all(backup.files[f"{m}.db"] != data for m, data in plain.items())
    info = read_backup_info(backup.info_xml)
    assert info.reads == ("sms", "calllog")
    _, passwords = asking(PASSWORD)
    opened_backup = HuaweiBackup(info, passwords)  # type: ignore[arg-type]
    assert opened_backup.decrypt("sms.db", backup.files["sms.db"]) == plain["sms"]
    assert opened_backup.decrypt("calllog.db", backup.files["calllog.db"]) == plain["calllog"]


def test_the_messages_are_read_with_direction_number_local_time_and_text(tmp_path: Path) -> None:
    backup = make_backup(tmp_path / "b", {"sms": sms_db()})
    events = events_of("huawei-sms", opened(backup, "sms.db", PASSWORD))
    assert [(e.kind, e.direction, e.raw_number, e.at.astimezone(TZ), e.text) for e in events] == [
        ("sms", "in", COLLECTOR, T1, "【闪电贷】今天不还钱就去你单位找你领导"),
        ("sms", "out", COLLECTOR, datetime(2026, 3, 2, 22, 41, tzinfo=TZ), "我会还的"),
        ("mms", "in", COLLECTOR, datetime(2026, 3, 2, 22, 50, tzinfo=TZ), "逾期通知\n[image/jpeg]"),
    ]  # the draft is no act of contact
    assert [e.source_ref for e in events] == ["sms 1", "sms 2", "mms 5"]  # rowid: sms_tb has no _id


def test_the_calls_are_read_and_give_the_findings_the_same_calls_give_from_sbr(tmp_path: Path) -> None:
    backup = make_backup(tmp_path / "b", {"calllog": calllog_db()})
    calls = events_of("huawei-calls", opened(backup, "calllog.db", PASSWORD))
    assert [(e.at, e.direction, e.raw_number, e.duration) for e in calls] == EXPECTED
    assert [e.status for e in calls] == ["answered", "answered", None, "answered", "answered"]
    sbr = events_of("sbr-calls", _sbr_calls())
    assert findings_of(calls) == findings_of(sbr)
    assert any(rule == "night-contact" for rule, _, _ in findings_of(calls))


def test_databases_decrypted_elsewhere_are_recognised_by_their_tables() -> None:
    """kobackupdec writes sms.db and calllog.db in the clear: they are read as the backup's own."""
    for data, found in ((sms_db(), "huawei-sms"), (calllog_db(), "huawei-calls")):
        stream = SealedStream(data)
        head = data[:65536]
        assert recognise(sniff(head, "sms.db"), stream, head, "sms.db").export_format == found
        assert events_of(found, data)


# --- passwords -------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", [{"check_msg_v3": True}, {"check_msg": True}, {"check_msg_v3": False}])
def test_a_wrong_password_is_asked_again_then_refused_in_one_line(
    tmp_path: Path, variant: dict[str, bool]
) -> None:
    backup = make_backup(tmp_path / "b", {"sms": sms_db(), "calllog": calllog_db()}, **variant)
    asked, passwords = asking("wrong-1", "wrong-2", "wrong-3", PASSWORD)
    folder = HuaweiBackup(read_backup_info(backup.info_xml), passwords)  # type: ignore[arg-type]
    with pytest.raises(WrongBackupPasswordError) as e:
        folder.decrypt("sms.db", backup.files["sms.db"])
    message = str(e.value)
    assert "wrong backup password" in message and "\n" not in message and "wrong-" not in message
    assert asked == list(range(MAX_ATTEMPTS))
    with pytest.raises(WrongBackupPasswordError):  # the next file: not asked again
        folder.decrypt("calllog.db", backup.files["calllog.db"])
    assert asked == list(range(MAX_ATTEMPTS))


def test_the_right_password_on_a_second_try_opens_the_backup(tmp_path: Path) -> None:
    backup = make_backup(tmp_path / "b", {"sms": sms_db()})
    asked, passwords = asking("typo", PASSWORD)
    folder = HuaweiBackup(read_backup_info(backup.info_xml), passwords)  # type: ignore[arg-type]
    assert folder.decrypt("sms.db", backup.files["sms.db"]) == sms_db()
    assert asked == [0, 1]


def test_no_password_says_so(tmp_path: Path) -> None:
    backup = make_backup(tmp_path / "b", {"sms": sms_db()})
    with pytest.raises(WrongBackupPasswordError, match="no backup password was given"):
        opened(backup, "sms.db", None)


def test_the_backup_key_keeps_no_secret_in_its_repr(tmp_path: Path) -> None:
    backup = make_backup(tmp_path / "b", {"sms": sms_db()}, check_msg=True)
    key = backup_key(read_backup_info(backup.info_xml), PASSWORD)
    assert key.confirmed and PASSWORD not in repr(key) and PASSWORD.encode().hex() not in repr(key)


@pytest.mark.parametrize(
    ("check_msg_v3", "says"),
    [(True, "changed or damaged since the backup was made"), (False, "does not decrypt to a database")],
)
def test_a_file_altered_after_the_backup_is_not_taken_for_a_wrong_password(
    tmp_path: Path, check_msg_v3: bool, says: str
) -> None:
    backup = make_backup(tmp_path / "b", {"sms": sms_db()}, check_msg=True, check_msg_v3=check_msg_v3)
    damaged = bytearray(backup.files["sms.db"])
    damaged[0] ^= 0xFF
    info = read_backup_info(backup.info_xml)
    _, passwords = asking(PASSWORD)
    with pytest.raises(BadInputError, match=says) as e:
        HuaweiBackup(info, passwords).decrypt("sms.db", bytes(damaged))  # type: ignore[arg-type]
    assert not isinstance(e.value, WrongBackupPasswordError)


# --- hostile and broken info.xml -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><info.xml>&a;</info.xml>', "DOCTYPE"),
        (b"<info.xml><row table='BackupFilesTypeInfo'>", "not well-formed"),
        (b"<other/>", "not a Huawei backup"),
        (
            b'<info.xml><row table="BackupFileModuleInfo"><column name="name"><value String="sms"/></column>'
            b'<column name="encMsgV3"><value String="zz"/></column></row></info.xml>',
            "encMsgV3 is not 48 bytes",
        ),
        (b"\xff\xfe\x00<\x00i", "not well-formed"),
    ],
)
def test_a_bad_info_xml_is_one_line_of_bad_input(content: bytes, says: str) -> None:
    with pytest.raises(BadInputError, match=says) as e:
        read_backup_info(content)
    assert "\n" not in str(e.value)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_any_info_xml_bytes_give_backup_info_or_bad_input(data: bytes) -> None:
    with contextlib.suppress(BadInputError):
        read_backup_info(b"<info.xml>" + data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_damage_to_an_encrypted_file_gives_events_or_bad_input(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    backup = _fuzz_backup(tmp_path_factory)
    encrypted = bytearray(backup.files["sms.db"])
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(encrypted) - 1))
        if data.draw(st.booleans()):
            encrypted[at] ^= data.draw(st.integers(1, 255))
        else:
            del encrypted[at:]
            if not encrypted:
                break
    try:
        folder = HuaweiBackup(read_backup_info(backup.info_xml), lambda n: PASSWORD if n == 0 else None)
        plain = folder.decrypt("sms.db", bytes(encrypted))
        for event in parser_for("huawei-sms").parse(io.BytesIO(plain), TZ):
            assert isinstance(event, ParsedEvent | SkippedRecord)
    except BadInputError as e:
        assert "\n" not in str(e) and PASSWORD not in str(e)


_FUZZ_BACKUP: list[Backup] = []


def _fuzz_backup(factory: pytest.TempPathFactory) -> Backup:
    if not _FUZZ_BACKUP:
        _FUZZ_BACKUP.append(
            make_backup(factory.mktemp("fuzz"), {"sms": sms_db()}, check_msg=True, check_msg_v3=False)
        )
    return _FUZZ_BACKUP[0]


# --- through `locker add` --------------------------------------------------------------------------


def test_adding_the_folder_reads_messages_and_calls(cli_home: Path, tmp_path: Path) -> None:
    backup = make_backup(
        tmp_path / "backupFiles1" / "2026-03-05",
        {"sms": sms_db(), "calllog": calllog_db()},
        extra_modules=["contact"],
    )
    r = run_cli(cli_home, "add", "--json", str(tmp_path / "backupFiles1"), LOCKER_BACKUP_PASSWORD=PASSWORD)
    assert r.exit_code == 0, r.stderr
    added = {a["name"]: a for a in json.loads(r.stdout)}
    assert {n: (a["kind"], a["events"], a["warning"]) for n, a in added.items()} == {
        "info.xml": ("document", 0, None),
        "calllog.db": ("export", 5, None),
        "contact.db": ("document", 0, None),  # encrypted, not messages or calls: sealed only
        "sms.db": ("export", 3, None),
    }
    assert PASSWORD not in r.stdout + r.stderr
    listed = json.loads(run_cli(cli_home, "events", "--json").stdout)
    collector = [e for e in listed if e["number"] == COLLECTOR]
    assert len(collector) == 7 and {e["kind"] for e in collector} == {"sms", "mms", "call"}
    # The originals are kept byte for byte, encrypted as received.
    out = tmp_path / "back"
    assert run_cli(cli_home, "get", str(added["sms.db"]["id"]), "-o", str(out)).exit_code == 0
    assert out.read_bytes() == backup.files["sms.db"]


def test_a_wrong_password_seals_everything_and_the_right_one_later_reads_it(
    cli_home: Path, tmp_path: Path
) -> None:
    make_backup(tmp_path / "b", {"sms": sms_db(), "calllog": calllog_db()}, check_msg=True)
    wrong = run_cli(cli_home, "add", "--json", str(tmp_path / "b"), LOCKER_BACKUP_PASSWORD="not-it")
    assert wrong.exit_code == 4
    first = {a["name"]: a for a in json.loads(wrong.stdout)}
    for name in ("sms.db", "calllog.db"):
        assert first[name]["events"] == 0 and not first[name]["duplicate"]
        assert first[name]["warning"].startswith("wrong backup password for this Huawei/Honor backup")
        assert "not-it" not in first[name]["warning"]
    assert len(json.loads(run_cli(cli_home, "ls", "--json").stdout)) == 3  # all sealed

    right = run_cli(cli_home, "add", "--json", str(tmp_path / "b"), LOCKER_BACKUP_PASSWORD=PASSWORD)
    assert right.exit_code == 0, right.stderr
    again = {a["name"]: a for a in json.loads(right.stdout)}
    assert {n: (a["duplicate"], a["events"]) for n, a in again.items()} == {
        "info.xml": (True, 0),
        "calllog.db": (True, 5),
        "sms.db": (True, 3),
    }
    assert run_cli(cli_home, "verify").exit_code == 0  # the events' custody entries check out
    third = run_cli(cli_home, "add", "--json", str(tmp_path / "b"), LOCKER_BACKUP_PASSWORD=PASSWORD)
    assert [a["events"] for a in json.loads(third.stdout)] == [0, 5, 3]  # not read twice
    assert len(json.loads(run_cli(cli_home, "events", "--json").stdout)) == 8


def test_without_a_password_and_no_terminal_the_files_are_sealed_with_a_warning(
    cli_home: Path, tmp_path: Path
) -> None:
    make_backup(tmp_path / "b", {"sms": sms_db()})
    r = run_cli(cli_home, "add", "--json", str(tmp_path / "b"))
    assert r.exit_code == 4
    [_, sms] = json.loads(r.stdout)
    assert "no backup password was given" in sms["warning"]


def test_a_backup_without_messages_or_calls_says_so(cli_home: Path, tmp_path: Path) -> None:
    make_backup(tmp_path / "b", {}, extra_modules=["contact"])
    r = run_cli(cli_home, "add", "--json", str(tmp_path / "b"), LOCKER_BACKUP_PASSWORD=PASSWORD)
    assert r.exit_code == 4
    info = next(a for a in json.loads(r.stdout) if a["name"] == "info.xml")
    assert "holds no messages or call log" in info["warning"]


def test_the_password_prompt_asks_without_echo_and_again_after_a_wrong_one(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from locker.context import AppContext

    app = AppContext(home=tmp_path, env={}, interactive=True)
    with CliRunner().isolation(input="first\nsecond\n\n") as (_out, err, _):
        assert app.backup_password("HUAWEI P30", 0) == "first"
        assert app.backup_password("HUAWEI P30", 1) == "second"
        assert app.backup_password("HUAWEI P30", 2) is None  # Enter skips
        shown = err.getvalue().decode()
    assert "first" not in shown and "second" not in shown and "HUAWEI P30" in shown
    env_app = AppContext(home=tmp_path, env={"LOCKER_BACKUP_PASSWORD": "x"}, interactive=True)
    assert env_app.backup_password("b", 0) == "x" and env_app.backup_password("b", 1) is None


# --- Xiaomi .bak: recognised, sealed, still not read ------------------------------------------------


def miui_bak(package: str, label: str) -> bytes:
    """A MIUI .bak: five header lines, an Android backup header, then an (empty) uncompressed tar."""
    header = f"MIUI BACKUP\n2\n{package} {label}\n-1\n0\n".encode()
    return header + b"ANDROID BACKUP\n5\n0\nnone\n" + bytes(1024)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (miui_bak("com.android.mms", "短信"), "Xiaomi backup (.bak) of Messages 短信 (com.android.mms)"),
        (miui_bak("com.tencent.mm", "微信"), "Xiaomi backup (.bak) of com.tencent.mm"),
        (b"MIUI BACKUP\n2\n\x1b[31m17155550001\n" + bytes(64), "Xiaomi backup (.bak), which"),
    ],
)
def test_a_xiaomi_backup_is_sealed_and_says_which_app_it_holds(
    cli_home: Path, tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "短信(com.android.mms).bak"
    path.write_bytes(content)
    r = run_cli(cli_home, "add", "--json", str(path))
    assert r.exit_code == 4
    [added] = json.loads(r.stdout)
    assert says in added["warning"] and "17155550001" not in added["warning"]
    assert added["events"] == 0 and added["kind"] == "document"


def test_the_time_is_local_whatever_the_machine_timezone(tmp_path: Path) -> None:
    backup = make_backup(tmp_path / "b", {"sms": sms_db(mms=False)})
    [first, *_] = events_of("huawei-sms", opened(backup, "sms.db", PASSWORD))
    assert first.at.tzinfo is not None and first.at.astimezone(UTC) == T1.astimezone(UTC)
