"""No process signs sessions with a missing, short or public key; the embedded demo keeps its own.

The old default ("dev-only-not-secret") is in the repository for anyone to read: a cookie
signed with it opened the administrators' role page and any citizen's session.
"""

from __future__ import annotations

import os
import shlex
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from engine.connectors.national_portal import PortalClient
from fakes import oidc as fake_oidc
from fakes.national_portal import FakeNationalPortal
from tests.conftest import REPO, SECRET, TEST_SECRET_KEY
from webapp import EXIT_BAD_SETTINGS, create_app
from webapp.accounts import oidc
from webapp.accounts.models import Account
from webapp.cli import embedded_settings, main
from webapp.connectors import ConnectorSettingsError, configure
from webapp.extensions import db
from webapp.payments import gateway
from webapp.secret_key import GENERATE, KEY_FILE, PUBLIC_VALUES
from webapp.settings import Settings, SettingsError

OLD_DEFAULT = "dev-only-not-secret"
GOOD_KEY = "k" * 32


def _env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {"MOTCUA_DATA_DIR": str(tmp_path), **more}


# --- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "message"), [
    (None, "is not set"),
    ("", "is not set"),
    (OLD_DEFAULT, "public development value"),
    (fake_oidc.DEV_CLIENT_SECRET, "public development value"),
    (gateway.LOCAL_SECRET, "public development value"),
    ("x" * 31, r"too short \(31 bytes; at least 32\)"),
    ("é" * 15, r"too short \(30 bytes"),  # bytes, not characters
])
def test_settings_refuse_a_missing_public_or_short_key(tmp_path: Path, key: str | None, message: str) -> None:
    env = _env(tmp_path) if key is None else _env(tmp_path, MOTCUA_SECRET_KEY=key)
    with pytest.raises(SettingsError, match=message) as refused:
        Settings.from_env(env)
    assert GENERATE in str(refused.value)  # says how to make a good one


def test_a_random_key_of_32_bytes_is_accepted(tmp_path: Path) -> None:
    assert Settings.from_env(_env(tmp_path, MOTCUA_SECRET_KEY=GOOD_KEY)).secret_key == GOOD_KEY


def test_the_key_never_shows_in_the_settings_repr(tmp_path: Path) -> None:
    assert TEST_SECRET_KEY not in repr(Settings.from_env(_env(tmp_path, **SECRET)))


def test_create_app_refuses_a_public_key_given_in_its_config(tmp_path: Path) -> None:
    settings = Settings.from_env(_env(tmp_path, **SECRET))
    with pytest.raises(SettingsError, match="public development value"):
        create_app({"TESTING": True, "SECRET_KEY": OLD_DEFAULT}, settings=settings)


@pytest.mark.parametrize("key", [None, OLD_DEFAULT, "short"])
def test_create_app_from_the_environment_exits_with_the_message_and_no_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], key: str | None) -> None:
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    if key is None:
        monkeypatch.delenv("MOTCUA_SECRET_KEY", raising=False)
    else:
        monkeypatch.setenv("MOTCUA_SECRET_KEY", key)
    with pytest.raises(SystemExit) as stopped:
        create_app()
    assert stopped.value.code == EXIT_BAD_SETTINGS
    err = capsys.readouterr().err
    assert err.startswith("motcua: refusing to start: MOTCUA_SECRET_KEY")
    assert GENERATE in err and "Traceback" not in err


def test_the_public_values_list_holds_every_development_secret_in_the_code() -> None:
    defined = {OLD_DEFAULT, fake_oidc.DEV_CLIENT_SECRET, oidc.LOCAL_CLIENT_SECRET, gateway.LOCAL_SECRET,
               FakeNationalPortal().secret, PortalClient(FakeNationalPortal()).secret}
    assert defined <= PUBLIC_VALUES


# --- the other secrets with a development default ----------------------------------------------


def test_a_remote_identity_gateway_refuses_the_demo_client_secret() -> None:
    env = {"MOTCUA_OIDC_ISSUER": "https://sso.example.gov.vn", "MOTCUA_OIDC_CLIENT_ID": "motcua-ninh-binh",
           "MOTCUA_OIDC_CLIENT_SECRET": fake_oidc.DEV_CLIENT_SECRET}
    with pytest.raises(oidc.OidcConfigError, match="public development value"):
        oidc.oidc_settings(env)
    assert oidc.oidc_settings({}).client_secret == oidc.LOCAL_CLIENT_SECRET  # the local demo provider: fine


@pytest.mark.parametrize("secret", [None, gateway.LOCAL_SECRET])
def test_a_real_payment_gateway_refuses_to_start_without_a_secret_of_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        secret: str | None) -> None:
    for name, value in {**_env(tmp_path, **SECRET), "MOTCUA_PAYMENT_URL": "https://thanhtoan.example.gov.vn/pay",
                        "MOTCUA_PAYMENT_MERCHANT": "H41-UBND"}.items():
        monkeypatch.setenv(name, value)
    if secret is None:
        monkeypatch.delenv("MOTCUA_PAYMENT_SECRET", raising=False)
    else:
        monkeypatch.setenv("MOTCUA_PAYMENT_SECRET", secret)
    with pytest.raises(SystemExit) as stopped:
        create_app()
    assert stopped.value.code == EXIT_BAD_SETTINGS
    assert "MOTCUA_PAYMENT_SECRET" in capsys.readouterr().err


def test_the_real_national_portal_refuses_the_fakes_secret(tmp_path: Path) -> None:
    from engine.local_systems import default_registry

    settings = Settings.from_env(_env(tmp_path, **SECRET, MOTCUA_DVCQG_URL="https://dichvucong.gov.vn/api",
                                      MOTCUA_DVCQG_CLIENT_ID="h41", MOTCUA_DVCQG_SECRET=FakeNationalPortal().secret))
    with pytest.raises(ConnectorSettingsError, match="MOTCUA_DVCQG_SECRET is a public development value"):
        configure(default_registry(), settings)


# --- the embedded demo keeps its own key -------------------------------------------------------


def test_serve_makes_a_key_once_keeps_it_owner_only_and_reuses_it(tmp_path: Path) -> None:
    first = embedded_settings(serving=True, env=_env(tmp_path))
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.secret_key.encode()) >= 32 and path.read_text().strip() == first.secret_key
    again = embedded_settings(serving=True, env=_env(tmp_path))
    assert again.secret_key == first.secret_key  # sessions survive a restart
    assert embedded_settings(serving=False, env=_env(tmp_path)).secret_key == first.secret_key


def test_a_loosened_key_file_is_made_owner_only_again(tmp_path: Path) -> None:
    embedded_settings(serving=True, env=_env(tmp_path))
    (tmp_path / KEY_FILE).chmod(0o644)
    embedded_settings(serving=True, env=_env(tmp_path))
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600


def test_other_commands_write_no_key_file(tmp_path: Path) -> None:
    one = embedded_settings(serving=False, env=_env(tmp_path))
    two = embedded_settings(serving=False, env=_env(tmp_path))
    assert one.secret_key != two.secret_key and len(one.secret_key) >= 32  # throwaway, never public
    assert not (tmp_path / KEY_FILE).exists()


def test_a_key_that_is_set_wins_and_is_checked_on_the_command_line_too(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert embedded_settings(serving=True, env=_env(tmp_path, MOTCUA_SECRET_KEY=GOOD_KEY)).secret_key == GOOD_KEY
    assert not (tmp_path / KEY_FILE).exists()
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MOTCUA_SECRET_KEY", OLD_DEFAULT)
    assert main(["db", "upgrade"]) == 2
    assert "MOTCUA_SECRET_KEY is a public development value" in capsys.readouterr().err


def test_commands_run_on_a_fresh_data_folder_without_any_setting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("MOTCUA_SECRET_KEY", "MOTCUA_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    assert main(["db", "upgrade"]) == 0
    assert main(["demo", "seed"]) == 0
    assert "refusing" not in capsys.readouterr().err


def test_serve_hands_its_key_to_the_worker_and_beat_it_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp import cli

    started: list[dict[str, str]] = []

    def popen(command: list[str], **kwargs: Any) -> Any:
        started.append(kwargs["env"])
        return None

    monkeypatch.delenv("MOTCUA_SECRET_KEY", raising=False)
    monkeypatch.setattr(cli.subprocess, "Popen", popen)
    settings = embedded_settings(serving=True, env=_env(tmp_path))
    cli._start_background(create_app({"TESTING": True}, settings=settings))
    assert len(started) == 2 and all(env["MOTCUA_SECRET_KEY"] == settings.secret_key for env in started)


# --- a cookie signed with the old public default opens nothing ---------------------------------


def _cookie(app: Flask, key: str, data: dict[str, Any]) -> str:
    """What an attacker makes with the key: a Flask session cookie of their own."""
    forger = Flask("forger")
    forger.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(data)  # type: ignore[union-attr]


def _account_id(app: Flask, username: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Account.id).where(Account.username == username))


@pytest.mark.parametrize(("username", "session_key", "page"), [
    ("quantri", "officer_id", "/can-bo/quan-tri/vai-tro"),  # the administrators' role page
    ("an", "citizen_id", "/thong-bao"),  # a citizen's inbox
])
def test_a_cookie_signed_with_the_old_default_opens_nothing(
        app: Flask, seeded: dict, username: str, session_key: str, page: str) -> None:
    data = {session_key: _account_id(app, username)}
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    genuine = app.test_client()
    genuine.set_cookie(cookie_name, _cookie(app, app.secret_key, data))  # type: ignore[arg-type]
    assert genuine.get(page).status_code == 200  # the same cookie with the real key does open it
    forged = app.test_client()
    forged.set_cookie(cookie_name, _cookie(app, OLD_DEFAULT, data))
    response = forged.get(page)
    assert response.status_code == 302 and "dang-nhap" in response.headers["Location"]


# --- real processes, started the way the Procfile starts them ----------------------------------


def _procfile_command(process: str, tmp_path: Path, port: int) -> list[str]:
    """The Procfile's line for ``process``, on a loopback port and a scratch beat schedule."""
    for line in (REPO / "Procfile").read_text().splitlines():
        if line.startswith(f"{process}:"):
            words = shlex.split(line.split(":", 1)[1])
            break
    else:
        raise AssertionError(f"no {process} line in the Procfile")
    for flag, value in (("-b", f"127.0.0.1:{port}"), ("--schedule", str(tmp_path / "beat"))):
        if flag in words:
            words[words.index(flag) + 1] = value
    return [str(Path(sys.executable).parent / words[0]), *words[1:]]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("process", ["web", "worker", "beat"])
def test_the_procfile_processes_refuse_to_start_without_a_key(tmp_path: Path, process: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env["MOTCUA_DATA_DIR"] = str(tmp_path)
    started = time.monotonic()
    done = subprocess.run(_procfile_command(process, tmp_path, _free_port()), cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=90)
    assert done.returncode != 0
    assert time.monotonic() - started < 60
    assert "motcua: refusing to start: MOTCUA_SECRET_KEY is not set" in done.stderr
    assert GENERATE in done.stderr and "Traceback" not in done.stderr
    if process == "web":  # the master refused before it bound the port or forked a worker
        assert done.stderr.count("refusing to start") == 1 and "Listening at" not in done.stderr
    assert not (tmp_path / KEY_FILE).exists()  # only `motcua serve` makes one


def test_the_procfiles_web_process_listens_on_loopback_only() -> None:
    """Slow clients are a proxy's job: gunicorn itself is never exposed (docs/operator/index.md)."""
    words = _procfile_command("web", Path("/tmp"), 8000)
    binds = [words[i + 1] for i, w in enumerate(words) if w == "-b"]
    line = next(x for x in (REPO / "Procfile").read_text().splitlines() if x.startswith("web:"))
    assert binds and "-b 127.0.0.1:" in line and "0.0.0.0" not in line
