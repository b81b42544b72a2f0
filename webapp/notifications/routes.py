"""The citizen's inbox (``/thong-bao``) and, in the embedded default only, the demo mailbox
(``/hop-thu-gia-lap``) showing what the local SMTP sink received."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from webapp.accounts.oidc import current_citizen
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.notifications.models import Notification

bp = Blueprint("notifications", __name__)

PER_PAGE = 20
MAILBOX_PAGE = 50
EML_NAME = re.compile(r"^[0-9T]+-[0-9a-f]{8}\.eml$")


def _page_number() -> int:
    raw = request.args.get("trang", "1")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) < 100_000 else 1


@bp.get("/thong-bao")
def inbox() -> ResponseReturnValue:
    citizen = current_citizen()
    if citizen is None:
        return redirect(url_for("oidc.login", next=request.path))
    page = _page_number()
    mine = sa.and_(Notification.account_id == citizen.id, Notification.channel == "portal")
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(mine)) or 0
    rows = db.session.execute(
        sa.select(Notification, Dossier.code).join(Dossier, Dossier.id == Notification.dossier_id).where(mine)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    pages = max(1, -(-total // PER_PAGE))
    return render_template("notifications/inbox.html", rows=rows, page=page, pages=pages, total=total)


def _mailbox_dir() -> Path:
    settings = current_app.config["MOTCUA_SETTINGS"]
    if not settings.demo_mailbox:
        abort(404)  # production: real mail goes to real mailboxes, nothing to show here
    return settings.mailbox_dir


def _read(path: Path) -> Any:
    with path.open("rb") as handle:
        return BytesParser(policy=policy.default).parse(handle)


@bp.get("/hop-thu-gia-lap")
def mailbox() -> ResponseReturnValue:
    directory = _mailbox_dir()
    files = sorted((p for p in directory.glob("*.eml") if EML_NAME.match(p.name)), reverse=True) \
        if directory.is_dir() else []
    messages = [{"name": p.name, "mail": _read(p)} for p in files[:MAILBOX_PAGE]]
    return render_template("notifications/mailbox.html", messages=messages, total=len(files))


@bp.get("/hop-thu-gia-lap/<name>")
def mailbox_message(name: str) -> ResponseReturnValue:
    directory = _mailbox_dir()
    if not EML_NAME.match(name) or not (directory / name).is_file():
        abort(404)
    mail = _read(directory / name)
    body = mail.get_body(preferencelist=("plain",))
    return render_template("notifications/message.html", mail=mail,
                           body=body.get_content() if body is not None else "")
