"""What a status change tells the citizen, on which channels. Texts come from
``templates.yaml`` and carry the dossier code and a tracking link, never personal data;
the only personal value a channel gets is its own address (e-mail, phone number), read through
the package's ``fields:`` (engine/bindings.py).

A refusal (3), a supplement request (5) and a stop (8) also carry the officer's reason and what to
add (webapp/dossiers/reasons.py): words about the dossier, not data about the citizen, sent with
identity and phone numbers and e-mail addresses an officer may have quoted masked, and cut short
in SMS/Zalo/inbox texts (the page has the whole text)."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app

from engine.bindings import Bindings
from engine.connectors import ConnectorError
from engine.runtime import VN_TZ
from engine.statuses import DossierStatus
from webapp.dossiers import reasons
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.models import utcnow
from webapp.notifications.models import Notification
from webapp.notifications.templates import Templates
from webapp.outbox.models import OutboxMessage

log = logging.getLogger(__name__)

TEMPLATES = "motcua_notify_templates"
CONNECTOR_FOR = {"email": "email.gui", "sms": "sms.gui", "zalo": "zalo.gui"}
SHORT_REASON = 300  # characters of a reason in an SMS, Zalo or inbox text


def templates() -> Templates:
    return current_app.extensions[TEMPLATES]


def _values(dossier: Dossier, status: int, lang: str) -> dict[str, str]:
    base = current_app.config.get("MOTCUA_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
    name = (dossier.procedure_version.meta or {}).get("name") or {}
    procedure = (name.get(lang) or name.get("vi") or "") if isinstance(name, dict) else str(name)
    due = dossier.due_at.astimezone(VN_TZ).strftime("%d/%m/%Y") if dossier.due_at else "—"
    return {"code": dossier.code, "status": DossierStatus(status).label(lang), "procedure": procedure,
            "due": due, "link": f"{base}/ho-so/{dossier.code}"}


WITHDRAWN = {"vi": "theo yêu cầu rút hồ sơ của bạn", "en": "at your request to withdraw the dossier"}


def _reason_values(dossier: Dossier, status: int, lang: str, *, limit: int | None) -> dict[str, str]:
    """{reason} and {items} for a refusal, a supplement request or a stop ("" when none was given)."""
    reason = reasons.latest(dossier, status)
    if reason is None:
        return {}

    def cut(text: str) -> str:
        text = " ".join(reasons.without_identifiers(text).split())
        return text if limit is None or len(text) <= limit else text[:limit - 1].rstrip() + "…"
    text = cut(reason.text)
    if reason.withdrawn:
        text = WITHDRAWN[lang] + (f" ({text})" if text else "")
    return {"reason": text, "items": cut(reason.items)}


def bodies(dossier: Dossier, status: int) -> dict[str, str]:
    """The text each channel gets. E-mail is bilingual and stored as ``subject\\n\\nbody``."""
    vi, en = (templates().render(status, lang, _values(dossier, status, lang)
                                 | _reason_values(dossier, status, lang, limit=None)) for lang in ("vi", "en"))
    vi_short = templates().render(status, "vi", _values(dossier, status, "vi")
                                  | _reason_values(dossier, status, "vi", limit=SHORT_REASON)).short
    email = f"{vi.subject}\n\n{vi.email.rstrip()}\n\n— English —\n{en.email.rstrip()}\n"
    return {"portal": vi_short, "email": email, "sms": vi_short, "zalo": vi_short}


def addresses(dossier: Dossier) -> dict[str, str | None]:
    """Channels the applicant asked for in the declaration (the package's contact fields), in sending
    order, with their address."""
    bindings = Bindings.for_metadata(dossier.procedure_version.meta)
    data: Any = dossier.form_data or {}
    found: dict[str, str | None] = {"portal": None}
    if email := bindings.text(data, "contact_email"):
        found.update(email=email)
    if phone := bindings.text(data, "contact_phone"):
        found.update(sms=phone)
        if bindings.get(data, "contact_zalo") is True:
            found.update(zalo=phone)
    return found


def status_changed(*, outbox_id: int, dossier_id: int, status: int) -> tuple[list[Notification], Exception | None]:
    """Send the citizen the news of ``status`` once per channel, however often this runs.

    Every channel is tried; one that fails for good is marked failed. Returns the channels and,
    when one failed in a way worth retrying, its error: the job commits the others, then raises it,
    so only that one is retried."""
    # Only what the outbox really asked for: a stray or replayed message is ignored.
    asked = db.session.get(OutboxMessage, outbox_id)
    if asked is None or asked.payload != {"dossier_id": dossier_id, "status": status}:
        return [], None
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None or status not in templates().notify:
        return [], None
    texts = bodies(dossier, status)
    done, retry = [], None
    for channel, address in addresses(dossier).items():
        note = db.session.scalar(sa.select(Notification).where(
            Notification.outbox_id == outbox_id, Notification.channel == channel))
        if note is None:
            note = Notification(outbox_id=outbox_id, dossier_id=dossier.id, account_id=dossier.applicant_id,
                                channel=channel, body=texts[channel])
            db.session.add(note)
            db.session.flush()
        if note.state == "pending":
            retry = _deliver(note, address) or retry
        done.append(note)
    return done, retry


def _deliver(note: Notification, address: str | None) -> ConnectorError | None:
    """Send one row; returns the error if trying again later may help."""
    if note.channel == "portal":  # the portal inbox is the row itself
        note.state, note.sent_at, note.error = "sent", utcnow(), None
        return None
    connector = current_app.extensions["motcua_engine"].connectors.get(CONNECTOR_FOR[note.channel])
    try:
        if connector is None:
            raise ConnectorError(f"no connector {CONNECTOR_FOR[note.channel]}", retryable=False)
        connector.call(_params(note, address))
    except ConnectorError as err:
        # The message says what failed, never to whom: ids only in the log.
        note.error = str(err)[:200]
        log.warning("notification %s (%s) failed: %s", note.id, note.channel, note.error)
        if err.retryable:
            return err
        note.state = "failed"
        return None
    note.state, note.sent_at, note.error = "sent", utcnow(), None
    return None


def _params(note: Notification, address: str | None) -> dict[str, Any]:
    if note.channel == "email":
        subject, _, body = note.body.partition("\n\n")
        return {"dia_chi_email": address, "tieu_de": subject, "noi_dung": body}
    return {"so_dien_thoai": address, "noi_dung": note.body}
