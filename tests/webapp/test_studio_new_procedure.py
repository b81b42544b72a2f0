"""A new procedure from the studio's starter: a valid two-step draft, or every wrong answer explained."""

from __future__ import annotations

import lxml.html
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.test_workspace import _csrf, _login
from webapp.audit.models import AuditEntry
from webapp.extensions import db
from webapp.procedures.models import Procedure, ProcedureVersion

ANSWERS = {"name": "Xác nhận thông tin cư trú thử nghiệm", "slug": "xac-nhan-cu-tru-thu", "code": "1.009999",
           "field": "Cư trú", "agency": "Ủy ban nhân dân cấp xã", "level": "commune"}


def _create(client: FlaskClient, **changes: str):  # noqa: ANN202 - a test response
    page = client.get("/thiet-ke/moi").get_data(as_text=True)
    return client.post("/thiet-ke/moi", data={"csrf_token": _csrf(page), **ANSWERS, **changes})


def test_a_designer_creates_a_valid_two_step_draft(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _login(client, "thietke")
    answer = _create(client)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/thiet-ke/xac-nhan-cu-tru-thu/phien-ban/1/")
    with app.app_context():
        version = db.session.scalars(
            sa.select(ProcedureVersion).join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
            .where(Procedure.slug == "xac-nhan-cu-tru-thu")).one()
        assert version.published is False and version.meta["name"]["vi"] == ANSWERS["name"]
        assert {"bpmn/xac-nhan-cu-tru-thu/process.bpmn", "forms/xac-nhan-cu-tru-thu/to-khai.schema.json",
                "forms/common/nguoi.schema.json"} <= set(version.files)
        actions = db.session.scalars(sa.select(AuditEntry.action)).all()
        assert "studio.procedure_created" in actions and "procedure.version_stored" in actions
    # It runs: the studio's test run starts it with the declaration form.
    start = client.get("/thiet-ke/xac-nhan-cu-tru-thu/phien-ban/1/chay-thu").get_data(as_text=True)
    assert "Nội dung đề nghị" in start


def test_wrong_answers_are_each_explained_and_nothing_is_stored(app: Flask, client: FlaskClient,
                                                                 seeded: dict) -> None:
    _login(client, "thietke")
    answer = _create(client, slug="Khai Sinh!", code="123", name="", level="moon")
    assert answer.status_code == 422
    links = [a.get("href") for a in lxml.html.fromstring(answer.get_data(as_text=True)).cssselect(".error-summary a")]
    assert links == ["#slug", "#code", "#name", "#level"]
    taken = _create(client, slug="khai-sinh")
    assert taken.status_code == 422 and "Đã có thủ tục mang tên này" in taken.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Procedure)
                                 .where(Procedure.slug.in_(["khai-sinh!", "xac-nhan-cu-tru-thu"]))) == 0


def test_only_designers_create(client: FlaskClient, seeded: dict) -> None:
    _login(client, "tiepnhan")
    assert client.get("/thiet-ke/moi").status_code == 403
