"""Officer sign-in hardening: where a login may send the officer afterwards, brute force, sessions."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import SECRET
from webapp.accounts.models import Account, AttemptThrottle
from webapp.audit.models import AuditEntry
from webapp.demo import DEMO_PASSWORD
from webapp.extensions import db
from webapp.models import utcnow
from webapp.settings import Settings


def _csrf(page_html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert match
    return match.group(1)


def _login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD, next_: str = "",
           **environ: str) -> tuple[int, str, str]:
    url = "/can-bo/dang-nhap" + (f"?next={next_}" if next_ else "")
    token = _csrf(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "username": username, "password": password},
                           **({"environ_base": environ} if environ else {}))
    return response.status_code, response.headers.get("Location", ""), response.get_data(as_text=True)


@pytest.mark.parametrize("next_", [
    "/%09/evil.example", "/%0a/evil.example", "/%0d/evil.example", "/%00/evil.example", "%09//evil.example",
    "/%5Cevil.example", "%5C%5Cevil.example", "/%5C/evil.example", "//evil.example", "///evil.example",
    "https://evil.example", "javascript:alert(1)", "http:/evil.example", "evil.example", "/%7F/evil.example",
])
def test_the_officer_login_never_redirects_off_site(client: FlaskClient, seeded: dict, next_: str) -> None:
    status, location, _ = _login(client, "tiepnhan", next_=next_)
    assert status == 302
    assert location == "/can-bo/", location


def test_a_local_next_is_kept(client: FlaskClient, seeded: dict) -> None:
    status, location, _ = _login(client, "tiepnhan", next_="/can-bo/%3Fq%3Dx")
    assert status == 302 and location.startswith("/can-bo/")


def _audit(app: Flask, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)
                                       .order_by(AuditEntry.id)))


def test_wrong_passwords_lock_the_account_and_the_right_one_waits(app: Flask, client: FlaskClient,
                                                                    seeded: dict) -> None:
    for _ in range(4):
        status, _, page = _login(client, "tiepnhan", "sai-mat-khau")
        assert status == 401 and "không đúng" in page
    status, _, page = _login(client, "tiepnhan", "sai-mat-khau")  # the fifth: locked from now on
    assert status == 429 and "tạm thời bị khóa" in page and "1 phút" in page
    status, location, page = _login(client, "tiepnhan")  # the right password, while locked: refused
    assert status == 429 and "tạm thời bị khóa" in page and client.get("/can-bo/").status_code == 302
    # Another officer from another address is not concerned.
    assert _login(app.test_client(), "hotich", REMOTE_ADDR="10.0.0.9")[0] == 302
    failed = _audit(app, "officer.login_failed")
    assert len(failed) == 5 and failed[0].actor_id is not None and failed[0].detail["client"] == "127.0.0.1"
    assert [e.detail["scope"] for e in _audit(app, "officer.login_locked")] == ["account"]
    # Once the lock has passed, the right password works; the next failure would lock it twice as long.
    with app.app_context():
        db.session.execute(sa.update(AttemptThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert _login(client, "tiepnhan")[0] == 302


def test_a_lock_after_the_first_doubles(app: Flask, client: FlaskClient, seeded: dict) -> None:
    for _ in range(5):
        _login(client, "hotich", "sai")
    with app.app_context():
        db.session.execute(sa.update(AttemptThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    status, _, page = _login(client, "hotich", "sai")
    assert status == 429 and "2 phút" in page


def test_unknown_accounts_are_locked_the_same_way(app: Flask, client: FlaskClient, seeded: dict) -> None:
    """No account enumeration: a name that does not exist answers exactly like one that does."""
    pages = [_login(client, name, "sai")[::2] for name in ("khong-co-ai",) * 5]
    assert [p[0] for p in pages] == [401, 401, 401, 401, 429]
    known = [_login(client, "tiepnhan", "sai", REMOTE_ADDR="10.0.0.2")[::2] for _ in range(5)]
    assert [p[0] for p in known] == [401, 401, 401, 401, 429]
    assert pages[0][1] == known[0][1] and pages[-1][1].replace(_csrf(pages[-1][1]), "") == \
        known[-1][1].replace(_csrf(known[-1][1]), "")
    unknown = [e for e in _audit(app, "officer.login_failed") if e.actor_id is None]
    assert len(unknown) == 5 and all("khong-co-ai" not in str(e.detail) for e in unknown)


def test_one_client_trying_many_accounts_is_locked(app: Flask, client: FlaskClient, seeded: dict) -> None:
    statuses = [_login(client, f"thu-{i}", "sai", REMOTE_ADDR="10.1.1.1")[0] for i in range(20)]
    assert statuses[:19] == [401] * 19 and statuses[19] == 429
    # That address may not even try a real account with its right password; another address may.
    assert _login(client, "tiepnhan", REMOTE_ADDR="10.1.1.1")[0] == 429
    assert _login(app.test_client(), "tiepnhan", REMOTE_ADDR="10.1.1.2")[0] == 302
    assert "client" in [e.detail["scope"] for e in _audit(app, "officer.login_locked")]


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_logout_ends_the_session_on_the_server(app: Flask, client: FlaskClient, seeded: dict) -> None:
    assert _login(client, "quantri")[0] == 302
    stolen = _cookie(client)
    page = client.get("/can-bo/").get_data(as_text=True)
    client.post("/can-bo/dang-xuat", data={"csrf_token": _csrf(page)})
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/can-bo/").status_code == 302
    assert thief.get("/can-bo/quan-tri/vai-tro").status_code in (302, 404)
    assert [e.actor_id for e in _audit(app, "officer.logged_out")]


def test_an_idle_or_old_session_ends(app: Flask, client: FlaskClient, seeded: dict,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import webapp.accounts.sessions as sessions

    start = time.time()
    assert _login(client, "tiepnhan")[0] == 302
    monkeypatch.setattr(sessions.time, "time", lambda: start + 29 * 60)
    assert client.get("/can-bo/").status_code == 200  # 29 minutes idle: still there, and seen again
    monkeypatch.setattr(sessions.time, "time", lambda: start + 29 * 60 + 31 * 60)
    assert client.get("/can-bo/").status_code == 302  # 31 minutes idle: gone
    assert _login(client, "tiepnhan")[0] == 302
    for minutes in range(20, 8 * 60 + 20, 20):  # active all day, but a sign-in lasts 8 hours
        monkeypatch.setattr(sessions.time, "time", lambda m=minutes: start + 60 * 60 + m * 60 + 1)
        status = client.get("/can-bo/").status_code
        assert status == (200 if minutes < 8 * 60 else 302), minutes


def test_the_session_cookie_is_httponly_lax_and_secure_behind_https(client: FlaskClient, seeded: dict) -> None:
    url = "/can-bo/dang-nhap"
    token = _csrf(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "username": "tiepnhan", "password": DEMO_PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    config = Settings.from_env({**SECRET, "MOTCUA_PUBLIC_URL": "https://dichvucong.example.gov.vn"}).flask_config()
    assert config["SESSION_COOKIE_SECURE"] is True and config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    plain = Settings.from_env({**SECRET, "MOTCUA_SESSION_HOURS": "2"}).flask_config()
    assert plain["SESSION_COOKIE_SECURE"] is False and plain["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=2)


def test_a_citizen_logout_ends_the_copied_cookie_too(app: Flask, seeded: dict) -> None:
    with app.app_context():
        citizen = db.session.scalar(sa.select(Account).where(Account.username == "an"))
        assert citizen is not None
        cookie = app.session_interface.get_signing_serializer(app).dumps(  # type: ignore[attr-defined]
            {"citizen_id": citizen.id, "csrf": "t" * 43})
    browser, copy = app.test_client(), app.test_client()
    for client in (browser, copy):
        client.set_cookie("session", cookie)
    assert copy.get("/thong-bao").status_code == 200
    assert browser.post("/dang-xuat", data={"csrf_token": "t" * 43}).status_code == 302
    assert copy.get("/thong-bao").status_code == 302
