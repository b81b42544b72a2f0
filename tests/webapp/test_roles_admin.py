"""An administrator gives officers roles in the units they manage and takes them back."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.test_workspace import _csrf, _login
from webapp.accounts.models import Account, RoleAssignment, Unit
from webapp.audit.models import AuditEntry
from webapp.extensions import db


def _ids(app: Flask, username: str, unit_code: str) -> tuple[int, int]:
    with app.app_context():
        account = db.session.scalar(sa.select(Account.id).where(Account.username == username))
        unit = db.session.scalar(sa.select(Unit.id).where(Unit.code == unit_code))
        return account, unit


def _roles(app: Flask, username: str) -> set[tuple[str, str]]:
    with app.app_context():
        return set(db.session.execute(
            sa.select(Unit.code, RoleAssignment.role).join(Unit, Unit.id == RoleAssignment.unit_id)
            .join(Account, Account.id == RoleAssignment.account_id).where(Account.username == username)).all())


def _page(client: FlaskClient) -> str:
    response = client.get("/can-bo/quan-tri/vai-tro")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_grant_and_revoke_a_role(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _login(client, "quantri")
    page = _page(client)
    assert "Phạm Minh Đức (hộ tịch)" in page and "Vai trò của cán bộ" in client.get("/can-bo/").get_data(as_text=True)
    account, unit = _ids(app, "tiepnhan", "H41.01.01")
    response = client.post("/can-bo/quan-tri/vai-tro/them", data={
        "csrf_token": _csrf(page), "account_id": account, "unit_id": unit, "role": "chuyen_vien_ho_tich"})
    assert response.status_code == 302
    assert ("H41.01.01", "chuyen_vien_ho_tich") in _roles(app, "tiepnhan")
    # The same grant again changes nothing.
    client.post("/can-bo/quan-tri/vai-tro/them", data={
        "csrf_token": _csrf(page), "account_id": account, "unit_id": unit, "role": "chuyen_vien_ho_tich"})
    with app.app_context():
        assignment = db.session.scalar(sa.select(RoleAssignment).where(
            RoleAssignment.account_id == account, RoleAssignment.role == "chuyen_vien_ho_tich"))
        assert assignment is not None
        granted = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "role.granted")).all()
        assert [(e.object_id, e.detail) for e in granted] == [
            ("tiepnhan", {"unit": "H41.01.01", "role": "chuyen_vien_ho_tich"})]
        assignment_id = assignment.id
    client.post(f"/can-bo/quan-tri/vai-tro/{assignment_id}/xoa", data={"csrf_token": _csrf(page)})
    assert ("H41.01.01", "chuyen_vien_ho_tich") not in _roles(app, "tiepnhan")
    assert ("H41.01.01", "tiep_nhan") in _roles(app, "tiepnhan")


def test_bad_grants_change_nothing(app: Flask, client: FlaskClient, seeded: dict) -> None:
    with app.app_context():
        db.session.add(Unit(code="H99", name="Tỉnh khác", kind="other"))
        db.session.commit()
    _login(client, "quantri")
    page = _page(client)
    before = _roles(app, "tiepnhan")
    account, unit = _ids(app, "tiepnhan", "H41.01.01")
    _, other_province = _ids(app, "tiepnhan", "H99")
    citizen, _ = _ids(app, "an", "H41.01.01")
    for form in ({"account_id": account, "unit_id": unit, "role": "vua"},
                 {"account_id": account, "unit_id": other_province, "role": "chuyen_vien"},
                 {"account_id": citizen, "unit_id": unit, "role": "chuyen_vien"},
                 {"account_id": "x", "unit_id": unit, "role": "chuyen_vien"}):
        response = client.post("/can-bo/quan-tri/vai-tro/them", data={"csrf_token": _csrf(page), **form})
        assert response.status_code == 302
    assert _roles(app, "tiepnhan") == before and _roles(app, "an") == set()
    assert "Chọn cán bộ, đơn vị bạn quản lý" in _page(client)


def test_an_admin_cannot_lock_themselves_out_and_others_cannot_enter(app: Flask, client: FlaskClient,
                                                                      seeded: dict) -> None:
    _login(client, "quantri")
    page = _page(client)
    with app.app_context():
        own = db.session.scalar(sa.select(RoleAssignment.id).join(Account).where(
            Account.username == "quantri", RoleAssignment.role == "admin"))
    client.post(f"/can-bo/quan-tri/vai-tro/{own}/xoa", data={"csrf_token": _csrf(page)})
    assert ("H41", "admin") in _roles(app, "quantri")
    assert "Không thể tự bỏ vai trò quản trị cuối cùng" in _page(client)
    _login(client, "lanhdao")
    assert client.get("/can-bo/quan-tri/vai-tro").status_code == 403
    token = _csrf(client.get("/can-bo/").get_data(as_text=True))
    assert client.post(f"/can-bo/quan-tri/vai-tro/{own}/xoa", data={"csrf_token": token}).status_code == 403
    assert ("H41", "admin") in _roles(app, "quantri")
