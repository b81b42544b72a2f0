"""Officers' notes on a dossier: a line for the colleague who takes the next step ("the father
will bring the original on Monday"). Only officers of the units involved read them; the citizen
never does. The audit log records that a note was written, not what it says (it may name people)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.dossiers import notes
from webapp.dossiers.notes import NOTE_MAX
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.workspace.routes import bp
from webapp.workspace.slips import dossier_for_officer


@bp.post("/ho-so/<code>/ghi-chu")
@officer_required
def add_note(code: str) -> ResponseReturnValue:
    officer = current_officer()
    assert officer is not None
    dossier = dossier_for_officer(code)
    text = (request.form.get("ghi_chu") or "").strip()
    back = request.form.get("quay_lai") or ""
    if not back.startswith("/can-bo/") or "//" in back:  # only back into the workspace
        back = url_for("workspace.worklist")
    english = current_lang() == "en"
    if not text or len(text) > NOTE_MAX:
        flash((f"Write a note of 1 to {NOTE_MAX} characters; nothing was saved." if english else
               f"Ghi chú phải có từ 1 đến {NOTE_MAX} ký tự; chưa lưu gì."), "error")
        return redirect(back)
    notes.add_note(dossier, author_id=officer.account_id, text=text)
    db.session.commit()
    flash("Note saved." if english else "Đã lưu ghi chú.", "info")
    return redirect(back)
