"""Trusted time on the custody head (`stamp`), and the locker's own settings (`config`)."""

from __future__ import annotations

from pathlib import Path

import click

from locker.app import stamps, views
from locker.app.vocabulary import SETTING_KEYS
from locker.context import ENV_TSA, AppContext
from locker.options import json_option, pass_app
from locker.output import emit_json, printable, status, table

ca_option = click.option(
    "--ca",
    "cas",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Also trust the root certificates in FILE (PEM or DER) for TSA chains, e.g. a private "
    "TSA's (repeatable; `locker config set stamp-ca FILE` keeps one in the locker).",
)


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
    done = stamps.stamp(app.store, tsas, cas, app.env.get(ENV_TSA))
    for line in done.outcome.failures:
        status(f"warning: {line}")
    if as_json:
        emit_json(views.stamped(done.outcome, done.timezone))
    else:
        click.echo(printable(stamps.describe(done.outcome, done.timezone)))


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
@click.argument("key", type=click.Choice(SETTING_KEYS))
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
    shown = stamps.set_setting(app.store, key, value)
    status(f"{key} = {printable(shown)}")


@config_group.command(name="unset")
@click.argument("key", type=click.Choice(SETTING_KEYS))
@pass_app
def config_unset(app: AppContext, key: str) -> None:
    """Put KEY back to its default.

    \b
    Example:
      locker config unset stamp-tsa
    """
    stamps.unset_setting(app.store, key)
    status(f"{key} is back to its default")


@config_group.command(name="get")
@click.argument("key", type=click.Choice(SETTING_KEYS))
@pass_app
def config_get(app: AppContext, key: str) -> None:
    """Print KEY's value (stamp-ca: the PEM, to save or compare).

    \b
    Example:
      locker config get stamp-after-add
    """
    click.echo(stamps.get_setting(app.store, key).rstrip("\n"))


@config_group.command(name="ls")
@json_option
@pass_app
def config_ls(app: AppContext, as_json: bool) -> None:
    """Every setting with its value (or default) and what it does.

    \b
    Example:
      locker config ls --json
    """
    settings = stamps.list_settings(app.store)
    if as_json:
        emit_json(views.settings(settings))
        return
    table([(s.key, s.shown, s.help) for s in settings], ["key", "value", "meaning"])


COMMANDS = [stamp, config_group]
