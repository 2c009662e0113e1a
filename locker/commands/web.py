"""`locker serve`: the local web page."""

from __future__ import annotations

import click

from locker.context import ENV_TSA, AppContext
from locker.options import pass_app
from locker.output import status


@click.command(name="serve")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="The port (default: any free one).")
@click.option("--no-browser", is_flag=True, help="Only print the address; do not open a browser.")
@pass_app
def serve(app: AppContext, port: int, no_browser: bool) -> None:
    """Open the locker as a web page on this computer only (127.0.0.1).

    The printed address holds this start's secret: keep it to yourself. The passphrase is
    asked on the page; Ctrl-C stops the page and locks the locker.

    \b
    Example:
      locker serve
      locker serve --port 8765 --no-browser
    """

    from locker.web.server import run  # here: the web stack loads only for `serve`

    def announce(url: str) -> None:
        click.echo(url)
        status("the page holds your evidence: do not share this address. Ctrl-C stops it.")

    run(app.home, port, open_browser=not no_browser, announce=announce, env_tsa=app.env.get(ENV_TSA))


COMMANDS = [serve]
