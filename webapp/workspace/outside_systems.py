"""What the dossier's process asked of outside systems, for the officer handling it: the
service tasks' calls (made by background jobs) and where it stands on the national portal."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from webapp.connectors.models import PortalSync
from webapp.dossiers.models import ConnectorCallRecord, Dossier
from webapp.extensions import db

CALL_STATES = {
    "pending": ("Đang chờ trả lời", "Waiting for the answer"),
    "answered": ("Đã trả lời, đang cập nhật hồ sơ", "Answered, updating the dossier"),
    "applied": ("Xong", "Done"),
    "dropped": ("Không cần nữa", "No longer needed"),
}


@dataclass(frozen=True)
class OutsideSystems:
    calls: list[ConnectorCallRecord]
    portal: PortalSync | None

    def __bool__(self) -> bool:
        return bool(self.calls) or self.portal is not None


def of(dossier: Dossier) -> OutsideSystems:
    calls = db.session.scalars(sa.select(ConnectorCallRecord).where(ConnectorCallRecord.dossier_id == dossier.id)
                               .order_by(ConnectorCallRecord.id)).all()
    portal = db.session.scalar(sa.select(PortalSync).where(PortalSync.dossier_id == dossier.id))
    return OutsideSystems(list(calls), portal)
