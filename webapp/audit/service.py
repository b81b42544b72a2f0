from __future__ import annotations

from typing import Any

from webapp.audit import chain  # noqa: F401  (entries are chained as they are inserted)
from webapp.audit.events import Event
from webapp.audit.models import AuditEntry
from webapp.extensions import db


def record(action: Event, *, actor_id: int | None, dossier_id: int | None = None, object_type: str | None = None,
           object_id: Any = None, **detail: Any) -> None:
    """Add an audit entry to the current transaction (it commits or rolls back with the change).
    ``action`` is one of :class:`~webapp.audit.events.Event`: every event has its words."""
    if not isinstance(action, Event):
        raise TypeError(f"audit events are webapp.audit.events.Event members, not {action!r}")
    db.session.add(AuditEntry(action=action, actor_id=actor_id, dossier_id=dossier_id, object_type=object_type,
                              object_id=None if object_id is None else str(object_id), detail=detail))
