"""The locker's keys: one X25519 identity, wrapped by the passphrase, from which every other key derives.

`identity.age` is an age file (scrypt recipient) whose plaintext is the identity in age's own
text form, so the standard tool recovers everything with the passphrase alone:

    age -d identity.age > id.txt && age -d -i id.txt objects/<name>.age > original

The identity string itself is the recovery key shown once at `locker init`. From it we derive,
with HKDF-SHA-256 and distinct labels, the SQLCipher key and the key that names objects.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from evidence import age
from evidence.atomic import atomic_write_bytes
from evidence.errors import DamagedError, LockedError, UsageError

IDENTITY_FILE = "identity.age"
MAX_LOG_N = 22  # refuse identity files asking for more than 4 GiB of scrypt memory
MIN_PASSPHRASE_CHARS = 8


@dataclass(frozen=True)
class LockerKeys:
    identity: age.X25519Identity = field(repr=False)
    db_key: bytes = field(repr=False)
    name_key: bytes = field(repr=False)
    head_key: bytes = field(repr=False)

    @property
    def recipient(self) -> age.X25519Recipient:
        return self.identity.recipient

    def object_name(self, sha256_hex: str) -> str:
        """A keyed name for the object holding content `sha256_hex`: a stranger holding a known
        file cannot test whether this locker holds it."""
        return hmac.new(self.name_key, bytes.fromhex(sha256_hex), hashlib.sha256).hexdigest()


def _derive(identity: age.X25519Identity, label: bytes) -> bytes:
    ikm = identity.encode().encode("ascii")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"locker/v1/" + label).derive(ikm)


def keys_for(identity: age.X25519Identity) -> LockerKeys:
    return LockerKeys(
        identity,
        _derive(identity, b"sqlcipher"),
        _derive(identity, b"object-name"),
        _derive(identity, b"head"),
    )


def check_passphrase_strength(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise UsageError(f"choose a passphrase of at least {MIN_PASSPHRASE_CHARS} characters")


def wrap_identity(home: Path, identity: age.X25519Identity, passphrase: str, log_n: int) -> None:
    """Write identity.age: the identity encrypted to the passphrase (atomically)."""
    check_passphrase_strength(passphrase)
    plaintext = (identity.encode() + "\n").encode("ascii")
    try:
        sealed = age.encrypt_bytes(plaintext, age.ScryptRecipient(passphrase, log_n=log_n))
    except age.AgeScryptMemoryError as e:
        raise UsageError(f"{e}: free some memory, or choose a lower LOCKER_SCRYPT_LOG_N") from e
    atomic_write_bytes(home / IDENTITY_FILE, sealed)


def unwrap_identity(home: Path, passphrase: str) -> age.X25519Identity:
    path = home / IDENTITY_FILE
    try:
        sealed = path.read_bytes()
    except FileNotFoundError as e:
        raise LockedError(f"no locker at {home}: run `locker init` first (or set LOCKER_HOME)") from e
    try:
        plaintext = age.decrypt_bytes(sealed, [age.ScryptIdentity(passphrase, max_log_n=MAX_LOG_N)])
    except (age.AgeNoMatchError, age.AgeHMACError) as e:
        raise LockedError("wrong passphrase (or use `locker recover` with the recovery key)") from e
    except age.AgeScryptMemoryError as e:  # not damage: this machine lacks the memory right now
        raise UsageError(f"{e}: free some memory and retry") from e
    except age.AgeError as e:
        raise DamagedError(
            f"{IDENTITY_FILE} is damaged: restore it from a backup or use `locker recover`"
        ) from e
    return parse_recovery_key(plaintext.decode("ascii", "replace").strip())


def parse_recovery_key(text: str) -> age.X25519Identity:
    try:
        return age.X25519Identity.parse(text.strip())
    except (age.AgeError, ValueError) as e:
        raise LockedError("that is not a recovery key (it starts with AGE-SECRET-KEY-1)") from e
