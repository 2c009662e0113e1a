"""The locker's own settings (`locker config`): kept in its encrypted database, so they travel with it.

Only the keys listed in KEYS exist; each change is a custody entry (the log says what the
locker was set to do, e.g. stamp after every add). A value that could carry a secret (a TSA
URL with a user name and password) is logged with the secret removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from evidence import custody
from evidence.errors import UsageError
from evidence.schema import Setting
from evidence.store import Store


@dataclass(frozen=True)
class Key:
    name: str
    help: str
    default: str


STAMP_AFTER_ADD = "stamp-after-add"
STAMP_TSA = "stamp-tsa"
STAMP_CA = "stamp-ca"

KEYS = {
    k.name: k
    for k in (
        Key(STAMP_AFTER_ADD, "on: after every `add`, one trusted timestamp of the custody head", "off"),
        Key(STAMP_TSA, "the TSAs `stamp` asks (URLs, space-separated) instead of templates/tsa.toml", ""),
        Key(STAMP_CA, "extra root certificates (PEM) trusted for TSA chains, e.g. a private TSA's", ""),
    )
}
# Settings the locker keeps for itself in the same table; never shown or set through `config`.
INTERNAL = frozenset({"timezone"})

ON, OFF = "on", "off"


def _check_key(key: str) -> Key:
    if key not in KEYS:
        raise UsageError(f"unknown setting {key!r}: one of {', '.join(KEYS)}")
    return KEYS[key]


def get_setting(store: Store, key: str) -> str:
    """The stored value of `key`, or its default."""
    spec = _check_key(key)
    with store.transaction() as s:
        value = s.scalar(select(Setting.value).where(Setting.key == key))
    return spec.default if value is None else value


def all_settings(store: Store) -> dict[str, str]:
    """Every key with its value (stored or default)."""
    with store.transaction() as s:
        stored = {r.key: r.value for r in s.scalars(select(Setting)) if r.key in KEYS}
    return {k: stored.get(k, spec.default) for k, spec in KEYS.items()}


def set_setting(store: Store, key: str, value: str, logged: Callable[[str], str] | None = None) -> None:
    """Store `value` under `key` and record the change; `logged` turns the value into what the
    custody log may carry (default: the value itself)."""
    _check_key(key)
    with store.transaction() as s:
        row = s.get(Setting, key)
        if row is None:
            s.add(Setting(key=key, value=value))
        else:
            row.value = value
        custody.append(s, "config", {"key": key, "value": logged(value) if logged else value}, store.now())


def unset_setting(store: Store, key: str) -> None:
    """Back to the default; recorded like a change."""
    _check_key(key)
    with store.transaction() as s:
        row = s.get(Setting, key)
        if row is not None:
            s.delete(row)
        custody.append(s, "config", {"key": key, "value": None}, store.now())


def parse_switch(value: str) -> str:
    """on/off (also yes/no, true/false, 1/0) as "on" or "off"."""
    v = value.strip().lower()
    if v in ("on", "yes", "true", "1"):
        return ON
    if v in ("off", "no", "false", "0"):
        return OFF
    raise UsageError(f"{value!r} is neither on nor off")
