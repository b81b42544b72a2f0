"""Dossiers on the test-only ``hen-gio`` procedure: they wait on a BPMN timer, then an officer step."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Flask

from tests.conftest import test_package
from tests.webapp.conftest import Api
from webapp.extensions import db
from webapp.procedures.service import publish, store_package

SLUG = "hen-gio"
UNIT = "H41.01.01"


def publish_hen_gio(app: Flask) -> None:
    with app.app_context():
        version, _ = store_package(test_package(SLUG), actor_id=None)
        publish(SLUG, version.number, actor_id=None)
        db.session.commit()


def submit_waiting_until(api: Api, fire_at: datetime) -> dict:
    status, dossier = api.post("/dossiers", "an", json={"procedure": SLUG, "unit": UNIT,
                                                        "data": {"han_cho": fire_at.isoformat()}})
    assert status == 201, dossier
    return dossier


def ready_elements(app: Flask, dossier_id: int) -> list[str]:
    from webapp.dossiers.models import WorkItem

    with app.app_context():
        return list(db.session.scalars(sa.select(WorkItem.element_id).where(
            WorkItem.dossier_id == dossier_id, WorkItem.state == "ready")))
