"""Trusted time on the custody head (stamp), and the locker's own settings (config)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from evidence import config, timestamps
from evidence.errors import LockerError, UsageError
from evidence.store import Store
from locker.app import Notify, OpenStore

CA_FILE_LIMIT = 4 << 20  # a root certificate is ~2 KiB; a bundle a few hundred KiB


def read_ca_file(path: Path) -> bytes:
    """A --ca file's bytes, bounded, its certificates checked to be readable."""
    try:
        with path.open("rb") as f:
            data = f.read(CA_FILE_LIMIT + 1)  # bounded: a mistaken huge file or a device is refused
    except OSError as e:
        raise UsageError(f"cannot read the CA file {path.name} ({e.strerror or type(e).__name__})") from e
    if len(data) > CA_FILE_LIMIT:
        raise UsageError(f"the CA file {path.name} is too long (more than {CA_FILE_LIMIT >> 20} MiB)")
    timestamps.load_certificates(data, f"the CA file {path.name}")
    return data


def tsa_urls(store: Store, given: Sequence[str], env_tsa: str | None) -> list[str]:
    """The TSAs to ask: `given`, else `env_tsa` ($LOCKER_TSA), else the locker's `stamp-tsa`, else
    the defaults."""
    if given:
        return [timestamps.check_url(u) for u in given]
    if env_tsa is not None and env_tsa.strip():
        return timestamps.parse_urls(env_tsa)
    configured = config.get_setting(store, config.STAMP_TSA)
    if configured.strip():
        return timestamps.parse_urls(configured)
    return timestamps.default_urls()


def _trust(store: Store, cas: Sequence[Path]) -> timestamps.TrustStore:
    return timestamps.default_trust(store, [read_ca_file(p) for p in cas])


def describe(outcome: timestamps.StampOutcome, tz: ZoneInfo) -> str:
    """One line saying what was stamped, by whom, when."""
    by = "; ".join(f"{t.tsa_name} at {t.gen_time.astimezone(tz).isoformat()}" for t in outcome.tokens)
    return f"custody head of entry {outcome.head_seq} ({outcome.head[:16]}…) time-stamped by {by}"


@dataclass(frozen=True)
class Stamped:
    outcome: timestamps.StampOutcome
    timezone: ZoneInfo


def stamp(open_store: OpenStore, tsas: Sequence[str], cas: Sequence[Path], env_tsa: str | None) -> Stamped:
    """Ask the TSAs to sign the custody head; the valid tokens go into the custody log."""
    store = open_store()
    outcome = timestamps.stamp_head(store, tsa_urls(store, tsas, env_tsa), _trust(store, cas))
    return Stamped(outcome, store.timezone)


def auto_stamp(store: Store, env_tsa: str | None, notify: Notify) -> None:
    """After `add`: one stamp if `stamp-after-add` is on and anything happened since the last.

    A failure is a warning: the add stands, its exit code is untouched, and the next stamp
    covers it."""
    try:
        if config.get_setting(store, config.STAMP_AFTER_ADD) != config.ON:
            return
        outcome = timestamps.stamp_if_due(store, tsa_urls(store, (), env_tsa), _trust(store, ()))
    except LockerError as e:
        notify(f"warning: not time-stamped ({e}); the files are added; `locker stamp` tries again")
        return
    except Exception as e:  # a bug in stamping must never cost the user an add
        notify(
            f"warning: not time-stamped (internal error {type(e).__name__}); the files are added; "
            "`locker --debug stamp` shows more"
        )
        return
    if outcome is not None:
        notify(describe(outcome, store.timezone))


# --- config -------------------------------------------------------------------------------------


def shown_setting(key: str, value: str) -> str:
    """A setting as people read it: stamp-ca as its certificates' subjects and fingerprints,
    stamp-tsa's URLs without any credentials in them."""
    if key == config.STAMP_CA and value:
        certs = timestamps.load_certificates(value.encode(), "the stored stamp-ca")
        return "; ".join(f"{c.subject.rfc4514_string()} (SHA-256 {timestamps.fingerprint(c)})" for c in certs)
    if key == config.STAMP_TSA:
        return " ".join(timestamps.public_url(u) for u in value.split())
    return value


def set_setting(open_store: OpenStore, key: str, value: str) -> str:
    """Set `key` (for stamp-ca, `value` is a file of certificates); returns the value as shown."""
    store = open_store()
    if key == config.STAMP_AFTER_ADD:
        config.set_setting(store, key, config.parse_switch(value))
    elif key == config.STAMP_TSA:
        urls = timestamps.parse_urls(value)
        if not urls:
            raise UsageError("give at least one TSA URL (`locker config unset stamp-tsa` for the defaults)")
        config.set_setting(
            store, key, " ".join(urls), lambda v: " ".join(timestamps.public_url(u) for u in v.split())
        )
    else:
        data = read_ca_file(Path(value))
        certs = timestamps.load_certificates(data, f"the CA file {Path(value).name}")
        config.set_setting(
            store,
            key,
            "".join(timestamps.pem(c) for c in certs),
            lambda _v: " ".join(timestamps.fingerprint(c) for c in certs),
        )
    return shown_setting(key, config.get_setting(store, key))


def unset_setting(open_store: OpenStore, key: str) -> None:
    config.unset_setting(open_store(), key)


def get_setting(open_store: OpenStore, key: str) -> str:
    """The stored value itself (stamp-ca: the PEM, to save or compare)."""
    return config.get_setting(open_store(), key)


@dataclass(frozen=True)
class Setting:
    key: str
    shown: str
    help: str


def list_settings(open_store: OpenStore) -> list[Setting]:
    """Every setting, with its value (or default) as shown and what it does."""
    values = config.all_settings(open_store())
    return [Setting(k, shown_setting(k, v), config.KEYS[k].help) for k, v in values.items()]
