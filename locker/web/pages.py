"""The routes: each parses the request, makes one `locker.app` call (under the session's lock,
in a worker thread) and renders a template. Routes take ids, never paths."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import zipfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast
from urllib.parse import parse_qs, unquote

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

from locker.app import ExitCode, LockerError, intake, originals, views
from locker.app import documents as docs
from locker.app import findings as judged
from locker.app import parties as people
from locker.app.vocabulary import CHANNELS, category_names, channel_name
from locker.web.guard import CSRF_FIELD, FORM_LIMIT, Secrets
from locker.web.text import LANGUAGES, words
from locker.web.unlocked import Locked, TooManyAttempts, Unlocked

HERE = Path(__file__).parent
# The only files /static serves: a fixed table, so no request names a path on disk.
STATIC = {
    "app.js": ("text/javascript; charset=utf-8", (HERE / "static" / "app.js").read_bytes()),
    "app.css": ("text/css; charset=utf-8", (HERE / "static" / "app.css").read_bytes()),
}
# What an original may be shown as inside the page; anything else (an HTML export, an SVG) could
# carry script and is only ever offered through a report or the bundle.
SHOWN_MEDIA = re.compile(r"(image/(jpeg|png|gif|webp)|audio/[\w.+-]+|video/(mp4|webm))")
DAY_LIMIT = 200  # events a day's page lists; the rest on its further pages
DAYS_PER_PAGE = 62  # rows of the timeline's table (its chart shows every day)
FINDINGS_PER_PAGE = 100
EVIDENCE_SHOWN = 50  # events shown under each finding; the count covers all
BATCH = re.compile(r"[A-Za-z0-9_-]{1,64}")  # the id the page gives one pick or drop of files
PASSWORD_HEADER = "x-backup-password"  # a Huawei backup's password, percent-encoded
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
        except TooManyAttempts as e:
            return page(request, "unlock.html", status=429, wait=e.wait)
        except LockerError as e:
            if e.exit_code != ExitCode.LOCKED:
                raise  # damage or a disk error: said as it is, not as a wrong passphrase
            return page(request, "unlock.html", status=403, wrong=True)
        return RedirectResponse("/", status_code=303)

    async def lock(request: Request) -> Response:
        await run_in_threadpool(session.lock)
        return RedirectResponse("/", status_code=303)

    async def upload(request: Request) -> Response:
        # The name is the file's own, or its path inside a picked folder (kept: a backup's
        # files are read together); either way the collector may have chosen it.
        name = intake.upload_name(request.query_params.get("name", ""))
        batch = request.query_params.get("batch")
        length = request.headers.get("content-length", "")
        if not length.isdigit() or (batch is not None and not BATCH.fullmatch(batch)):
            raise HTTPException(411 if not length.isdigit() else 400)
        password = unquote(request.headers.get(PASSWORD_HEADER, "")) or None
        folder = session.uploads.folder(batch, name.folders, password) if batch and name.folders else None
        body = _BodyReader(request.stream(), asyncio.get_running_loop())
        src = cast(BinaryIO, body)
        notes: list[str] = []
        try:
            added = await locked(
                lambda: intake.add_upload(
                    session.store,
                    name,
                    src,
                    int(length),
                    folder=folder,
                    refresh=batch is None,  # a batch is refreshed once, by /upload/finish
                    env_tsa=env_tsa,
                    notify=notes.append,
                )
            )
        finally:
            body.close()
        return JSONResponse(
            {
                "added": [views.added(r, added.timezone) for r in added.added],
                "failures": [{"name": f.name, "message": f.message} for f in added.failures],
                "skipped": [{"name": x.name, "message": x.reason} for x in added.skipped],
                "notes": notes,
            }
        )

    async def finish_uploads(request: Request) -> Response:
        notes: list[str] = []
        await locked(lambda: intake.finish_uploads(session.store, env_tsa=env_tsa, notify=notes.append))
        return JSONResponse({"notes": notes})

    async def timeline(request: Request) -> Response:
        number = _page_number(request)
        day = request.query_params.get("day")
        if day is not None:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
                raise HTTPException(400)
            listed = await locked(lambda: judged.day_events(session.store, day, number, DAY_LIMIT))
            shown = [views.event(e, listed.timezone) for e in listed.events]
            return page(request, "day.html", day=day, events=shown, listed=listed)
        found = await locked(lambda: judged.timeline(session.store, session.days))
        days = [(d, sum(c.values()), dict(c)) for d, c in found.days]
        pages = judged.pages_of(len(days), DAYS_PER_PAGE)
        number = min(number, pages)
        rows = days[(number - 1) * DAYS_PER_PAGE : number * DAYS_PER_PAGE]
        top = max((n for _, n, _ in days), default=0)
        return page(request, "timeline.html", days=days, rows=rows, top=top, number=number, pages=pages)

    async def findings(request: Request) -> Response:
        category = _int_param(request, "category")
        number = _page_number(request)
        found = await locked(
            lambda: judged.findings_page(session.store, category, number, FINDINGS_PER_PAGE, EVIDENCE_SHOWN)
        )
        tz = found.timezone
        shown = [
            (views.listed_finding(f, tz), [views.event(e, tz) for e in f.evidence]) for f in found.findings
        ]
        return page(
            request,
            "findings.html",
            found=found,
            findings=shown,
            counts=[views.category_count(c) for c in found.counts],
            categories=category_names(),
        )

    async def decide(request: Request) -> Response:
        finding = request.path_params["finding"]
        form = await _form(request)
        if request.path_params["decision"] == "confirm":
            await locked(lambda: judged.confirm(session.store, finding))
        else:
            reason = form.get("reason", "").strip()
            if not reason:
                raise LockerError("give a reason for dismissing")
            await locked(lambda: judged.dismiss(session.store, finding, reason))
        # Back to the page the finding was on (numbers only: no address comes from the form).
        category, number = form.get("category", ""), form.get("page", "")
        back = "/findings"
        if category.isdigit() and number.isdigit() and len(category + number) < 12:
            back = f"/findings?category={int(category)}&page={int(number)}"
        return RedirectResponse(f"{back}#f{finding}", status_code=303)

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
        listing = await locked(lambda: people.list_parties(session.store))
        return page(request, "reports.html", channels=channels, parties=[p.name for p in listing.parties])

    async def report(request: Request) -> Response:
        form = await _form(request)
        channel = form.get("channel", "")
        if channel not in CHANNELS:
            raise HTTPException(400)
        party, since, until, addressee = (
            form.get(f, "").strip() or None for f in ("party", "since", "until", "addressee")
        )
        cover = form.get("cover") == "1"

        def make() -> tuple[Path, Path | None]:
            folder = docs.download_folder(session.store)
            token = secrets.token_hex(8)
            out, sheet = folder / f"{token}.pdf", (folder / f"{token}-cover.pdf" if cover else None)
            try:
                asked = docs.ReportRequest(channel, out, party, since, until, addressee, cover=sheet)
                docs.report(session.store, asked)
            except BaseException:
                for made in (out, sheet):
                    if made is not None:
                        made.unlink(missing_ok=True)
                raise
            return out, sheet

        out, sheet = await locked(make)
        if sheet is None:
            return _download(out, "application/pdf", f"complaint-{channel}.pdf")
        # Two files, one download: the complaint and its cover sheet in one ZIP.
        return _download(
            _zip_pair(out, f"complaint-{channel}.pdf", sheet, f"cover-{channel}.pdf"),
            "application/zip",
            f"complaint-{channel}.zip",
        )

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
        # Suggestions read every message: only when asked for, so the page itself stays quick.
        suggest = request.query_params.get("suggest") == "1"
        if request.method == "POST":
            form = await _form(request)
            name = form.get("party", "").strip()
            numbers = [n.strip() for n in re.split(r"[,，\s]+", form.get("numbers", "")) if n.strip()]
            if not name:
                raise LockerError("give the party's name")
            await locked(lambda: people.add_party(session.store, name, numbers))
            return RedirectResponse("/parties", status_code=303)

        def read() -> tuple[people.PartyListing, list[people.Suggestion]]:
            listing = people.list_parties(session.store)
            return listing, people.suggest_numbers(session.store) if suggest else []

        listing, suggested = await locked(read)
        return page(
            request,
            "parties.html",
            parties=[views.party(p) for p in listing.parties],
            suggested=suggest,
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
        Route("/upload/finish", finish_uploads, methods=["POST"]),
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

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        # The server is stopping (Ctrl-C, a signal): the key goes before the process does.
        await run_in_threadpool(session.lock)

    return Starlette(
        routes=routes,
        exception_handlers={Locked: on_locked, LockerError: on_refused, HTTPException: on_http},
        lifespan=lifespan,
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


def _zip_pair(first: Path, first_name: str, second: Path, second_name: str) -> Path:
    """Two files made in the download folder as one ZIP beside them (the two are removed)."""
    out = first.with_suffix(".zip")
    try:
        with (
            os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f,
            zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z,
        ):
            z.write(first, first_name)
            z.write(second, second_name)
    finally:
        first.unlink(missing_ok=True)
        second.unlink(missing_ok=True)
    return out


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise HTTPException(400)
    return int(raw)


def _page_number(request: Request) -> int:
    return max(1, _int_param(request, "page") or 1)


class _BodyReader:
    """A request body as the blocking file the vault's sealing thread reads.

    The event loop reads the body ahead into a bounded queue (PREFETCH chunks, a few MiB), so the
    network keeps flowing while the vault hashes and encrypts; each read takes the chunks queued
    until `size` bytes are there (or the body ends), so the threads meet once per read, not once
    per network chunk (a 1 GiB upload comes in some 16,000 of them; the vault reads 1 MiB at a
    time). Nothing is written anywhere: the bytes go from the socket to the sealed object."""

    PREFETCH = 64

    def __init__(self, chunks: AsyncIterator[bytes], loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[bytes | None] = asyncio.Queue(self.PREFETCH)
        self.pending = b""
        self.done = False
        self.error: Exception | None = None
        self.pump = loop.create_task(self._fill(chunks))

    async def _fill(self, chunks: AsyncIterator[bytes]) -> None:
        try:
            async for chunk in chunks:
                if chunk:
                    await self.queue.put(chunk)
        except Exception as e:  # the browser went away: the read fails, nothing cut short is sealed
            self.error = e
        await self.queue.put(None)

    def close(self) -> None:
        """Stop reading ahead (called on the event loop once the upload is handled, however)."""
        self.pump.cancel()

    async def _gather(self, size: int, parts: list[bytes], got: int) -> None:
        """Append queued chunks to `parts` up to `size` bytes in all; a chunk that would overflow
        waits in `pending` for the next read (so no read copies a megabyte only to cut it)."""
        while got < size:
            chunk = await self.queue.get()
            if chunk is None:
                self.done = True
                if self.error is not None:
                    raise self.error
                return
            if got + len(chunk) > size:
                if not parts:  # a read smaller than one chunk: cut it
                    parts.append(chunk[:size])
                    chunk = chunk[size:]
                self.pending = chunk
                return
            parts.append(chunk)
            got += len(chunk)

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = 1 << 62
        parts: list[bytes] = []
        if self.pending:
            parts.append(self.pending[:size])
            self.pending = self.pending[size:]
        got = len(parts[0]) if parts else 0
        if got < size and not self.done and not self.pending:
            asyncio.run_coroutine_threadsafe(self._gather(size, parts, got), self.loop).result()
        return parts[0] if len(parts) == 1 else b"".join(parts)
