"""Officers' notes on a dossier (read by the officers of the units involved, never by the citizen)."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.accounts.models import Account
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.dossiers.models import Dossier, DossierNote
from webapp.extensions import db

NOTE_MAX = 2000


def notes_of(dossier: Dossier) -> list[tuple[DossierNote, str]]:
    """(note, author's name), oldest first."""
    return [(note, name) for note, name in db.session.execute(
        sa.select(DossierNote, Account.display_name).join(Account, Account.id == DossierNote.author_id)
        .where(DossierNote.dossier_id == dossier.id).order_by(DossierNote.id)).all()]


def add_note(dossier: Dossier, *, author_id: int, text: str) -> DossierNote:
    """Audited as written, without its words: a note may name people."""
    note = DossierNote(dossier_id=dossier.id, author_id=author_id, text=text)
    db.session.add(note)
    db.session.flush()
    record(Event.DOSSIER_NOTE_ADDED, actor_id=author_id, dossier_id=dossier.id, object_type="dossier_note",
           object_id=note.id, length=len(text))
    return note
