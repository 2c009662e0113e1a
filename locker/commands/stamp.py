"""Trusted time on the custody head (`stamp`), and the locker's own settings (`config`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from evidence import config, timestamps
from evidence.errors import LockerError, UsageError
from evidence.store import Store
from locker.context import ENV_TSA, AppContext, read_at_most
from locker.options import json_option, pass_app
from locker.output import emit_json, iso_local, printable, status, table

CA_FILE_LIMIT = 4 << 20  # a root certificate is ~2 KiB; a bundle a few hundred KiB

ca_option = click.option(
    "--ca",
    "cas",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Also trust the root certificates in FILE (PEM or DER) for TSA chains, e.g. a private "
    "TSA's (repeatable; `locker config set stamp-ca FILE` keeps one in the locker).",
)


def read_ca_file(path: Path) -> bytes:
    """A --ca file's bytes, bounded, its certificates checked to be readable."""
    try:
        with path.open("rb") as f:
            data = read_at_most(f, CA_FILE_LIMIT, f"the CA file {path.name}")
    except OSError as e:
        raise UsageError(f"cannot read the CA file {path.name} ({e.strerror or type(e).__name__})") from e
    timestamps.load_certificates(data, f"the CA file {path.name}")
    return data


def tsa_urls(app: AppContext, store: Store, given: Sequence[str]) -> list[str]:
    """The TSAs to ask: --tsa, else $LOCKER_TSA, else the locker's `stamp-tsa`, else the defaults."""
    if given:
        return [timestamps.check_url(u) for u in given]
    if app.env.get(ENV_TSA, "").strip():
        return timestamps.parse_urls(app.env[ENV_TSA])
    configured = config.get_setting(store, config.STAMP_TSA)
    if configured.strip():
        return timestamps.parse_urls(configured)
    return timestamps.default_urls()


def stamp_trust(store: Store, cas: Sequence[Path]) -> timestamps.TrustStore:
    return timestamps.default_trust(store, [read_ca_file(p) for p in cas])


def _token_json(t: timestamps.Token, store: Store) -> dict[str, Any]:
    return {
        "tsa": t.tsa,
        "tsa_name": t.tsa_name,
        "gen_time": iso_local(t.gen_time, store.timezone),
        "serial": str(t.serial),
    }


def _describe(outcome: timestamps.StampOutcome, store: Store) -> str:
    by = "; ".join(f"{t.tsa_name} at {iso_local(t.gen_time, store.timezone)}" for t in outcome.tokens)
    return f"custody head of entry {outcome.head_seq} ({outcome.head[:16]}…) time-stamped by {by}"


@click.command()
@click.option(
    "--tsa",
    "tsas",
    multiple=True,
    metavar="URL",
    help=f"Ask this RFC 3161 TSA (repeatable; each is asked). Default: ${ENV_TSA}, else "
    "`locker config set stamp-tsa`, else the public TSAs in templates/tsa.toml.",
)
@ca_option
@json_option
@pass_app
def stamp(app: AppContext, tsas: tuple[str, ...], cas: tuple[Path, ...], as_json: bool) -> None:
    """Have time-stamping authorities sign the custody head (RFC 3161 trusted timestamp).

    Sends only the head hash (with a nonce) to each TSA, checks every reply (status, imprint,
    nonce, signature, the TSA certificate's timeStamping usage, its chain to a trusted root)
    and records the valid tokens in the custody log. A stamp proves the locker's state (every
    original added so far) existed no later than the TSA's time; it does not prove who made the
    evidence or that it is true. Reports print the latest stamp; `export` carries the tokens and
    the `openssl ts -verify` line that checks them. Offline, refused, or no valid token: exit 4,
    nothing written.

    \b
    Example:
      locker stamp
      locker stamp --tsa https://tsa.example.cn/tsa --ca tsa-root.pem
    """
    store = app.store()
    outcome = timestamps.stamp_head(store, tsa_urls(app, store, tsas), stamp_trust(store, cas))
    for line in outcome.failures:
        status(f"warning: {line}")
    if as_json:
        emit_json(
            {
                "entry": outcome.entry,
                "head_seq": outcome.head_seq,
                "head": outcome.head,
                "tokens": [_token_json(t, store) for t in outcome.tokens],
                "failed": list(outcome.failures),
            }
        )
        return
    click.echo(printable(_describe(outcome, store)))


def auto_stamp(app: AppContext) -> None:
    """After `add`: one stamp if `stamp-after-add` is on and anything happened since the last.

    A failure is a warning: the add stands, its exit code is untouched, and the next stamp
    covers it."""
    store = app.store()
    try:
        if config.get_setting(store, config.STAMP_AFTER_ADD) != config.ON:
            return
        outcome = timestamps.stamp_if_due(store, tsa_urls(app, store, ()), stamp_trust(store, ()))
    except LockerError as e:
        status(f"warning: not time-stamped ({e}); the files are added; `locker stamp` tries again")
        return
    except Exception as e:  # a bug in stamping must never cost the user an add
        status(
            f"warning: not time-stamped (internal error {type(e).__name__}); the files are added; "
            "`locker --debug stamp` shows more"
        )
        return
    if outcome is not None:
        status(_describe(outcome, store))


# --- config -------------------------------------------------------------------------------------


def _shown(key: str, value: str) -> str:
    if key == config.STAMP_CA and value:
        certs = timestamps.load_certificates(value.encode(), "the stored stamp-ca")
        return "; ".join(f"{c.subject.rfc4514_string()} (SHA-256 {timestamps.fingerprint(c)})" for c in certs)
    if key == config.STAMP_TSA:
        return " ".join(timestamps.public_url(u) for u in value.split())
    return value


@click.group(name="config")
def config_group() -> None:
    """Settings kept inside the locker (they travel with it; each change is logged).

    \b
    Keys:
      stamp-after-add  on|off: after every `add`, one trusted timestamp (default off)
      stamp-tsa        the TSAs `stamp` asks: URLs, space-separated
      stamp-ca         a PEM file of roots trusted for TSA chains (a private TSA's)

    \b
    Example:
      locker config set stamp-after-add on
      locker config ls
    """


@config_group.command(name="set")
@click.argument("key", type=click.Choice(sorted(config.KEYS)))
@click.argument("value")
@pass_app
def config_set(app: AppContext, key: str, value: str) -> None:
    """Set KEY to VALUE (for stamp-ca, VALUE is a file of certificates).

    \b
    Example:
      locker config set stamp-after-add on
      locker config set stamp-tsa "https://tsa.example.cn/tsa http://timestamp.digicert.com"
      locker config set stamp-ca tsa-root.pem
    """
    store = app.store()
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
    status(f"{key} = {printable(_shown(key, config.get_setting(store, key)))}")


@config_group.command(name="unset")
@click.argument("key", type=click.Choice(sorted(config.KEYS)))
@pass_app
def config_unset(app: AppContext, key: str) -> None:
    """Put KEY back to its default.

    \b
    Example:
      locker config unset stamp-tsa
    """
    config.unset_setting(app.store(), key)
    status(f"{key} is back to its default")


@config_group.command(name="get")
@click.argument("key", type=click.Choice(sorted(config.KEYS)))
@pass_app
def config_get(app: AppContext, key: str) -> None:
    """Print KEY's value (stamp-ca: the PEM, to save or compare).

    \b
    Example:
      locker config get stamp-after-add
    """
    click.echo(config.get_setting(app.store(), key).rstrip("\n"))


@config_group.command(name="ls")
@json_option
@pass_app
def config_ls(app: AppContext, as_json: bool) -> None:
    """Every setting with its value (or default) and what it does.

    \b
    Example:
      locker config ls --json
    """
    values = config.all_settings(app.store())
    if as_json:
        emit_json({k: _shown(k, v) for k, v in values.items()})
        return
    table([(k, _shown(k, v), config.KEYS[k].help) for k, v in values.items()], ["key", "value", "meaning"])


COMMANDS = [stamp, config_group]
