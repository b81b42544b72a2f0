"""What a status change tells the citizen, on which channels. Templates are data (vi/en)
and carry the dossier code and a tracking link, never personal data."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app

from engine.connectors import ConnectorError
from engine.statuses import DossierStatus
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.jobs.models import OutboxMessage
from webapp.models import utcnow
from webapp.notifications.models import Notification

TEMPLATE = "Hồ sơ {code}: {status}. Tra cứu: {link}"


def message_for(dossier: Dossier, status: int) -> str:
    base = current_app.config.get("MOTCUA_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
    return TEMPLATE.format(code=dossier.code, status=DossierStatus(status).label("vi"),
                           link=f"{base}/ho-so/{dossier.code}")


def _phone(dossier: Dossier) -> str | None:
    """The number the citizen asked results to be announced on, if the form has one."""
    delivery: Any = (dossier.form_data or {}).get("nhan_ket_qua") or {}
    number = delivery.get("so_dien_thoai") if isinstance(delivery, dict) else None
    return str(number) if number else None


def status_changed(*, outbox_id: int, dossier_id: int, status: int) -> list[Notification]:
    """Send the citizen the news of ``status`` once per channel, however often this runs."""
    # Only what the outbox really asked for: a stray or replayed message is ignored.
    asked = db.session.get(OutboxMessage, outbox_id)
    if asked is None or asked.payload != {"dossier_id": dossier_id, "status": status}:
        return []
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None:
        return []
    body = message_for(dossier, status)
    channels = {"portal": None}
    if (phone := _phone(dossier)) is not None:
        channels["sms"] = phone
    done = []
    for channel, address in channels.items():
        note = db.session.scalar(sa.select(Notification).where(
            Notification.outbox_id == outbox_id, Notification.channel == channel))
        if note is None:
            note = Notification(outbox_id=outbox_id, dossier_id=dossier.id, account_id=dossier.applicant_id,
                                channel=channel, body=body)
            db.session.add(note)
            db.session.flush()
        if note.state != "sent":
            _deliver(note, address)
        done.append(note)
    db.session.commit()
    return done


def _deliver(note: Notification, address: str | None) -> None:
    if note.channel == "portal":  # the portal inbox is the row itself
        note.state, note.sent_at = "sent", utcnow()
        return
    connector = current_app.extensions["motcua_engine"].connectors.get("sms.gui")
    try:
        connector.call({"so_dien_thoai": address, "noi_dung": note.body})
    except ConnectorError as err:
        note.error = str(err)[:200]
        if err.retryable:
            db.session.commit()  # keep the row; the job retries
            raise
        note.state = "failed"
        return
    note.state, note.sent_at = "sent", utcnow()
