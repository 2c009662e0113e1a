"""The local web page's defences (issue 12, point 3), each tried from outside through the ASGI
test client: no token, a wrong Host, a cross-site post, paths in download routes, and the
headers every response must carry."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from evidence.store import init_store
from locker.web.guard import COOKIE, CSRF_HEADER, Guard, Secrets
from locker.web.pages import make_app
from locker.web.unlocked import Unlocked
from tests.conftest import FAST_LOG_N, PASSPHRASE

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


PAGES = [
    "/",
    "/timeline",
    "/findings",
    "/reports",
    "/verify",
    "/parties",
    "/profile",
    "/triage",
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
    for path in (
        "/",
        "/timeline",
        "/findings",
        "/reports",
        "/verify",
        "/parties",
        "/profile",
        "/triage",
        "/?lang=en",
    ):
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
