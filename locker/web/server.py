"""Starting and stopping the local server: a socket on 127.0.0.1 only, the secrets of this start,
and the locker closed (its key dropped) however the server ends."""

from __future__ import annotations

import logging
import socket
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path

import uvicorn

from locker.web.guard import START_PATH, Guard, Secrets
from locker.web.pages import make_app
from locker.web.unlocked import IDLE_SECONDS, Unlocked

IDLE_CHECK_SECONDS = 30


def listen(port: int) -> socket.socket:
    """A listening socket on the loopback address only (port 0: any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by each accepted connection: uvicorn does not set it on a socket it is handed, and
    # without it every answer after the first on a kept-alive connection waits 40 ms for the
    # browser's delayed ACK (Nagle's algorithm holding back the body behind the headers).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(16)
    return sock


def run(
    home: Path,
    port: int,
    *,
    open_browser: bool,
    announce: Callable[[str], None],
    env_tsa: str | None,
    idle_seconds: float = IDLE_SECONDS,
) -> None:
    sock = listen(port)
    port = sock.getsockname()[1]
    keys = Secrets()
    session = Unlocked(home, idle_seconds)
    app = Guard(make_app(session, keys, env_tsa), keys, port)
    # No access log: URLs hold only ids, but the page is nobody's business; errors only, and
    # those carry no request data.
    logging.getLogger("uvicorn.access").disabled = True
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", server_header=False, date_header=False
    )
    server = uvicorn.Server(config)
    stop = threading.Event()

    def expire() -> None:
        # The idle timeout also holds when nobody sends a request.
        while not stop.wait(IDLE_CHECK_SECONDS):
            session.expire()

    threading.Thread(target=expire, name="locker-idle", daemon=True).start()
    url = f"http://127.0.0.1:{port}{START_PATH}?token={keys.url_token}"
    announce(url)
    if open_browser:
        webbrowser.open(url)
    try:
        server.run(sockets=[sock])  # its lifespan's end locks the locker (pages.make_app)
    finally:
        stop.set()
        session.lock()  # and again here, should the server stop without a lifespan end
        sock.close()
