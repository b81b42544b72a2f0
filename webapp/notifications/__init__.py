"""Notifications to citizens on status changes: portal inbox, e-mail, SMS and Zalo, via connectors."""

from __future__ import annotations

from flask import Flask

from engine.connectors.messaging import SmtpMailer


def init_notifications(app: Flask) -> None:
    """Load and check the templates (a bad file stops the start with a clear message), point the
    e-mail connector at the configured SMTP server, and add the inbox and demo mailbox pages."""
    from webapp.notifications import templates
    from webapp.notifications.routes import bp
    from webapp.notifications.service import TEMPLATES

    settings = app.config["MOTCUA_SETTINGS"]
    app.extensions[TEMPLATES] = templates.load()
    app.extensions["motcua_engine"].connectors.register(SmtpMailer(settings.smtp))
    app.register_blueprint(bp)
