"""Setting up the locker and moving originals in and out (init, add, ls, show, get, verify, gc, ...)."""

from __future__ import annotations

import contextlib
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from locker.app import intake, keys, originals, views
from locker.app.vocabulary import DEFAULT_TIMEZONE
from locker.commands.stamp import ca_option
from locker.context import ENV_TSA, SECRET_LIMIT, AppContext, read_at_most, read_secret_file
from locker.options import ID, json_option, output_option, pass_app
from locker.output import emit_json, iso_local, printable, status, table


@click.command()
@click.option(
    "--timezone", default=DEFAULT_TIMEZONE, show_default=True, help="Timezone for times that carry no offset."
)
@pass_app
def init(app: AppContext, timezone: str) -> None:
    """Create a new encrypted locker and show its recovery key once.

    The passphrase comes from $LOCKER_PASSPHRASE, --passphrase-file, or is asked twice.

    \b
    Example:
      LOCKER_HOME=~/case-2026 locker init
    """
    passphrase = app.new_passphrase(for_init=True)
    status("Deriving the key (about a second)...")
    recovery = keys.init_locker(app.home, passphrase, app.scrypt_log_n(), timezone, app.clock)
    status(f"Created a locker at {app.home}")
    status("")
    status("RECOVERY KEY (shown only now; write it down and keep it apart from this computer).")
    status("It opens the locker if you forget the passphrase: `locker recover`.")
    click.echo(recovery)


def _report_file(as_json: bool) -> Any:
    """Says how each file went, on stderr, as it goes (with --json, only the failures)."""

    def report(outcome: intake.FileOutcome) -> None:
        if isinstance(outcome, intake.AddFailure):
            status(f"  failed  {printable(outcome.name)}: {printable(outcome.message)}")
        elif isinstance(outcome, intake.Skipped):
            status(f"  skipped {printable(outcome.name)}: {outcome.reason}")
        elif not as_json:
            what = "duplicate" if outcome.duplicate else f"{outcome.kind}, {outcome.events} events"
            status(f"  added   #{outcome.id} {printable(outcome.name)} ({what})")
            if outcome.warning:
                status(f"          warning: {printable(outcome.warning)}")

    return report


@contextlib.contextmanager
def _progress(total: int) -> Iterator[Any]:
    """A progress bar on stderr for big work (over 64 MiB), else none."""
    if total <= 64 << 20:
        yield None
        return
    with click.progressbar(length=total, label="Sealing", file=sys.stderr) as bar:
        yield bar.update


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@json_option
@pass_app
def add(app: AppContext, paths: tuple[Path, ...], as_json: bool) -> None:
    """Seal files (or whole folders) into the locker and extract their events.

    Recordings, screenshots, SMS and call-log exports are recognised by content. Every
    original is hashed (SHA-256) and kept byte for byte; adding the same file again is
    reported as a duplicate. A bad file is reported and the rest still go in.

    A Huawei/Honor backup folder is read with its backup password, from
    $LOCKER_BACKUP_PASSWORD or asked for (without echo); it is never stored.

    \b
    Example:
      locker add sms-20261010.xml "通话录音@171 5555 0001(17155550001)_20261003071200.mp3" ~/Screenshots/
    """
    total = intake.total_size(app.store, paths) if sys.stderr.isatty() else 0
    with _progress(total) as progress:
        done = intake.add(
            app.store,
            paths,
            progress=progress,
            on_file=_report_file(as_json),
            backup_password=app.backup_password,
            env_tsa=app.env.get(ENV_TSA),
            notify=status,
        )
    if as_json:
        emit_json([views.added(r, done.timezone) for r in done.added])
    else:
        status(f"{done.new} added, {len(done.added) - done.new} duplicate, {len(done.failures)} failed")
    if done.exit_code:
        raise click.exceptions.Exit(done.exit_code)


@click.command(name="ls")
@json_option
@pass_app
def ls(app: AppContext, as_json: bool) -> None:
    """List the sealed originals: id, kind, captured time, number, name, size.

    \b
    Example:
      locker ls --json
    """
    listing = originals.list_items(app.store)
    if as_json:
        emit_json([views.item(r, listing.timezone) for r in listing.items])
        return
    table(
        [
            (
                r.item.id,
                r.item.kind,
                _short_time(iso_local(r.item.captured_at, listing.timezone)),
                r.item.number or "",
                r.item.name,
                _size(r.item.size),
            )
            for r in listing.items
        ],
        ["id", "kind", "captured", "number", "name", "size"],
    )


def _short_time(iso: str | None) -> str:
    return "" if iso is None else iso[:16].replace("T", " ")


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


_SHOWN = (
    "id",
    "name",
    "kind",
    "media_type",
    "export_format",
    "size",
    "sha256",
    "added_at",
    "captured_at",
    "number",
    "contact",
    "duration",
    "events",
)


@click.command()
@click.argument("item_id", type=ID)
@json_option
@pass_app
def show(app: AppContext, item_id: int, as_json: bool) -> None:
    """Everything known about one item, and where each fact came from.

    \b
    Example:
      locker show 3
    """
    shown = originals.show_item(app.store, item_id)
    doc = views.item_detail(shown.detail, shown.timezone)
    if as_json:
        emit_json(doc)
        return
    for key in _SHOWN:
        if doc[key] is not None:
            click.echo(f"{key:14} {doc[key]}")
    if doc["captured_tz_assumed"]:
        click.echo(f"{'':14} (the source gave no timezone; {shown.timezone.key} was assumed)")
    click.echo("facts, with their sources:")
    table(
        [(f["fact"], f["value"], f["source"], f["detail"] or "") for f in doc["facts"]],
        ["fact", "value", "source", "detail"],
    )


@click.command()
@click.argument("item_id", type=ID)
@output_option("the original")
@pass_app
def get(app: AppContext, item_id: int, out: Path) -> None:
    """Write an original back out, byte for byte (its hash is checked first).

    \b
    Example:
      locker get 3 -o copy.mp3
    """
    item = originals.get_original(app.store, item_id, out)
    status(f"wrote item {item.id} to {out} (sha256 {item.sha256})")


def _print_verified(report: Any) -> None:
    for line in report.damaged:
        click.echo(f"damaged: {printable(line)}")
    for p in report.problems:
        click.echo(f"item {p.item}: {p.problem}" if p.item is not None else p.problem)
    if report.unrecorded:
        click.echo(
            f"{len(report.unrecorded)} complete originals are not recorded in the database: "
            "`locker verify --repair` adopts them"
        )
    for name in report.leftovers:
        click.echo(f"harmless: temp file {name} from an interrupted write (`locker gc` removes it)")
    if not report.recorded:
        click.echo("(this check could not be written to the custody log: read-only or rolled back)")
    verdict = "OK" if report.ok else "FAILED"
    stamps = f", {report.stamps} trusted timestamps" if report.stamps else ""
    click.echo(
        f"{verdict}: {report.items_checked} originals checked{stamps}, {len(report.problems)} "
        f"problems; custody head {report.head}"
    )


@click.command()
@click.option(
    "--repair",
    is_flag=True,
    help="Adopt every complete original no item records (after a rolled-back or lost database) "
    "as a recovered item, and record the repair in the custody log.",
)
@ca_option
@json_option
@pass_app
def verify(app: AppContext, repair: bool, cas: tuple[Path, ...], as_json: bool) -> None:
    """Check the locker: decrypt and re-hash every original, re-derive the custody chain and
    what is recorded about every item, check the database's pages, account for every object,
    and re-verify every trusted timestamp (`locker stamp`) at its own time and against the chain.

    Exit 1, with one line per problem, if anything differs; exit 5 if the database is damaged.
    A complete original that no item records is evidence, never garbage: `--repair` adopts it.

    \b
    Example:
      locker verify
      locker verify --repair
    """
    done = originals.verify(lambda: app.store(rebuild=repair), repair=repair, cas=cas, notify=status)
    if as_json:
        emit_json(views.verified(done.report, done.adopted))
    else:
        _print_verified(done.report)
    if done.exit_code:
        raise click.exceptions.Exit(done.exit_code)


@click.command()
@pass_app
def gc(app: AppContext) -> None:
    """Remove temp files of interrupted writes, and plaintext a killed `get`/`export` left.

    Never removes a complete sealed original, recorded or not (`verify` accounts for those).

    \b
    Example:
      locker gc
    """
    removed = originals.collect_garbage(app.store)
    status(f"removed {len(removed)} temp files")


@click.command()
@pass_app
def passwd(app: AppContext) -> None:
    """Change the passphrase. The evidence is not re-encrypted; only identity.age is rewritten.

    The new passphrase comes from $LOCKER_NEW_PASSPHRASE or is asked twice.

    \b
    Example:
      locker passwd
    """
    keys.change_passphrase(app.store, lambda: app.new_passphrase(for_init=False), app.scrypt_log_n)
    status("passphrase changed")


def _recovery_key(app: AppContext, key_file: Path | None) -> str:
    """The recovery key: from the file, asked without echo in a terminal, else the first line of stdin."""
    if key_file is not None:
        return read_secret_file(key_file, "recovery key")
    if app.interactive:
        return str(click.prompt("Recovery key", hide_input=True, err=True))
    raw = read_at_most(sys.stdin.buffer, SECRET_LIMIT, "the recovery key on stdin")
    return raw.decode("utf-8", "replace").strip().splitlines()[0] if raw.strip() else ""


@click.command()
@click.option(
    "--key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read the recovery key from this file (default: asked, or stdin).",
)
@pass_app
def recover(app: AppContext, key_file: Path | None) -> None:
    """Open the locker with the recovery key and set a new passphrase.

    \b
    Example:
      locker recover --key-file recovery.txt
    """
    text = _recovery_key(app, key_file)
    keys.recover(app.home, text, lambda: app.new_passphrase(for_init=False), app.scrypt_log_n, app.clock)
    status("locker recovered: the new passphrase is set")


def _print_format(f: Any, lang: str) -> None:
    what, how = (f.zh, f.how_zh) if lang == "zh" else (f.en, f.how_en)
    mark = (
        ("读取" if lang == "zh" else "read") if f.read else ("暂不能读取" if lang == "zh" else "not read yet")
    )
    click.echo(f"[{mark}] {what}")
    # Chinese has no spaces to wrap at: the terminal wraps it.
    click.echo(
        "    " + how
        if lang == "zh"
        else textwrap.fill(how, 100, initial_indent="    ", subsequent_indent="    ")
    )
    click.echo()


@click.command(name="formats")
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="English, or Simplified Chinese (简体中文).",
)
@json_option
def formats_command(lang: str, as_json: bool) -> None:
    """What `locker add` reads, and how to get each file out of a phone or from a carrier.

    Files marked "not read yet" are still sealed and kept when added, with a warning.

    \b
    Example:
      locker formats --lang zh
    """
    found = intake.list_formats()
    if as_json:
        emit_json([views.file_format(f) for f in found])
        return
    for f in found:
        _print_format(f, lang)


COMMANDS = [init, add, ls, show, get, verify, gc, passwd, recover, formats_command]
