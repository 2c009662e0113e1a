"""The local web page's defences (issue 12, point 3), each tried from outside through the ASGI
test client: no token, a wrong Host, a cross-site post, paths in download routes, and the
headers every response must carry."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from evidence.store import init_store
from locker.app.intake import upload_name
from locker.cli import cli
from locker.web.guard import COOKIE, CSRF_HEADER, Guard, Secrets
from locker.web.pages import make_app
from locker.web.server import listen
from locker.web.unlocked import FIRST_WAIT_SECONDS, FREE_ATTEMPTS, Locked, Unlocked
from tests.conftest import FAST_LOG_N, PASSPHRASE, run_cli

PORT = 48765
BASE = f"http://127.0.0.1:{PORT}"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "locker"
    store, _ = init_store(home, PASSPHRASE, FAST_LOG_N)
    store.close()
    return home


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(home: Path, clock: Clock) -> Iterator[tuple[TestClient, Secrets, Unlocked]]:
    keys = Secrets()
    session = Unlocked(home, idle_seconds=60, now=clock)
    app = Guard(make_app(session, keys, None), keys, PORT)
    with TestClient(app, base_url=BASE, follow_redirects=False) as client:
        yield client, keys, session
    session.lock()


def enter(client: TestClient, keys: Secrets) -> None:
    r = client.get(f"/start?token={keys.url_token}")
    assert r.status_code == 303


def unlock(client: TestClient, keys: Secrets) -> None:
    enter(client, keys)
    r = client.post("/unlock", data={"passphrase": PASSPHRASE, "csrf": keys.csrf})
    assert r.status_code == 303


SHOWN = ["/", "/timeline", "/findings", "/reports", "/verify", "/parties", "/profile", "/triage"]
PAGES = [
    *SHOWN,
    "/item/1",
    "/static/app.js",
    "/nowhere",
]


@pytest.mark.parametrize("path", PAGES)
def test_no_token_gets_nothing(server: tuple[TestClient, Secrets, Unlocked], path: str) -> None:
    client, _, session = server
    r = client.get(path)
    assert (r.status_code, r.text) == (403, "forbidden")
    # ... even while the person has the locker open in their own tab
    session.unlock(PASSPHRASE)
    r = client.get(path)
    assert (r.status_code, r.text) == (403, "forbidden")


def test_a_wrong_token_or_an_old_cookie_gets_nothing(server: tuple[TestClient, Secrets, Unlocked]) -> None:
    client, keys, _ = server
    r = client.get("/start?token=" + keys.url_token[:-1] + "x")
    assert r.status_code == 403 and "set-cookie" not in r.headers
    r = client.get("/start")
    assert r.status_code == 403
    client.cookies.set(COOKIE, Secrets().session)  # another start's cookie
    assert client.get("/").status_code == 403


def test_the_token_becomes_a_strict_httponly_cookie(server: tuple[TestClient, Secrets, Unlocked]) -> None:
    client, keys, _ = server
    r = client.get(f"/start?token={keys.url_token}")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert keys.url_token not in cookie  # the cookie is its own secret, not the printed one
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("host", ["evil.example", f"evil.example:{PORT}", "127.0.0.1:1", f"[::1]:{PORT}", ""])
def test_a_wrong_host_is_refused(server: tuple[TestClient, Secrets, Unlocked], host: str) -> None:
    # DNS rebinding: the attacker's name resolves to 127.0.0.1, the browser sends its Host.
    client, keys, _ = server
    r = client.get(f"/start?token={keys.url_token}", headers={"host": host})
    assert r.status_code == 421 and "set-cookie" not in r.headers
    enter(client, keys)
    assert client.get("/", headers={"host": host}).status_code == 421


def test_localhost_is_our_name_too(server: tuple[TestClient, Secrets, Unlocked]) -> None:
    client, keys, _ = server
    r = client.get(f"/start?token={keys.url_token}", headers={"host": f"localhost:{PORT}"})
    assert r.status_code == 303


def test_a_post_without_the_csrf_token_is_refused(server: tuple[TestClient, Secrets, Unlocked]) -> None:
    client, keys, session = server
    enter(client, keys)
    for data in ({"passphrase": PASSPHRASE}, {"passphrase": PASSPHRASE, "csrf": "wrong"}):
        assert client.post("/unlock", data=data).status_code == 403
    assert not session.is_open
    # A multipart form would be spooled to a plaintext temp file: refused whatever it carries.
    r = client.post("/unlock", files={"passphrase": ("p", PASSPHRASE.encode())}, data={"csrf": keys.csrf})
    assert r.status_code == 403
    # An upload carries the token in a header; a form post from elsewhere cannot set one.
    assert client.post("/upload?name=a.txt", content=b"hello").status_code == 403
    assert not session.is_open


def test_a_cross_site_post_is_refused(server: tuple[TestClient, Secrets, Unlocked]) -> None:
    client, keys, session = server
    enter(client, keys)
    r = client.post(
        "/unlock",
        data={"passphrase": PASSPHRASE, "csrf": keys.csrf},
        headers={"origin": "http://evil.example"},
    )
    assert r.status_code == 403 and not session.is_open
    r = client.post(
        "/unlock",
        data={"passphrase": PASSPHRASE, "csrf": keys.csrf},
        headers={"sec-fetch-site": "cross-site"},
    )
    assert r.status_code == 403 and not session.is_open
    # Without the cookie (what SameSite=Strict leaves a cross-site post), even the token fails.
    client.cookies.clear()
    r = client.post("/unlock", data={"passphrase": PASSPHRASE, "csrf": keys.csrf})
    assert r.status_code == 403 and not session.is_open


@pytest.mark.parametrize(
    "path",
    [
        "/static/../guard.py",
        "/static/..%2Fguard.py",
        "/static/%2e%2e/pages.py",
        "/static/templates%2Fbase.html",
        "/item/..%2F..%2Fetc%2Fpasswd",
        "/item/-1",
        "/item/999",
        "/item/1.0",
        "/timeline?day=../../etc",
    ],
)
def test_download_routes_take_ids_not_paths(server: tuple[TestClient, Secrets, Unlocked], path: str) -> None:
    client, keys, _ = server
    unlock(client, keys)
    r = client.get(path)
    assert r.status_code in (400, 404), (path, r.status_code)
    assert "root:" not in r.text and "import" not in r.text


def test_an_upload_is_sealed_and_leaves_no_plaintext(
    server: tuple[TestClient, Secrets, Unlocked], home: Path, tmp_path: Path
) -> None:
    client, keys, _ = server
    unlock(client, keys)
    marker = b"PLAINTEXT-MARKER-" * 4096
    r = client.post("/upload?name=../../note.txt", content=marker, headers={CSRF_HEADER: keys.csrf})
    assert r.status_code == 200
    added = r.json()["added"]
    assert added and added[0]["name"] == "note.txt" and added[0]["size"] == len(marker)
    again = client.post("/upload?name=copy.txt", content=marker, headers={CSRF_HEADER: keys.csrf}).json()
    assert again["added"][0]["duplicate"] and again["added"][0]["id"] == added[0]["id"]
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert b"PLAINTEXT-MARKER" not in f.read_bytes(), f
            assert f.stat().st_mode & 0o077 == 0, f


@pytest.mark.parametrize("path", ["/", "/start?token=x", "/static/app.js", "/nowhere", "/timeline"])
def test_every_response_forbids_caching_framing_and_foreign_scripts(
    server: tuple[TestClient, Secrets, Unlocked], path: str
) -> None:
    client, keys, _ = server
    for cookie in (False, True):
        if cookie:
            unlock(client, keys)
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-content-type-options"] == "nosniff"
    r = client.get("/", headers={"host": "evil.example"})
    assert r.headers["cache-control"] == "no-store"


def test_pages_have_no_inline_script_and_no_external_resource(
    server: tuple[TestClient, Secrets, Unlocked],
) -> None:
    client, keys, _ = server
    unlock(client, keys)
    for path in (*SHOWN, "/?lang=en"):
        html = client.get(path).text
        assert "<script>" not in html and "onclick" not in html and "style=" not in html
        assert "http://" not in html and "https://" not in html and "//" not in html.replace("://", "")


def test_lock_and_idle_timeout_drop_the_key(
    server: tuple[TestClient, Secrets, Unlocked], clock: Clock
) -> None:
    client, keys, session = server
    unlock(client, keys)
    assert client.get("/timeline").status_code == 200
    assert client.post("/lock", data={"csrf": keys.csrf}).status_code == 303
    assert not session.is_open
    assert client.get("/timeline").headers["location"] == "/"
    unlock(client, keys)
    clock.t += 61  # idle longer than the timeout
    assert not session.is_open
    assert client.get("/timeline").status_code == 303


def test_a_wrong_passphrase_is_refused(server: tuple[TestClient, Secrets, Unlocked]) -> None:
    client, keys, session = server
    enter(client, keys)
    r = client.post("/unlock", data={"passphrase": "wrong", "csrf": keys.csrf})
    assert r.status_code == 403 and not session.is_open


def test_wrong_passphrases_make_the_form_wait_longer_and_longer(
    server: tuple[TestClient, Secrets, Unlocked], clock: Clock
) -> None:
    client, keys, session = server
    enter(client, keys)

    def attempt(passphrase: str, lang: str = "zh") -> int:
        r = client.post(f"/unlock?lang={lang}", data={"passphrase": passphrase, "csrf": keys.csrf})
        return r.status_code

    assert [attempt("wrong") for _ in range(FREE_ATTEMPTS)] == [403] * FREE_ATTEMPTS
    # Now even the right passphrase is not tried until the wait is over, and the page says why.
    r = client.post("/unlock", data={"passphrase": PASSPHRASE, "csrf": keys.csrf})
    assert r.status_code == 429 and not session.is_open
    assert "密码错误次数太多" in r.text and f"{int(FIRST_WAIT_SECONDS)} 秒" in r.text
    r = client.post("/unlock?lang=en", data={"passphrase": PASSPHRASE, "csrf": keys.csrf})
    assert r.status_code == 429 and "Too many wrong passphrases" in r.text
    clock.t += FIRST_WAIT_SECONDS + 1
    assert attempt("wrong") == 403  # one more wrong one: the wait doubles
    assert session.wait_seconds() == 2 * FIRST_WAIT_SECONDS
    clock.t += FIRST_WAIT_SECONDS + 1
    assert attempt(PASSPHRASE) == 429
    clock.t += FIRST_WAIT_SECONDS
    assert attempt(PASSPHRASE) == 303 and session.is_open
    # The right one starts the count again.
    session.lock()
    assert [attempt("wrong") for _ in range(FREE_ATTEMPTS - 1)] == [403] * (FREE_ATTEMPTS - 1)
    assert session.wait_seconds() == 0 and attempt(PASSPHRASE) == 303


def test_the_server_listens_on_the_loopback_address_only() -> None:
    sock = listen(0)
    try:
        host, port = sock.getsockname()
        assert host == "127.0.0.1"
        # Another address of this computer (another loopback address, as any other) finds nothing.
        with pytest.raises(OSError), socket.create_connection(("127.0.0.2", port), timeout=2):
            pass
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            accepted, _ = sock.accept()
            # Answers go out whole at once (no 40 ms wait for a delayed ACK on a kept-alive connection).
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            accepted.close()
    finally:
        sock.close()


def test_serve_has_no_way_to_listen_elsewhere(tmp_path: Path) -> None:
    r = run_cli(tmp_path / "locker", "serve", "--host", "0.0.0.0", "--no-browser")
    assert r.exit_code == 2 and "--host" in r.stderr
    assert not [p for p in cli.commands["serve"].params if p.name in ("host", "bind", "address")]


def test_stopping_the_server_drops_the_key(home: Path, clock: Clock) -> None:
    keys = Secrets()
    session = Unlocked(home, idle_seconds=60, now=clock)
    closed: list[bool] = []
    app = Guard(make_app(session, keys, None), keys, PORT)
    with TestClient(app, base_url=BASE, follow_redirects=False) as client:  # runs the lifespan
        unlock(client, keys)
        store = session.store()
        store.close = lambda: closed.append(True)  # type: ignore[method-assign]
        assert client.get("/timeline").status_code == 200
    # The server's shutdown (lifespan end) locked the locker and closed its store.
    assert closed == [True] and not session.is_open
    with pytest.raises(Locked):
        session.store()


def test_idle_and_lock_close_the_store(server: tuple[TestClient, Secrets, Unlocked], clock: Clock) -> None:
    client, keys, session = server
    for how in ("idle", "lock"):
        unlock(client, keys)
        closed: list[bool] = []
        session.store().close = lambda closed=closed: closed.append(True)  # type: ignore[method-assign]
        if how == "idle":
            clock.t += 61
            session.expire()  # what the server's idle thread calls every 30 s
        else:
            client.post("/lock", data={"csrf": keys.csrf})
        assert closed == [True] and not session.is_open, how


@pytest.mark.parametrize(
    ("raw", "folders", "name"),
    [
        ("../../etc/passwd", ("etc",), "passwd"),
        ("/etc/cron.d/x", ("etc", "cron.d"), "x"),
        ("C:\\Users\\me\\..\\evil.exe", ("Users", "me"), "evil.exe"),
        ("backup/./info.xml", ("backup",), "info.xml"),
        ("a\x00b/\x1bc.db", ("ab",), "c.db"),
        ("..", (), "upload"),
        ("", (), "upload"),
        ("通话录音/2026/录音.m4a", ("通话录音", "2026"), "录音.m4a"),
    ],
)
def test_an_upload_name_names_nothing_outside_its_folder(
    raw: str, folders: tuple[str, ...], name: str
) -> None:
    got = upload_name(raw)
    assert (got.folders, got.name) == (folders, name)
