"""The routes: each parses the request, makes one `locker.app` call (under the session's lock,
in a worker thread) and renders a template. Routes take ids, never paths."""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast
from urllib.parse import parse_qs

import jinja2
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from locker.app import LockerError, intake, originals, views
from locker.app import documents as docs
from locker.app import findings as judged
from locker.app import parties as people
from locker.app.vocabulary import CHANNELS, category_names, channel_name
from locker.web.guard import CSRF_FIELD, FORM_LIMIT, Secrets
from locker.web.text import LANGUAGES, words
from locker.web.unlocked import Locked, Unlocked

HERE = Path(__file__).parent
# The only files /static serves: a fixed table, so no request names a path on disk.
STATIC = {
    "app.js": ("text/javascript; charset=utf-8", (HERE / "static" / "app.js").read_bytes()),
    "app.css": ("text/css; charset=utf-8", (HERE / "static" / "app.css").read_bytes()),
}
# What an original may be shown as inside the page; anything else (an HTML export, an SVG) could
# carry script and is only ever offered through a report or the bundle.
SHOWN_MEDIA = re.compile(r"(image/(jpeg|png|gif|webp)|audio/[\w.+-]+|video/(mp4|webm))")
DAY_LIMIT = 500  # events listed for one day; the counts always cover all
T = TypeVar("T")


def make_app(session: Unlocked, keys: Secrets, env_tsa: str | None) -> Starlette:
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )

    def lang_of(request: Request) -> str:
        asked = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
        return asked if asked in LANGUAGES else "zh"

    def page(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
        lang = lang_of(request)
        html = templates.get_template(name).render(
            t=words(lang),
            lang=lang,
            csrf=keys.csrf,
            csrf_field=CSRF_FIELD,
            unlocked=session.is_open,
            **values,
        )
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie("lang", lang, httponly=True, samesite="strict")
        return response

    async def locked(work: Callable[[], T]) -> T:
        """Run one application call off the event loop, one at a time."""

        def held() -> T:
            with session.lock_held:
                return work()

        return await run_in_threadpool(held)

    async def home(request: Request) -> Response:
        if not session.is_open:
            return page(request, "unlock.html")
        return page(request, "add.html")

    async def unlock(request: Request) -> Response:
        form = await _form(request)
        try:
            await run_in_threadpool(session.unlock, form.get("passphrase", ""))
        except LockerError:
            return page(request, "unlock.html", status=403, wrong=True)
        return RedirectResponse("/", status_code=303)

    async def lock(request: Request) -> Response:
        await run_in_threadpool(session.lock)
        return RedirectResponse("/", status_code=303)

    async def upload(request: Request) -> Response:
        name = _file_name(request.query_params.get("name", ""))
        length = request.headers.get("content-length", "")
        if not length.isdigit():
            raise HTTPException(411)
        src = cast(BinaryIO, _BodyReader(request.stream(), asyncio.get_running_loop()))
        notes: list[str] = []
        added = await locked(
            lambda: intake.add_upload(
                session.store, name, src, int(length), env_tsa=env_tsa, notify=notes.append
            )
        )
        return JSONResponse(
            {
                "added": [views.added(r, added.timezone) for r in added.added],
                "failures": [{"name": f.name, "message": f.message} for f in added.failures],
                "notes": notes,
            }
        )

    async def timeline(request: Request) -> Response:
        day = request.query_params.get("day")
        if day is not None:
            try:
                date.fromisoformat(day)
            except ValueError as e:
                raise HTTPException(400) from e
            listing = await locked(lambda: judged.list_events(session.store, since=day, until=day))
            shown = [views.event(e, listing.timezone) for e in listing.events[:DAY_LIMIT]]
            return page(request, "day.html", day=day, events=shown, more=len(listing.events) - len(shown))
        listing = await locked(lambda: judged.list_events(session.store, per_day=True))
        days = [(d, sum(c.values()), dict(c)) for d, c in listing.days or []]
        top = max((n for _, n, _ in days), default=0)
        return page(request, "timeline.html", days=days, top=top)

    async def findings(request: Request) -> Response:
        found = await locked(lambda: judged.findings_with_evidence(session.store))
        tz = found.listing.timezone
        shown = [
            (views.finding(f, tz), [views.event(found.events[e], tz) for e in f.events if e in found.events])
            for f in found.listing.findings
        ]
        return page(request, "findings.html", findings=shown, categories=category_names())

    async def decide(request: Request) -> Response:
        finding = request.path_params["finding"]
        if request.path_params["decision"] == "confirm":
            await locked(lambda: judged.confirm(session.store, finding))
        else:
            reason = (await _form(request)).get("reason", "").strip()
            if not reason:
                raise LockerError("give a reason for dismissing")
            await locked(lambda: judged.dismiss(session.store, finding, reason))
        return RedirectResponse(f"/findings#f{finding}", status_code=303)

    async def item(request: Request) -> Response:
        item_id = request.path_params["item"]
        viewed = await locked(lambda: originals.view_original(session.store, item_id))
        if not SHOWN_MEDIA.fullmatch(viewed.media_type):
            raise HTTPException(404)
        # Streamed chunk by chunk (a recording can be large), decrypted in a worker thread.
        return StreamingResponse(
            viewed.chunks,
            media_type=viewed.media_type,
            headers={"content-disposition": "inline", "content-length": str(viewed.size)},
        )

    async def reports(request: Request) -> Response:
        channels = [(c, channel_name(c)) for c in CHANNELS]
        return page(request, "reports.html", channels=channels)

    async def report(request: Request) -> Response:
        form = await _form(request)
        channel = form.get("channel", "")
        if channel not in CHANNELS:
            raise HTTPException(400)
        party = form.get("party", "").strip() or None

        def make() -> Path:
            out = docs.download_folder(session.store) / f"{secrets.token_hex(8)}.pdf"
            docs.report(session.store, docs.ReportRequest(channel, out, party=party))
            return out

        out = await locked(make)
        return _download(out, "application/pdf", f"complaint-{channel}.pdf")

    async def bundle(request: Request) -> Response:
        def make() -> Path:
            out = docs.download_folder(session.store) / f"{secrets.token_hex(8)}.zip"
            docs.export(session.store, docs.ExportRequest(out))
            return out

        out = await locked(make)
        return _download(out, "application/zip", "evidence-bundle.zip")

    async def verify(request: Request) -> Response:
        if request.method == "GET":
            return page(request, "verify.html", result=None)
        done = await locked(
            lambda: originals.verify(session.store, repair=False, cas=(), notify=lambda _: None)
        )
        return page(request, "verify.html", result=views.verified(done.report, done.adopted))

    async def parties(request: Request) -> Response:
        if request.method == "POST":
            form = await _form(request)
            name = form.get("party", "").strip()
            numbers = [n.strip() for n in re.split(r"[,，\s]+", form.get("numbers", "")) if n.strip()]
            if not name:
                raise LockerError("give the party's name")
            await locked(lambda: people.add_party(session.store, name, numbers))
            return RedirectResponse("/parties", status_code=303)

        def read() -> tuple[people.PartyListing, list[people.Suggestion]]:
            return people.list_parties(session.store), people.suggest_numbers(session.store)

        listing, suggested = await locked(read)
        return page(
            request,
            "parties.html",
            parties=[views.party(p) for p in listing.parties],
            suggestions=[views.suggestion(x) for x in suggested],
        )

    async def profile(request: Request) -> Response:
        if request.method == "POST":
            form = await _form(request)
            values = {f: form[f].strip() for f in docs.PROFILE_FIELDS if form.get(f, "").strip()}
            await locked(lambda: docs.set_profile(session.store, values))
            return RedirectResponse("/profile?saved=1", status_code=303)
        current = await locked(lambda: docs.get_profile(session.store))
        saved = request.query_params.get("saved") == "1"
        return page(request, "profile.html", profile=current, fields=docs.PROFILE_FIELDS, saved=saved)

    async def triage(request: Request) -> Response:
        # Needs no locker: a message is judged and forgotten, locked or not.
        if request.method == "GET":
            return page(request, "triage.html", result=None, text="", sender="")
        form = await _form(request)
        text, sender = form.get("text", ""), form.get("sender", "").strip()
        result = await run_in_threadpool(judged.triage, text, sender or None)
        return page(request, "triage.html", result=result, text=text, sender=sender)

    async def static(request: Request) -> Response:
        found = STATIC.get(request.path_params["name"])
        if found is None:
            raise HTTPException(404)
        return Response(found[1], media_type=found[0])

    async def no_icon(request: Request) -> Response:
        return Response(status_code=204)  # browsers ask for one; a 404 would only be noise

    async def on_locked(request: Request, _exc: Exception) -> Response:
        return RedirectResponse("/", status_code=303)

    async def on_refused(request: Request, exc: Exception) -> Response:
        # A LockerError's text is written for the person and holds no evidence (evidence.errors).
        return page(request, "error.html", status=400, message=str(exc))

    async def on_http(request: Request, exc: Exception) -> Response:
        code = exc.status_code if isinstance(exc, HTTPException) else 500
        return Response(str(code), status_code=code, media_type="text/plain")

    routes = [
        Route("/", home),
        Route("/unlock", unlock, methods=["POST"]),
        Route("/lock", lock, methods=["POST"]),
        Route("/upload", upload, methods=["POST"]),
        Route("/timeline", timeline),
        Route("/findings", findings),
        Route("/findings/{finding:int}/{decision:str}", decide, methods=["POST"]),
        Route("/item/{item:int}", item),
        Route("/reports", reports),
        Route("/report", report, methods=["POST"]),
        Route("/bundle", bundle, methods=["POST"]),
        Route("/verify", verify, methods=["GET", "POST"]),
        Route("/triage", triage, methods=["GET", "POST"]),
        Route("/parties", parties, methods=["GET", "POST"]),
        Route("/profile", profile, methods=["GET", "POST"]),
        Route("/static/{name:str}", static),
        Route("/favicon.ico", no_icon),
    ]
    return Starlette(
        routes=routes,
        exception_handlers={Locked: on_locked, LockerError: on_refused, HTTPException: on_http},
    )


def _download(out: Path, media_type: str, name: str) -> Response:
    """Send a file made in the locker's download folder, then remove it."""
    return FileResponse(
        out, media_type=media_type, filename=name, background=BackgroundTask(out.unlink, missing_ok=True)
    )


async def _form(request: Request) -> dict[str, str]:
    """A urlencoded form (the guard has checked its type and size): field → first value."""
    body = await request.body()
    if len(body) > FORM_LIMIT:
        raise HTTPException(413)
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


def _file_name(raw: str) -> str:
    """The upload's own name, as a label (it may carry a date or number, which intake reads):
    the last path part only, without control characters."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable())[:255]
    return name or "upload"


class _BodyReader:
    """A request body as the blocking file the vault's sealing thread reads: each read waits for
    the next chunk from the event loop and returns at most that chunk (a short read, as a pipe
    gives), so nothing is buffered or copied beyond one chunk."""

    def __init__(self, chunks: AsyncIterator[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self.chunks = chunks
        self.loop = loop
        self.pending = b""
        self.done = False

    async def _step(self) -> bytes:
        return await anext(self.chunks)

    def _next(self) -> bytes:
        try:
            return asyncio.run_coroutine_threadsafe(self._step(), self.loop).result()
        except StopAsyncIteration:
            self.done = True
            return b""

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            parts = [self.pending]
            while not self.done:
                parts.append(self._next())
            self.pending = b""
            return b"".join(parts)
        while not self.pending and not self.done:
            self.pending = self._next()
        out, self.pending = self.pending[:size], self.pending[size:]
        return out
