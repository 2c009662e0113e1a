"""Setting up the locker and moving originals in and out (init, add, ls, show, get, verify, gc, ...)."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import textwrap
from pathlib import Path
from typing import Any

import click

from evidence import intake, items, keys, verification
from evidence.errors import ExitCode
from evidence.importers import formats
from evidence.store import DEFAULT_TIMEZONE, init_store, open_store_with_identity
from locker.commands.stamp import auto_stamp, ca_option, read_ca_file
from locker.context import SECRET_LIMIT, AppContext, read_at_most, read_secret_file
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
    store, recovery = init_store(app.home, passphrase, app.scrypt_log_n(), timezone, app.clock)
    store.close()
    status(f"Created a locker at {app.home}")
    status("")
    status("RECOVERY KEY (shown only now; write it down and keep it apart from this computer).")
    status("It opens the locker if you forget the passphrase: `locker recover`.")
    click.echo(recovery)


def _added_json(r: intake.AddResult, app: AppContext) -> dict[str, Any]:
    tz = app.store().timezone
    return {
        "id": r.id,
        "kind": r.kind,
        "name": r.name,
        "size": r.size,
        "sha256": r.sha256,
        "captured_at": iso_local(r.captured_at, tz),
        "number": r.number,
        "duplicate": r.duplicate,
        "events": r.events,
        "media_type": r.media_type,
        "warning": r.warning,
    }


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
    store = app.store()
    total = _total_size(intake.expand_paths(paths, store.home)) if sys.stderr.isatty() else 0
    show_bar = total > 64 << 20

    def report(outcome: intake.AddResult | intake.AddFailure | intake.Skipped) -> None:
        if isinstance(outcome, intake.AddFailure):
            status(f"  failed  {printable(outcome.name)}: {printable(outcome.message)}")
        elif isinstance(outcome, intake.Skipped):
            status(f"  skipped {printable(outcome.name)}: {outcome.reason}")
        elif not as_json:
            what = "duplicate" if outcome.duplicate else f"{outcome.kind}, {outcome.events} events"
            status(f"  added   #{outcome.id} {printable(outcome.name)} ({what})")
            if outcome.warning:
                status(f"          warning: {printable(outcome.warning)}")

    if show_bar:
        with click.progressbar(length=total, label="Sealing", file=sys.stderr) as bar:
            batch = intake.add_paths(store, paths, bar.update, report, _ocr(), app.backup_password)
    else:
        batch = intake.add_paths(store, paths, None, report, _ocr(), app.backup_password)
    _refresh_findings(app)
    auto_stamp(app)  # with `stamp-after-add on`; a failure only warns
    if as_json:
        emit_json([_added_json(r, app) for r in batch.added])
    else:
        new = sum(1 for r in batch.added if not r.duplicate)
        status(f"{new} added, {len(batch.added) - new} duplicate, {len(batch.failures)} failed")
    codes = [f.exit_code for f in batch.failures] + [ExitCode.BAD_INPUT for r in batch.added if r.warning]
    codes += [s.exit_code for s in batch.skipped if s.exit_code]
    if codes:
        raise click.exceptions.Exit(max(codes))


def _total_size(found: Any) -> int:
    total = 0
    for f in found:
        if isinstance(f, intake.Candidate):
            with contextlib.suppress(OSError):
                total += f.path.stat().st_size
    return total


def _ocr() -> Any:
    from evidence import ocr

    return ocr.image_text if ocr.available() else None


def _refresh_findings(app: AppContext) -> None:
    from evidence import attribution, findings

    attribution.refresh(app.store())  # first: the rules read which party each number is
    findings.refresh(app.store())


@click.command(name="ls")
@json_option
@pass_app
def ls(app: AppContext, as_json: bool) -> None:
    """List the sealed originals: id, kind, captured time, number, name, size.

    \b
    Example:
      locker ls --json
    """
    store = app.store()
    rows = items.list_items(store)
    if as_json:
        emit_json(
            [
                {
                    "id": r.item.id,
                    "kind": r.item.kind,
                    "name": r.item.name,
                    "size": r.item.size,
                    "sha256": r.item.sha256,
                    "captured_at": iso_local(r.item.captured_at, store.timezone),
                    "number": r.item.number,
                    "duplicate": False,
                    "events": r.events,
                    "media_type": r.item.media_type,
                }
                for r in rows
            ]
        )
        return
    table(
        [
            (
                r.item.id,
                r.item.kind,
                _short_time(iso_local(r.item.captured_at, store.timezone)),
                r.item.number or "",
                r.item.name,
                _size(r.item.size),
            )
            for r in rows
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
    store = app.store()
    d = items.item_detail(store, item_id)
    i = d.item
    doc: dict[str, Any] = {
        "id": i.id,
        "name": i.name,
        "kind": i.kind,
        "media_type": i.media_type,
        "export_format": i.export_format,
        "size": i.size,
        "sha256": i.sha256,
        "added_at": iso_local(i.added_at, store.timezone),
        "captured_at": iso_local(i.captured_at, store.timezone),
        "captured_tz_assumed": i.captured_tz_assumed,
        "number": i.number,
        "contact": i.contact,
        "duration": i.duration,
        "events": d.events,
        "facts": [
            {"fact": f.fact, "value": f.value, "source": f.source, "detail": f.detail} for f in d.facts
        ],
    }
    if as_json:
        emit_json(doc)
        return
    for key in (
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
    ):
        if doc[key] is not None:
            click.echo(f"{key:14} {doc[key]}")
    if doc["captured_tz_assumed"]:
        click.echo(f"{'':14} (the source gave no timezone; {store.timezone.key} was assumed)")
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
    item = items.write_original(app.store(), item_id, out)
    status(f"wrote item {item.id} to {out} (sha256 {item.sha256})")


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
    store = app.store(rebuild=repair)
    repaired = None
    if repair:
        repaired = verification.repair_store(store, _ocr())
        for line in repaired.refused:
            status(f"not adopted: {line}")
        status(f"repair: {len(repaired.adopted)} originals adopted as recovered items")
    report = verification.verify_store(store, extra_ca=[read_ca_file(p) for p in cas])
    if as_json:
        emit_json(
            {
                "ok": report.ok,
                "items_checked": report.items_checked,
                "problems": [{"item": p.item, "problem": p.problem} for p in report.problems],
                "unrecorded": report.unrecorded,
                "leftovers": report.leftovers,
                "damaged": report.damaged,
                "adopted": repaired.adopted if repaired else [],
                "custody_head": report.head,
                "recorded": report.recorded,
                "stamps_checked": report.stamps,
            }
        )
    else:
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
    if report.damaged:
        raise click.exceptions.Exit(ExitCode.DAMAGED)
    if not report.ok:
        raise click.exceptions.Exit(ExitCode.VERIFY_FAILED)


@click.command()
@pass_app
def gc(app: AppContext) -> None:
    """Remove temp files of interrupted writes, and plaintext a killed `get`/`export` left.

    Never removes a complete sealed original, recorded or not (`verify` accounts for those).

    \b
    Example:
      locker gc
    """
    removed = verification.collect_garbage(app.store())
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
    store = app.store()
    new = app.new_passphrase(for_init=False)
    _rewrap(app, store, new, "passwd")
    status("passphrase changed")


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
    if key_file is not None:
        text = read_secret_file(key_file, "recovery key")
    elif app.interactive:
        text = click.prompt("Recovery key", hide_input=True, err=True)
    else:
        raw = read_at_most(sys.stdin.buffer, SECRET_LIMIT, "the recovery key on stdin")
        text = raw.decode("utf-8", "replace").strip().splitlines()[0] if raw.strip() else ""
    identity = keys.parse_recovery_key(text)
    store = open_store_with_identity(app.home, identity, app.clock)
    try:
        new = app.new_passphrase(for_init=False)
        _rewrap(app, store, new, "recover")
    finally:
        store.close()
    status("locker recovered: the new passphrase is set")


def _rewrap(app: AppContext, store: Any, new: str, action: str) -> None:
    from evidence import custody

    log_n = app.scrypt_log_n()
    keys.wrap_identity(store.home, store.keys.identity, new, log_n)
    with store.transaction() as s:
        custody.append(s, action, {"scrypt_log_n": log_n}, store.now())


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
    found = formats.formats()
    if as_json:
        emit_json([dataclasses.asdict(f) for f in found])
        return
    for f in found:
        what, how = (f.zh, f.how_zh) if lang == "zh" else (f.en, f.how_en)
        mark = (
            ("读取" if lang == "zh" else "read")
            if f.read
            else ("暂不能读取" if lang == "zh" else "not read yet")
        )
        click.echo(f"[{mark}] {what}")
        # Chinese has no spaces to wrap at: the terminal wraps it.
        click.echo(
            "    " + how
            if lang == "zh"
            else textwrap.fill(how, 100, initial_indent="    ", subsequent_indent="    ")
        )
        click.echo()


COMMANDS = [init, add, ls, show, get, verify, gc, passwd, recover, formats_command]
