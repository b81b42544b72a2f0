"""Flask application factory. Domains live in sub-packages (catalog, dossiers, api, ...)."""

from __future__ import annotations

import logging
import sys
from typing import Any, NoReturn

from flask import Flask

from engine.connectors import ConnectorRegistry
from engine.isolation import Limits, ScriptPool
from engine.runtime import Engine
from webapp.extensions import db, migrate
from webapp.outbox import init_celery
from webapp.secret_key import how_to_fix, key_problem
from webapp.settings import Settings, SettingsError

# gunicorn's "App failed to load" status: its master stops instead of restarting the workers
# forever; for Celery or a script it is just another non-zero exit.
EXIT_BAD_SETTINGS = 4


# Every domain registers its background jobs in its own module; the outbox runs them by name.
JOB_MODULES = (
    "webapp.dossiers.jobs", "webapp.notifications.jobs", "webapp.connectors.jobs", "webapp.timers.jobs",
    "webapp.deadlines.jobs", "webapp.reports.jobs", "webapp.results.jobs",
)


def create_app(config: dict[str, Any] | None = None, settings: Settings | None = None) -> Flask:
    """The app. Without ``settings`` (gunicorn, Celery, scripts) it comes from the MOTCUA_*
    environment, and a setting it cannot run with (an unset or public MOTCUA_SECRET_KEY, a real
    gateway without its secret) ends the process with the message, no traceback. With
    ``settings`` (tests, the command line) such a setting raises SettingsError."""
    if settings is not None:
        return _build(config, settings)
    try:
        return _build(config, Settings.from_env())
    except SettingsError as err:
        _refuse(err)


def _refuse(err: SettingsError) -> NoReturn:
    print(f"motcua: refusing to start: {err}", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_BAD_SETTINGS)


def _build(config: dict[str, Any] | None, settings: Settings) -> Flask:
    app = Flask(__name__, instance_path=str(settings.data_dir))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    app.config.update(settings.flask_config())
    if config:
        app.config.update(config)
    problem = key_problem(app.config.get("SECRET_KEY"))  # config may have replaced the settings' key
    if problem:
        raise SettingsError(how_to_fix(problem))
    db.init_app(app)
    migrate.init_app(app, db, directory=str(settings.migrations_dir))
    # One engine per process: it caches every compiled procedure version.
    # Service tasks wait for the connector.call job: no request waits on an outside system.
    # Scripts from packages run in this app's pool of limited processes (engine/isolation.py).
    scripts = ScriptPool(settings.script_processes, Limits(settings.script_time_limit, settings.script_memory_mb))
    # Its connectors come from the settings (init_connectors, init_notifications): real systems or local fakes.
    app.extensions["motcua_engine"] = Engine(connectors=ConnectorRegistry(), defer_connectors=True,
                                             script_time_limit=settings.script_time_limit, script_pool=scripts)
    init_celery(app, JOB_MODULES)
    _quiet_personal_data_loggers()

    from webapp import models_registry  # noqa: F401  (every table known to SQLAlchemy/Alembic)
    from webapp.accounts.oidc import init_oidc
    from webapp.api import bp as api_bp
    from webapp.api.errors import register_error_handlers
    from webapp.catalog.routes import bp as catalog_bp
    from webapp.connectors import init_connectors
    from webapp.i18n import init_i18n, register_filters
    from webapp.notifications import init_notifications
    from webapp.ops.routes import bp as ops_bp
    from webapp.payments.gateway import init_payments
    from webapp.payments.routes import bp as payments_bp
    from webapp.portal import (
        attachment_pages,  # noqa: F401  (attachments, on the portal blueprint)
        citizen_steps,  # noqa: F401  (the citizen's own steps, on the portal blueprint)
    )
    from webapp.portal.routes import bp as portal_bp
    from webapp.reports.routes import bp as reports_bp
    from webapp.results.routes import init_results
    from webapp.security import init_csrf, init_security_headers
    from webapp.signing.routes import init_signing
    from webapp.studio.routes import bp as studio_bp
    from webapp.tracking.routes import bp as tracking_bp

    # more routes on the workspace blueprint
    from webapp.workspace import (  # noqa: F401
        admin_roles,
        apology,
        assignments,
        deadline_alerts,
        desk_payment,
        documents,
        intake,
        notes,
        records,
        slips,
        withdrawals,
    )
    from webapp.workspace.routes import bp as workspace_bp

    app.register_blueprint(catalog_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(workspace_bp)
    app.register_blueprint(studio_bp)  # designers: versions, differences, import/export, publish
    app.register_blueprint(ops_bp)  # /metrics, failed jobs for administrators
    app.register_blueprint(reports_bp)  # the service-quality index for leaders
    register_error_handlers(app)
    app.after_request(_relay_outbox)
    init_i18n(app)
    register_filters(app)
    init_csrf(app)
    init_security_headers(app, hsts=settings.hsts)  # CSP, frame-ancestors, no-store on personal pages
    init_oidc(app)  # citizen login (OpenID Connect); settings: MOTCUA_OIDC_*
    app.register_blueprint(portal_bp)
    app.register_blueprint(tracking_bp)
    init_notifications(app)  # templates, e-mail connector (MOTCUA_SMTP_*), inbox and demo mailbox pages
    app.register_blueprint(payments_bp)
    init_payments(app)  # fee payment gateway (after init_oidc); settings: MOTCUA_PAYMENT_* (default: the local fake)
    init_results(app)  # the signed result document: download for the applicant and officers
    init_signing(app)  # /xac-minh-chu-ky: verify a signed PDF; settings: MOTCUA_SIGNING_*
    init_connectors(app)  # post, judicial records, portal, signing: MOTCUA_BUU_CHINH_*, _LLTP_*, _DVCQG_*, _KY_SO_*
    return app


def _relay_outbox(response):  # noqa: ANN001, ANN202 - a Flask after_request hook
    from webapp.outbox.service import relay_after_request

    relay_after_request()
    return response


def _quiet_personal_data_loggers() -> None:
    # SQL echo would print form data (names, identity numbers) into logs.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
