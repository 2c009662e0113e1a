"""The envelope of a Huawei/Honor backup: the key material in `info.xml`, the backup password's
check, and the decryption, in memory, of the module files it lists (`sms.db`, `calllog.db`).

A backup made by HiSuite on a computer, or by the phone's Backup app (KoBackup, which puts it
under `Huawei/Backup/backupFiles1/…`), is a folder holding `info.xml` and one file per module,
each encrypted with a key derived from the password the user chose when backing up. Layout,
from RealityNet/kobackupdec kobackupdec.py (MIT; `parse_info_xml`, `Decryptor`), checked
against irsl/Huawei-Hisuite-KobackupCipherTool (a reverse-engineering of HiSuite's own cipher:
`BackupSecurityV3*`, `C0911b_CheckMsgV3`, `C0912c_hmac`, `C0914e_pbkdf2_top`) and
Lensual/KobackupCipherTool-go (README "checkMsgV3", internal/infoxml/parser.go)::

    <info.xml>
      <row table="BackupFilesTypeInfo">            once per backup
        <column name="checkMsg"><value String="…"/></column>         hex, 64 bytes (may be absent)
        <column name="e_perbackupkey"><value String="…"/></column>   hex, 48 bytes ("v4" only)
        <column name="pwkey_salt"><value String="…"/></column>       hex, 32 bytes ("v4" only)
      </row>
      <row table="BackupFileModuleInfo…">           once per module
        <column name="name"><value String="sms"/></column>           the file is <name>.db
        <column name="encMsgV3"><value String="…"/></column>         hex, 48 bytes
        <column name="checkMsgV3"><value String="…"/></column>       (may be absent)
      </row>
    </info.xml>

Every key is PBKDF2-HMAC-SHA256, 5,000 iterations, 32 bytes ("PBKDF2(secret, salt)" below):

* **Backup key.** The password's UTF-8 bytes ("v3"); or, when `e_perbackupkey` and `pwkey_salt`
  are present ("v4"), `e_perbackupkey` decrypted by AES-256-GCM with key
  PBKDF2(password, pwkey_salt[:16]) and nonce pwkey_salt[16:], first 32 bytes; kobackupdec does not
  check the GCM tag, nor do we (the password is checked below).
* **Password check** (`checkMsg`, kobackupdec `crypto_init`): PBKDF2(backup key, checkMsg[32:]) must
  equal checkMsg[:32], compared in constant time.
* **A module file** (kobackupdec `decrypt_package`; irsl `KobackupBackupSecurityv3Cipher`,
  "AES/CTR/NoPadding"): AES-256-CTR, key PBKDF2(backup key, encMsgV3[:32]), the 128-bit
  big-endian counter starting at encMsgV3[32:].
* **File check** (`checkMsgV3`, irsl and Lensual agree): items `<hmac, 64 hex><salt, 64 hex>_<file
  name>` joined by `**`; the hmac is HMAC-SHA256 over the *encrypted* file, keyed with the
  lower-case hex text of PBKDF2(password, salt). Both sources describe it for v3 backups only, so
  it is checked only there.

A backup without `checkMsg` (newer HiSuite versions write none) has its password checked on the
first file opened with it: by that file's `checkMsgV3` when it has one, else by the decrypted
file beginning as every SQLite database does. A wrong password therefore always shows, and never
yields garbage.

Not read, because no source describes it: HiSuite's self-generated password (kobackupdec README:
"does not support"), app data archives (`<package>_appDataTar/*.tar`, AES-GCM per Lensual's tool,
which fails on HiSuite 14.5), media `.enc` files, and any newer scheme: such a file decrypts to no
database and is reported, sealed, never guessed at.

The password is never logged, put in an error or kept in a repr; decrypted bytes stay in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath
from xml.etree.ElementTree import Element

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, CipherContext, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from evidence.errors import BadInputError

# info.xml names a few hundred modules at most, a few KB each; more is not a backup's.
MAX_INFO_BYTES = 16 << 20
_ITERATIONS = 5000  # kobackupdec `Decryptor.count`; irsl `C0914e_pbkdf2_top` (5000, 32)
_KEY_BYTES = 32
_SQLITE = b"SQLite format 3\x00"
_HEX = re.compile(r"[0-9a-fA-F]*")
_CHECK_ITEM = re.compile(r"([0-9a-fA-F]{64})([0-9a-fA-F]{64})_(.+)", re.DOTALL)
# How many times the user may be asked for the password of one backup.
MAX_ATTEMPTS = 3

# The modules whose files hold messages and calls, and the importer that reads each once decrypted
# (file names from kobackupdec's README and P79N6A/pa_script; see `huawei_db`).
READ_MODULES = {"sms": "huawei-sms", "calllog": "huawei-calls"}

_WHAT = "this Huawei/Honor backup"


class WrongBackupPasswordError(BadInputError):
    """The backup password given does not open the backup (or none was given). The files stay
    sealed; adding the folder again with the right password reads them."""


@dataclass(frozen=True)
class ModuleKey:
    """A module's salt and counter start (`encMsgV3`), and the check values of its files (`checkMsgV3`)."""

    name: str
    salt: bytes = field(repr=False)
    counter: bytes = field(repr=False)
    checks: dict[str, tuple[bytes, bytes]] = field(default_factory=dict, repr=False)  # file → (hmac, salt)


@dataclass(frozen=True)
class BackupInfo:
    """What `info.xml` says about the backup's encryption."""

    check: bytes | None = field(repr=False)  # checkMsg: 32 bytes expected + 32 bytes salt
    wrapped_key: bytes | None = field(repr=False)  # e_perbackupkey (v4)
    key_salt: bytes | None = field(repr=False)  # pwkey_salt (v4)
    modules: dict[str, ModuleKey] = field(default_factory=dict)

    def module_of(self, file_name: str) -> ModuleKey | None:
        """The module whose file this is (`sms.db` is module `sms`), or None."""
        return self.modules.get(PurePath(file_name).stem)

    @property
    def reads(self) -> tuple[str, ...]:
        """The modules present that hold messages or calls."""
        return tuple(m for m in READ_MODULES if m in self.modules)


@dataclass(frozen=True)
class BackupKey:
    """The backup key a password gave, and whether `checkMsg` confirmed it."""

    secret: bytes = field(repr=False)
    password: bytes = field(repr=False)  # for `checkMsgV3`, which is keyed by the password itself
    confirmed: bool
    v4: bool


def looks_like_backup_info(head: bytes) -> bool:
    """Whether a file's first bytes are a Huawei backup's `info.xml`."""
    return b"<info.xml" in head[:4096] and (b"encMsgV3" in head or b"BackupFilesTypeInfo" in head)


def read_backup_info(data: bytes) -> BackupInfo:
    """Parse `info.xml` (hostile XML refused); `BadInputError` in one line when it is not one."""
    if len(data) > MAX_INFO_BYTES:
        raise BadInputError(f"info.xml is larger than {MAX_INFO_BYTES >> 20} MiB: not a backup's")
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as e:
        raise BadInputError(
            "info.xml declares a DOCTYPE or entities, which no backup does (a known XML attack): not read"
        ) from e
    except (ParseError, ValueError, RecursionError) as e:
        raise BadInputError(
            "info.xml is not well-formed XML: the backup's key material cannot be read"
        ) from e
    if root.tag != "info.xml":
        raise BadInputError("this XML file is not a Huawei backup's info.xml")
    check = wrapped = salt = None
    modules: dict[str, ModuleKey] = {}
    for row in root.iter("row"):
        table = row.get("table") or ""
        values = _columns(row)
        if table == "BackupFilesTypeInfo":
            check = _hex(values.get("checkMsg"), 64, "checkMsg")
            wrapped = _hex(values.get("e_perbackupkey"), 48, "e_perbackupkey")
            salt = _hex(values.get("pwkey_salt"), 32, "pwkey_salt")
        elif table.startswith("BackupFileModuleInfo"):
            module = _module(values)
            if module is not None:
                modules.setdefault(module.name, module)
    return BackupInfo(check, wrapped, salt, modules)


def _columns(row: Element) -> dict[str, str]:
    """A row's `<column name=…><value String|Integer=…/></column>` as text (a Null value is absent)."""
    out: dict[str, str] = {}
    for column in row.iter("column"):
        name = column.get("name")
        value = column.find("value")
        if not name or value is None:
            continue
        text = value.get("String", value.get("Integer", value.get("Long")))
        if text is not None:
            out[name] = text.strip()
    return out


def _hex(text: str | None, size: int, what: str) -> bytes | None:
    """`size` bytes written as hex, or None when absent or empty (kobackupdec skips empty values)."""
    if not text:
        return None
    if len(text) != 2 * size or not _HEX.fullmatch(text):
        raise BadInputError(f"info.xml is damaged: its {what} is not {size} bytes written in hex")
    return bytes.fromhex(text)


def _module(values: dict[str, str]) -> ModuleKey | None:
    name = values.get("name", "")
    material = _hex(values.get("encMsgV3"), 48, "encMsgV3")
    if not name or material is None or len(name) > 255:
        return None  # nothing to decrypt this module's file with
    checks: dict[str, tuple[bytes, bytes]] = {}
    for item in values.get("checkMsgV3", "").split("**"):
        m = _CHECK_ITEM.fullmatch(item.strip())
        if m is not None:
            checks[m.group(3)] = (bytes.fromhex(m.group(1)), bytes.fromhex(m.group(2)))
    return ModuleKey(name, material[:32], material[32:], checks)


def _pbkdf2(secret: bytes, salt: bytes) -> bytes:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=_KEY_BYTES, salt=salt, iterations=_ITERATIONS)
    return kdf.derive(secret)


def backup_key(info: BackupInfo, password: str) -> BackupKey:
    """The backup key `password` gives; `WrongBackupPasswordError` when `checkMsg` says it is wrong."""
    secret = password.encode("utf-8")  # kobackupdec main: args.password.encode('utf-8')
    v4 = info.wrapped_key is not None and info.key_salt is not None
    if v4:
        assert info.wrapped_key is not None and info.key_salt is not None
        wrapping = _pbkdf2(secret, info.key_salt[:16])
        # GCM without its tag check, as kobackupdec decrypts it: the ciphertext is the plaintext
        # XOR a keystream set by key and nonce alone, and encrypting zeros gives that keystream.
        stream = AESGCM(wrapping).encrypt(info.key_salt[16:], bytes(_KEY_BYTES), None)[:_KEY_BYTES]
        key = bytes(a ^ b for a, b in zip(info.wrapped_key[:_KEY_BYTES], stream, strict=True))
    else:
        key = secret
    confirmed = False
    if info.check is not None:
        if not hmac.compare_digest(_pbkdf2(key, info.check[32:]), info.check[:32]):
            raise _wrong()
        confirmed = True
    return BackupKey(key, secret, confirmed, v4)


def check_key(key: BackupKey, module: ModuleKey, file_name: str, data: bytes) -> None:
    """Whether `key` opens this module file: its `checkMsgV3` when it has one (v3), and its first
    bytes decrypting to a SQLite database's.

    `WrongBackupPasswordError` when the key cannot be the right one; `BadInputError` when `checkMsg`
    confirmed the key and the file still fails (altered, damaged, or a scheme no source describes).
    """
    expected = module.checks.get(file_name)
    if expected is not None and not key.v4:
        mac_key = _pbkdf2(key.password, expected[1]).hex().encode("ascii")  # lower-case hex text
        if not hmac.compare_digest(hmac.new(mac_key, data, hashlib.sha256).digest(), expected[0]):
            if key.confirmed:
                raise BadInputError(
                    f"{file_name} was changed or damaged since the backup was made (its check value differs)"
                )
            raise _wrong()
    if _decryptor(key, module).update(data[: len(_SQLITE)]) != _SQLITE:
        if key.confirmed:
            raise BadInputError(
                f"{file_name} does not decrypt to a database: damaged, or made by a backup version "
                "locker cannot read (the file is sealed)"
            )
        raise _wrong()


def decrypt_module_file(
    key: BackupKey, module: ModuleKey, file_name: str, data: bytes, checked: bool = False
) -> bytes:
    """A module file's plaintext, a SQLite database, after `check_key` (unless `checked` says it was run)."""
    if not checked:
        check_key(key, module, file_name, data)
    decryptor = _decryptor(key, module)
    plain = decryptor.update(data)
    decryptor.finalize()
    return plain


def _decryptor(key: BackupKey, module: ModuleKey) -> CipherContext:
    return Cipher(algorithms.AES(_pbkdf2(key.secret, module.salt)), modes.CTR(module.counter)).decryptor()


def _wrong() -> WrongBackupPasswordError:
    return WrongBackupPasswordError(
        f"wrong backup password for {_WHAT}: its files are sealed; "
        "add the folder again with the right password to read its messages and calls"
    )


Passwords = Callable[[int], str | None]
"""Asked for the backup's password: the attempt (0, 1, 2), answered with the password or None (none
to give). Only the command layer asks the user (an environment variable or a prompt)."""


class HuaweiBackup:
    """One backup folder: its `info.xml`, and its key once a password has opened it.

    The password is asked for when the first file needing it is read, and checked before any file
    is decrypted with it (`checkMsg`, else against that file); the user may try `MAX_ATTEMPTS`
    times. A backup the password does not open stays closed: every later file gets the same error
    without asking again.
    """

    def __init__(self, info: BackupInfo, passwords: Passwords | None) -> None:
        self.info = info
        self._passwords = passwords
        self._key: BackupKey | None = None
        self._failure: WrongBackupPasswordError | None = None

    def decrypt(self, file_name: str, data: bytes) -> bytes:
        """The plaintext database of one of the backup's module files (see `check_key`)."""
        module = self.info.module_of(file_name)
        if module is None:
            raise BadInputError(f"{_WHAT}'s info.xml names no key for this file")
        checked = False
        if self._key is None:
            self._key, checked = self._open(module, file_name, data)
        return decrypt_module_file(self._key, module, file_name, data, checked)

    def _open(self, module: ModuleKey, file_name: str, data: bytes) -> tuple[BackupKey, bool]:
        """The key of the first password that opens the backup; whether this file already checked it."""
        if self._failure is not None:
            raise self._failure
        failure = WrongBackupPasswordError(
            f"{_WHAT} is encrypted and no backup password was given: its files are sealed; "
            "add the folder again with the password to read its messages and calls"
        )
        for attempt in range(MAX_ATTEMPTS):
            password = self._passwords(attempt) if self._passwords is not None else None
            if password is None:
                break
            try:
                key = backup_key(self.info, password)
                if key.confirmed:
                    return key, False
                check_key(key, module, file_name, data)  # no checkMsg: this file tells
                return key, True
            except WrongBackupPasswordError as e:
                failure = e
            finally:
                del password
        self._failure = failure
        raise failure
