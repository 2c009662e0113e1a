"""The composition root: the `locker` group, its global options, and errors mapped to exit codes."""

from __future__ import annotations

import errno
import os
import signal
import sys
import traceback
from pathlib import Path

import click

from evidence.database import translate_error
from evidence.errors import DiskError, ExitCode, LockerError, UsageError
from locker.commands import complaints, events, findings, stamp, store, web
from locker.context import AppContext, make_context
from locker.output import printable

EXIT_CODES_HELP = """\b
Exit codes: 0 ok; 1 verification failed; 2 usage; 3 locked or wrong passphrase;
4 bad input file or TSA reply; 5 locker damaged; 70 internal error; 74 the disk
refused (full, read-only); 130 interrupted."""


@click.group(epilog=EXIT_CODES_HELP, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(path_type=Path, file_okay=False),
    help="The locker folder (default: $LOCKER_HOME, else your data folder).",
)
@click.option(
    "--passphrase-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read the passphrase from this file instead of $LOCKER_PASSPHRASE or a prompt.",
)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="evidence-locker", prog_name="locker")
@click.pass_context
def cli(ctx: click.Context, home: Path | None, passphrase_file: Path | None, debug: bool) -> None:
    """An encrypted evidence locker for debt-collection harassment, and complaints from it.

    \b
    Quick start:
      export LOCKER_HOME=~/case-2026
      locker init
      locker add ~/evidence/
      locker findings
      locker report --to 12321 -o 12321.pdf
    """
    app = make_context(home, passphrase_file, debug)
    ctx.obj = app
    ctx.call_on_close(app.close)


for module in (store, events, findings, complaints, stamp, web):
    for command in module.COMMANDS:
        cli.add_command(command)


def _interrupt(signum: int, _frame: object) -> None:
    # TERM (a closing terminal app, `kill`) and HUP (a closed terminal) end the command the way
    # Ctrl-C does, so every clean-up runs: no half-written output, no plaintext left behind.
    raise KeyboardInterrupt


def _os_error(e: OSError) -> LockerError:
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskError("the disk is full: free some space and retry; nothing was lost")
    if e.errno == errno.EROFS:
        return DiskError("the file system is read-only here: choose a writable place")
    if e.errno in (errno.EACCES, errno.EPERM):
        return UsageError("permission denied: check the path and its permissions")
    if e.errno in (errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.ENAMETOOLONG):
        return UsageError(f"{e.strerror or 'no such file or folder'}: check the path")
    return DiskError(f"the system refused ({e.strerror or type(e).__name__}): check the disk, then retry")


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; `LockerError`s become one line on stderr and their exit code."""
    os.umask(0o077)  # everything we create is private, whatever the caller's umask
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        # Without standalone mode click returns a command's Exit code instead of exiting.
        code = cli.main(args, prog_name="locker", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("locker: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except click.ClickException as e:
        e.show()
        sys.exit(ExitCode.USAGE if e.exit_code == 2 else e.exit_code)
    except click.exceptions.Exit as e:
        sys.exit(e.exit_code)
    except Exception as e:
        error = _as_locker_error(e)
        if debug:
            traceback.print_exc()
        if error is None:  # a bug: still one line, no traceback unless asked for
            click.echo(
                f"locker: error: internal error ({type(e).__name__}); rerun with --debug and report it",
                err=True,
            )
            sys.exit(ExitCode.INTERNAL)
        click.echo(f"locker: error: {printable(str(error))}", err=True)
        sys.exit(int(error.exit_code))
    sys.exit(code if isinstance(code, int) else 0)


def _as_locker_error(e: Exception) -> LockerError | None:
    if isinstance(e, LockerError):
        return e
    translated = translate_error(e)
    if translated is not None:
        return translated
    if isinstance(e, OSError):
        return _os_error(e)
    return None


def app_of(ctx: click.Context) -> AppContext:
    return ctx.find_object(AppContext)  # type: ignore[return-value]
