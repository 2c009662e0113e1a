"""The local server's defences, in one ASGI layer in front of every route.

Anything on this computer can reach 127.0.0.1: other users, other programs, and any web page
open in the browser (by a cross-site form post, or by DNS rebinding a name of its own onto
127.0.0.1). So every request must show the secret this start printed (exchanged once, from
the URL, for an HttpOnly SameSite=Strict cookie), name our own Host, and, to change anything,
carry the page's CSRF token. Every response forbids caching, framing, referrers and any
script or resource not served by us.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "locker_session"
START_PATH = "/start"  # where the printed URL points: ?token=... becomes the cookie
CSRF_FIELD = "csrf"  # a form's hidden field
CSRF_HEADER = "x-csrf-token"  # an upload's header (its body is the file itself)
FORM_LIMIT = 64 * 1024  # a form post is a passphrase or a reason, never a file

SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
        b"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
    (b"x-content-type-options", b"nosniff"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class Secrets:
    """This start's secrets: the URL token, the cookie's value and the CSRF token. Never written
    anywhere; a new start makes new ones, so an old URL or cookie opens nothing."""

    def __init__(self) -> None:
        self.url_token = secrets.token_urlsafe(32)
        self.session = secrets.token_urlsafe(32)
        self.csrf = secrets.token_urlsafe(32)


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


class Guard:
    def __init__(self, app: ASGIApp, keys: Secrets, port: int) -> None:
        self.app = app
        self.keys = keys
        # Only our own names: a rebound attacker name (evil.example:PORT) is refused.
        self.hosts = {f"127.0.0.1:{port}".encode(), f"localhost:{port}".encode()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_headers(send)
        headers = dict(scope["headers"])
        if headers.get(b"host") not in self.hosts:
            await _refuse(send, 421, b"wrong host")
            return
        if scope["path"] == START_PATH:
            await self._start(scope, send)
            return
        if not _same(_cookie(headers), self.keys.session):
            await _refuse(send, 403, b"forbidden")
            return
        if scope["method"] not in ("GET", "HEAD"):
            checked = await self._csrf(scope, headers, receive)
            if checked is None:
                await _refuse(send, 403, b"forbidden")
                return
            receive = checked
        await self.app(scope, receive, send)

    async def _start(self, scope: Scope, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        if scope["method"] != "GET" or not _same((query.get("token") or [None])[0], self.keys.url_token):
            await _refuse(send, 403, b"forbidden")
            return
        cookie = f"{COOKIE}={self.keys.session}; HttpOnly; SameSite=Strict; Path=/".encode()
        # Off to "/", so the token leaves the address bar (and what the browser shows others).
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", b"/"), (b"set-cookie", cookie)],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def _csrf(self, scope: Scope, headers: dict[bytes, bytes], receive: Receive) -> Receive | None:
        """The request's `receive` if it carries the CSRF token (header, or a form's field: the form
        is read here, bounded, and handed on unchanged); None if not."""
        # A browser says where a request comes from; anything but our own page is refused. Under
        # Referrer-Policy no-referrer Chromium sends `Origin: null` even for our own forms, so
        # "null" says nothing either way; Sec-Fetch-Site still does.
        origin = headers.get(b"origin", b"null")
        if origin != b"null" and origin.removeprefix(b"http://") not in self.hosts:
            return None
        if headers.get(b"sec-fetch-site", b"same-origin") not in (b"same-origin", b"none"):
            return None
        if _same(headers.get(CSRF_HEADER.encode(), b"").decode("latin-1") or None, self.keys.csrf):
            return receive
        if headers.get(b"content-type", b"").split(b";")[0].strip() != b"application/x-www-form-urlencoded":
            return None  # a multipart form would be spooled to a plaintext temp file: never accepted
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > FORM_LIMIT:
                return None
            if not message.get("more_body"):
                break
        fields = parse_qs(body.decode("utf-8", "replace"))
        if not _same((fields.get(CSRF_FIELD) or [None])[0], self.keys.csrf):
            return None
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay


def _cookie(headers: dict[bytes, bytes]) -> str | None:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get(b"cookie", b"").decode("latin-1"))
    except Exception:  # a malformed cookie header is simply no cookie
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else None


def _with_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            names = {h for h, _ in SECURITY_HEADERS}
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
            message["headers"] = kept + SECURITY_HEADERS
        await send(message)

    return sending


async def _refuse(send: Send, status: int, body: bytes) -> None:
    """A refusal says nothing about the locker: a status and one word."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
