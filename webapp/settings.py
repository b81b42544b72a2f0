"""Every setting, read from the environment with the ``MOTCUA_`` prefix, documented here.

MOTCUA_DATABASE_URL       SQLAlchemy URL. Default: SQLite file ``motcua.db`` in MOTCUA_DATA_DIR
                          (no server needed). PostgreSQL: postgresql+psycopg://user:pw@host/db
MOTCUA_DATA_DIR           where the SQLite file, uploads and generated PDFs go. Default: ./instance
                          (in a checkout: the repository's instance/)
MOTCUA_LIBRARY            folder holding bpmn/ and forms/ loaded by `motcua procedures load`.
                          Default: the repository root (installed from a wheel: the library it carries)
MOTCUA_PROVINCE           this deployment's province code: its overlays in overlays/<code>/ (fees,
                          deadlines, components, units it changes) apply to the library. Default: none
MOTCUA_PROVINCE_NAME      the province as printed at the top left of the desk forms (PDF), e.g. "UBND TỈNH NINH BÌNH".
                          Default: the name of the receiving unit's parent unit
MOTCUA_PDF_TEMPLATES      a folder of desk-form templates (mau_01.yaml ... mau_07.yaml) that replace the
                          built-in ones in webapp/pdf/templates/ file by file. Default: none (built-in only)
MOTCUA_PDF_FONT_DIR       a folder holding DejaVuSans.ttf (and -Bold, -Oblique), the font of every PDF
                          (desk forms, results).
                          Default: Debian's fonts-dejavu-core (/usr/share/fonts/truetype/dejavu)
MOTCUA_SECRET_KEY         signs every session cookie (officers, citizens): whoever knows it can sign in as anyone.
                          REQUIRED: a random value of 32+ bytes, the same for web, workers and beat, e.g.
                          python -c "import secrets; print(secrets.token_urlsafe(48))". gunicorn, Celery and
                          create_app() refuse to start when it is unset, short or a development value from
                          this repository. No default, except on the `motcua` command line (the embedded demo):
                          there an unset key means the random one `motcua serve` keeps in
                          MOTCUA_DATA_DIR/secret_key (mode 0600, made on the first start, reused afterwards)
MOTCUA_DOSSIER_CODE       dossier code format (Python format string over unit, date, seq).
                          Default: {unit}-{date:%Y%m%d}-{seq:07d}  e.g. G09.20-20260609-0092637
MOTCUA_MAX_UPLOAD_MB      largest request body accepted (uploads, package zips). Default: 25
MOTCUA_SCRIPT_TIME_LIMIT  seconds one BPMN script or expression may run before its process is killed and the
                          dossier stops at that step with a message (engine/isolation.py). Default: 1
MOTCUA_SCRIPT_MEMORY_MB   address space of each script process. Default: 256
MOTCUA_SCRIPT_PROCESSES   script processes per web or worker process (started on first use; a request
                          waits for a free one beyond that). Default: 4, the gunicorn threads per worker
MOTCUA_BROKER_URL         Celery broker (redis://..., amqp://...). Default: a SQLite file in MOTCUA_DATA_DIR
MOTCUA_PUBLIC_URL         the site's address, for links in notifications. Default: http://127.0.0.1:5000
MOTCUA_SESSION_HOURS      how long a sign-in lasts (officers and citizens), whatever the activity. Default: 8
MOTCUA_SESSION_IDLE_MINUTES an officer's session ends after this many minutes without a request. Default: 30
MOTCUA_SECURE_COOKIES     1: the session cookie is sent over https only (Secure) and named __Host-motcua-session.
                          Default: 1 when MOTCUA_PUBLIC_URL is https, else 0. Logging out, or a new password,
                          ends every session of the account on the server (cookies copied before included)
MOTCUA_HSTS               1: https responses carry Strict-Transport-Security (max-age one year): browsers then
                          refuse plain http for the site. Set it once https works everywhere. Default: 0
MOTCUA_TOKEN_DAYS         lifetime of API tokens issued by `motcua create-token`. Default: 30
MOTCUA_JOB_LEASE_SECONDS  how long a relayed job may stay unfinished before the relay sends it again (a worker
                          killed mid-job, a broker that lost the message). Default: 600
MOTCUA_TIMER_POLL_SECONDS how often beat claims the BPMN timers that are due. Default: 30
MOTCUA_TIMER_LEASE_SECONDS how long a claimed timer waits for its job before another beat claims it. Default: 300
MOTCUA_DEADLINE_WARN_DAYS  officers are warned this many working days before a dossier's legal due date.
                          Default: 1
MOTCUA_DEADLINE_SCAN_SECONDS how often beat looks for dossiers approaching or past their due date. Default: 600
MOTCUA_QUALITY_REFRESH_SECONDS how often beat recomputes this month's service-quality index (and the previous
                          month once more, when its figures were computed before it ended). Default: 3600
MOTCUA_METRICS_TOKEN      when set, /metrics asks for "Authorization: Bearer <token>". Default: unset (open;
                          block /metrics at the proxy or set a token)
MOTCUA_OIDC_ISSUER        OpenID Connect issuer for citizen login (discovery: ISSUER/.well-known/openid-configuration).
                          Default: the local demo provider http://127.0.0.1:5001, started by `motcua serve`.
                          Production: the national identity (VNeID) gateway's https issuer
MOTCUA_OIDC_CLIENT_ID     client id registered with the issuer. Default (local provider only): motcua-dev
MOTCUA_OIDC_CLIENT_SECRET client secret. Default (local provider only): a development value; unset for a
                          public client (PKCE only). Refused with a remote issuer when it is a development value
MOTCUA_OIDC_SCOPES        scopes asked for; must include openid. Default: "openid profile"
MOTCUA_OIDC_REDIRECT_URI  callback URL registered with the issuer, when behind a proxy.
                          Default: built from the request (.../dang-nhap/callback)
MOTCUA_SMTP_HOST          SMTP server for e-mail notifications (the province's mail relay).
                          Default: none, i.e. the local SMTP sink on 127.0.0.1:8025 that `motcua serve` starts
MOTCUA_SMTP_PORT          Default: 587 with MOTCUA_SMTP_HOST, 8025 for the local sink
MOTCUA_SMTP_USER, MOTCUA_SMTP_PASSWORD   SMTP login, when the server asks for one. Default: none
MOTCUA_SMTP_STARTTLS      1 to upgrade the connection with STARTTLS. Default: 1 with MOTCUA_SMTP_HOST, else 0
MOTCUA_SMTP_FROM          sender address. Default: "Dịch vụ công <no-reply@motcua.invalid>"
MOTCUA_DEMO_MAILBOX       1 to run the local SMTP sink and show what it received at /hop-thu-gia-lap.
                          Default: 1 without MOTCUA_SMTP_HOST (embedded default), else 0
MOTCUA_PAYMENT_URL        the payment gateway's payment page (https). Default: the local fake gateway
                          mounted at /cong-thanh-toan-gia-lap/ (a path means: the fake, inside this app)
MOTCUA_PAYMENT_MERCHANT   merchant code the gateway issued. Default (local fake only): MOTCUA-DEV
MOTCUA_PAYMENT_SECRET     shared HMAC secret the gateway issued (16+ characters). Default (local fake only):
                          a development value. A real (https) MOTCUA_PAYMENT_URL refuses to start without one
                          of its own
MOTCUA_PAYMENT_MAX_AGE    seconds a signed gateway answer stays acceptable. Default: 900
MOTCUA_SIGNING_DIR        folder with each unit's signing key as <UNIT CODE>.p12 (key, certificate, chain from a
                          licensed CA) and ca.pem, the root certificate(s) trusted when verifying signatures.
                          Default: none, i.e. MOTCUA_DATA_DIR/signing/ with a local demo CA ("NOT FOR
                          PRODUCTION") created on first use and a certificate per unit issued as it first signs
MOTCUA_SIGNING_PASSWORD   the password of the .p12 files in MOTCUA_SIGNING_DIR. Default: none (unencrypted)
MOTCUA_KY_SO_URL          remote signing service (ky_so.ky_bam: the CA's signing API/HSM holding the units' keys)
                          base URL, https; needs MOTCUA_SIGNING_DIR for the units' certificates (<UNIT CODE>.pem).
                          Default: none, i.e. the local signing service, with the keys of the signing folder
MOTCUA_KY_SO_TOKEN        bearer token for it. Default: none
MOTCUA_BUU_CHINH_URL      public post API (buu_chinh.*) base URL, https. Default: none, i.e. the local fake
MOTCUA_BUU_CHINH_TOKEN    bearer token for it. Default: none
MOTCUA_LLTP_URL           judicial-record verification API (ly_lich_tu_phap.*) base URL. Default: the local fake
MOTCUA_LLTP_TOKEN         bearer token for it. Default: none
MOTCUA_KHO_DU_LIEU_URL    the citizen data store API (kho_du_lieu.*: push results, list and fetch documents),
                          https. Default: none, i.e. the local fake keeping its files in
                          MOTCUA_DATA_DIR/fakes/kho-du-lieu/ (shared by the web app and the workers)
MOTCUA_KHO_DU_LIEU_TOKEN  bearer token for it. Default: none
MOTCUA_DVCQG_URL          national public service portal sync API (cong_dvc_quoc_gia.*). Default: the local fake
MOTCUA_DVCQG_CLIENT_ID, MOTCUA_DVCQG_SECRET   the province's client credentials at the portal (step 1: token);
                          required with MOTCUA_DVCQG_URL, and never the local fake's development secret
MOTCUA_DVCQG_UNIT         the unit code the portal knows this system by. Default: H41.15
MOTCUA_DVCQG_SYNC         0 to stop sending dossiers and their status changes to the national portal. Default: 1
MOTCUA_HTTP_CA_BUNDLE     PEM file of the CAs trusted for the HTTPS calls above (e.g. the government CA behind the
                          province's integration gateway, LGSP), instead of the system's store. Default: the system's
MOTCUA_HTTP_CLIENT_CERT   PEM client certificate (and chain) presented to the outside systems above when they ask
                          for one: the integration gateway's mutual TLS. Default: none
MOTCUA_HTTP_CLIENT_KEY    PEM private key of that certificate (unencrypted; needs MOTCUA_HTTP_CLIENT_CERT).
                          Default: none, i.e. the key is in the MOTCUA_HTTP_CLIENT_CERT file. A missing or wrong
                          file stops the app at start when a connector URL is set
"""

from __future__ import annotations

import importlib.resources
import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from engine.connectors.http import ClientTls
from engine.connectors.messaging import SmtpSettings
from webapp.secret_key import how_to_fix, key_problem

REPO_ROOT = Path(__file__).resolve().parent.parent


def _library_root() -> Path:
    """The folder holding bpmn/, forms/, overlays/ and migrations/. An installed wheel carries them
    as package data in webapp/_library/ (copied there by setup.py's build step); a checkout (an
    editable install) has them at the repository root, next to webapp/. Wheels install unzipped,
    so the package's resources are plain files with a path."""
    shipped = Path(str(importlib.resources.files("webapp") / "_library"))
    return shipped if shipped.is_dir() else REPO_ROOT


LIBRARY_ROOT = _library_root()
INSTALLED = LIBRARY_ROOT != REPO_ROOT  # from a wheel, not from a checkout
DEFAULT_CODE_FORMAT = "{unit}-{date:%Y%m%d}-{seq:07d}"


class SettingsError(ValueError):
    """A setting the product cannot run with: processes refuse to start and say what to set."""


@dataclass(frozen=True)
class OutsideSystem:
    """Where a connector family's real system answers; no URL means its local fake."""

    url: str | None = None
    token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Settings:
    database_url: str | None
    data_dir: Path
    library: Path
    secret_key: str = field(repr=False)  # never in a log line or a traceback's locals
    dossier_code_format: str = DEFAULT_CODE_FORMAT
    max_upload_mb: int = 25
    script_time_limit: float = 1.0
    script_memory_mb: int = 256
    script_processes: int = 4
    token_days: int = 30
    session_hours: float = 8.0  # a sign-in lasts this long (officers and citizens)
    session_idle_minutes: float = 30.0  # an officer's session ends after this long without a request
    secure_cookies: bool = False  # Secure, __Host- session cookie (default: on with an https public URL)
    hsts: bool = False  # Strict-Transport-Security on https responses
    broker: str | None = None
    public_url: str = "http://127.0.0.1:5000"
    province: str | None = None
    province_name: str | None = None
    pdf_templates: Path | None = None
    job_lease_seconds: float = 600.0
    metrics_token: str | None = None
    timer_poll_seconds: float = 30.0
    timer_lease_seconds: float = 300.0
    deadline_warn_days: int = 1
    deadline_scan_seconds: float = 600.0
    quality_refresh_seconds: float = 3600.0  # how often beat recomputes this month's service-quality index
    migrations_dir: Path = LIBRARY_ROOT / "migrations"
    smtp: SmtpSettings = SmtpSettings()
    demo_mailbox: bool = True
    signing_dir: Path | None = None
    signing_password: str | None = None
    signing_service: OutsideSystem = OutsideSystem()
    post: OutsideSystem = OutsideSystem()
    judicial_records: OutsideSystem = OutsideSystem()
    national_portal: OutsideSystem = OutsideSystem()
    data_store: OutsideSystem = OutsideSystem()
    national_portal_unit: str = "H41.15"
    national_portal_sync: bool = True  # every dossier and its status changes go to the national portal
    http_tls: ClientTls = ClientTls()  # CA bundle and client certificate for the HTTP connectors (mutual TLS)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            database_url=env.get("MOTCUA_DATABASE_URL") or None,
            data_dir=data_dir_from(env),
            library=Path(env.get("MOTCUA_LIBRARY") or LIBRARY_ROOT),
            secret_key=env.get("MOTCUA_SECRET_KEY") or "",  # no default: __post_init__ refuses it
            dossier_code_format=env.get("MOTCUA_DOSSIER_CODE") or DEFAULT_CODE_FORMAT,
            max_upload_mb=int(env.get("MOTCUA_MAX_UPLOAD_MB") or 25),
            script_time_limit=float(env.get("MOTCUA_SCRIPT_TIME_LIMIT") or 1.0),
            script_memory_mb=int(env.get("MOTCUA_SCRIPT_MEMORY_MB") or 256),
            script_processes=int(env.get("MOTCUA_SCRIPT_PROCESSES") or 4),
            token_days=int(env.get("MOTCUA_TOKEN_DAYS") or 30),
            session_hours=float(env.get("MOTCUA_SESSION_HOURS") or 8),
            hsts=_flag(env.get("MOTCUA_HSTS"), default=False),
            session_idle_minutes=float(env.get("MOTCUA_SESSION_IDLE_MINUTES") or 30),
            secure_cookies=_flag(env.get("MOTCUA_SECURE_COOKIES"),
                                 default=(env.get("MOTCUA_PUBLIC_URL") or "").lower().startswith("https://")),
            broker=env.get("MOTCUA_BROKER_URL") or None,
            public_url=env.get("MOTCUA_PUBLIC_URL") or "http://127.0.0.1:5000",
            province=env.get("MOTCUA_PROVINCE") or None,
            province_name=env.get("MOTCUA_PROVINCE_NAME") or None,
            pdf_templates=Path(env["MOTCUA_PDF_TEMPLATES"]) if env.get("MOTCUA_PDF_TEMPLATES") else None,
            smtp=_smtp(env),
            demo_mailbox=_flag(env.get("MOTCUA_DEMO_MAILBOX"), default=not env.get("MOTCUA_SMTP_HOST")),
            job_lease_seconds=float(env.get("MOTCUA_JOB_LEASE_SECONDS") or 600),
            metrics_token=env.get("MOTCUA_METRICS_TOKEN") or None,
            timer_poll_seconds=float(env.get("MOTCUA_TIMER_POLL_SECONDS") or 30),
            timer_lease_seconds=float(env.get("MOTCUA_TIMER_LEASE_SECONDS") or 300),
            deadline_warn_days=int(env.get("MOTCUA_DEADLINE_WARN_DAYS") or 1),
            deadline_scan_seconds=float(env.get("MOTCUA_DEADLINE_SCAN_SECONDS") or 600),
            quality_refresh_seconds=float(env.get("MOTCUA_QUALITY_REFRESH_SECONDS") or 3600),
            signing_dir=Path(env["MOTCUA_SIGNING_DIR"]) if env.get("MOTCUA_SIGNING_DIR") else None,
            signing_password=env.get("MOTCUA_SIGNING_PASSWORD") or None,
            signing_service=_outside(env, "KY_SO"),
            post=_outside(env, "BUU_CHINH"),
            judicial_records=_outside(env, "LLTP"),
            national_portal=_outside(env, "DVCQG"),
            data_store=_outside(env, "KHO_DU_LIEU"),
            national_portal_unit=env.get("MOTCUA_DVCQG_UNIT") or "H41.15",
            national_portal_sync=_flag(env.get("MOTCUA_DVCQG_SYNC"), default=True),
            http_tls=_http_tls(env),
        )

    def __post_init__(self) -> None:
        if self.deadline_warn_days < 0:
            raise SettingsError("MOTCUA_DEADLINE_WARN_DAYS must be 0 or more working days")
        if min(self.timer_poll_seconds, self.timer_lease_seconds, self.deadline_scan_seconds,
               self.quality_refresh_seconds) <= 0:
            raise SettingsError("MOTCUA_TIMER_POLL_SECONDS, MOTCUA_TIMER_LEASE_SECONDS, MOTCUA_DEADLINE_SCAN_SECONDS "
                             "and MOTCUA_QUALITY_REFRESH_SECONDS must be more than 0 seconds")
        if not (0 < self.script_time_limit <= 60 and self.script_memory_mb >= 64 and self.script_processes >= 1):
            raise SettingsError("MOTCUA_SCRIPT_TIME_LIMIT must be in (0, 60] seconds, MOTCUA_SCRIPT_MEMORY_MB at least "
                                "64 and MOTCUA_SCRIPT_PROCESSES at least 1")
        if self.session_hours <= 0 or self.session_idle_minutes <= 0:
            raise SettingsError("MOTCUA_SESSION_HOURS and MOTCUA_SESSION_IDLE_MINUTES must be more than 0")
        problem = key_problem(self.secret_key)
        if problem:
            raise SettingsError(how_to_fix(problem))

    @property
    def mailbox_dir(self) -> Path:
        """Where the local SMTP sink keeps what it received (one .eml file per message)."""
        return self.data_dir / "hop-thu-gia-lap"

    @property
    def data_store_dir(self) -> Path:
        """Where the local fake data store keeps its files (one folder for every process)."""
        return self.fakes_dir / "kho-du-lieu"

    @property
    def fakes_dir(self) -> Path:
        """Where the local fakes of outside systems keep their records, shared by the web app and
        every worker, and kept through restarts as the real systems would."""
        return self.data_dir / "fakes"

    @property
    def broker_url(self) -> str:
        """Redis or RabbitMQ in production; a SQLite file (no server) in the embedded default."""
        return self.broker or f"sqla+sqlite:///{self.data_dir / 'broker.sqlite'}"

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'motcua.db'}"

    def flask_config(self) -> dict[str, Any]:
        url = self.sqlalchemy_url
        # hide_parameters: database errors end up in logs, and their parameters are form data.
        engine_options: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
        if url.startswith("sqlite"):
            # Writers queue instead of failing at once; the embedded default is one process.
            engine_options = {"connect_args": {"timeout": 30}, "hide_parameters": True}
        return {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            "SECRET_KEY": self.secret_key,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            # __Host-: only over https, for this host, path / (no subdomain can set or read it)
            **({"SESSION_COOKIE_NAME": "__Host-motcua-session"} if self.secure_cookies else {}),
            "PERMANENT_SESSION_LIFETIME": timedelta(hours=self.session_hours),
            "MAX_CONTENT_LENGTH": self.max_upload_mb * 1024 * 1024,
            "MOTCUA_SETTINGS": self,
            "MOTCUA_LIBRARY": self.library,
            "MOTCUA_PUBLIC_URL": self.public_url,
        }


def data_dir_from(env: dict[str, str]) -> Path:
    default = Path("instance") if INSTALLED else REPO_ROOT / "instance"  # installed: ./instance, as documented
    return Path(env.get("MOTCUA_DATA_DIR") or default).resolve()


def _flag(value: str | None, *, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _smtp(env: dict[str, str]) -> SmtpSettings:
    host = env.get("MOTCUA_SMTP_HOST") or None
    local = SmtpSettings()
    return SmtpSettings(
        host=host or local.host,
        port=int(env.get("MOTCUA_SMTP_PORT") or (587 if host else local.port)),
        user=env.get("MOTCUA_SMTP_USER") or None,
        password=env.get("MOTCUA_SMTP_PASSWORD") or None,
        starttls=_flag(env.get("MOTCUA_SMTP_STARTTLS"), default=bool(host)),
        sender=env.get("MOTCUA_SMTP_FROM") or local.sender,
    )


def _http_tls(env: dict[str, str]) -> ClientTls:
    def path(name: str) -> Path | None:
        return Path(env[name]) if env.get(name) else None

    if env.get("MOTCUA_HTTP_CLIENT_KEY") and not env.get("MOTCUA_HTTP_CLIENT_CERT"):
        raise SettingsError("MOTCUA_HTTP_CLIENT_KEY needs MOTCUA_HTTP_CLIENT_CERT (the key's certificate)")
    return ClientTls(ca_bundle=path("MOTCUA_HTTP_CA_BUNDLE"), client_cert=path("MOTCUA_HTTP_CLIENT_CERT"),
                     client_key=path("MOTCUA_HTTP_CLIENT_KEY"))


def _outside(env: dict[str, str], prefix: str) -> OutsideSystem:
    return OutsideSystem(url=env.get(f"MOTCUA_{prefix}_URL") or None, token=env.get(f"MOTCUA_{prefix}_TOKEN") or None,
                         client_id=env.get(f"MOTCUA_{prefix}_CLIENT_ID") or None,
                         secret=env.get(f"MOTCUA_{prefix}_SECRET") or None)
