"""The audit log is tamper-evident: hash chains per dossier, `motcua audit verify`, database triggers."""

from __future__ import annotations

import argparse
import json

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DATA
from tests.webapp.conftest import Api
from tests.webapp.test_login_security import _login
from webapp.audit import chain
from webapp.audit.models import AuditEntry
from webapp.cli import cmd_audit
from webapp.extensions import db


def _dossier(api: Api) -> dict:
    declaration = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": declaration})
    assert status == 201
    step = dossier["current_steps"][0]["id"]
    assert api.post(f"/work-items/{step}/claim", "tiepnhan")[0] == 200
    assert api.post(f"/work-items/{step}/release", "tiepnhan")[0] == 200
    return dossier


def _entries(app: Flask, code: str) -> list[tuple[int, str | None, str | None]]:
    with app.app_context():
        rows = db.session.execute(sa.text(
            "SELECT a.id, a.prev_hash, a.hash FROM audit_log a JOIN dossiers d ON d.id = a.dossier_id "
            "WHERE d.code = :c ORDER BY a.id"), {"c": code}).all()
        return [tuple(r) for r in rows]


def _verify(app: Flask, capsys: pytest.CaptureFixture[str], dossier: str | None = None) -> tuple[int, str]:
    capsys.readouterr()
    code = cmd_audit(app, argparse.Namespace(action="verify", dossier=dossier))
    return code, capsys.readouterr().out


def test_entries_are_chained_and_verify(app: Flask, api: Api, client: FlaskClient,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    dossier = _dossier(api)
    assert _login(client, "tiepnhan")[0] == 302  # an entry of the chain without dossier
    rows = _entries(app, dossier["code"])
    assert len(rows) >= 3 and rows[0][1] == chain.GENESIS
    assert all(later[1] == earlier[2] for earlier, later in zip(rows, rows[1:], strict=False))
    status, out = _verify(app, capsys)
    assert status == 0 and "every chain verifies" in out
    page = client.get(f"/can-bo/ho-so/{dossier['code']}/nhat-ky").get_data(as_text=True)
    assert "đã được kiểm tra và khớp" in page and "dấu hiệu bị sửa đổi" not in page


def _sql(app: Flask, statement: str, **params: object) -> None:
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def test_an_entry_deleted_by_sql_breaks_the_chain(app: Flask, api: Api, client: FlaskClient,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    dossier = _dossier(api)
    rows = _entries(app, dossier["code"])
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            _sql(app, "DELETE FROM audit_log WHERE id = :id", id=rows[1][0])
        return
    _sql(app, "DELETE FROM audit_log WHERE id = :id", id=rows[1][0])
    status, out = _verify(app, capsys)
    assert status == 1 and f"audit entry {rows[2][0]} " in out and "deleted or inserted" in out
    assert _verify(app, capsys, dossier["code"])[0] == 1
    assert _login(client, "tiepnhan")[0] == 302
    page = client.get(f"/can-bo/ho-so/{dossier['code']}/nhat-ky").get_data(as_text=True)
    assert "dấu hiệu bị sửa đổi" in page and str(rows[2][0]) in page and "đã được kiểm tra và khớp" not in page


def test_an_update_by_sql_is_refused_and_an_edit_is_named(app: Flask, api: Api,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    dossier = _dossier(api)
    rows = _entries(app, dossier["code"])
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        _sql(app, "UPDATE audit_log SET actor_id = NULL WHERE id = :id", id=rows[0][0])
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return
    # Someone who can drop the trigger (the database's owner) edits a row: the chain names it.
    _sql(app, "DROP TRIGGER audit_log_append_only")
    try:
        _sql(app, "UPDATE audit_log SET object_id = 'x' WHERE id = :id", id=rows[1][0])
    finally:
        _sql(app, "CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log "
                  "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END")
    status, out = _verify(app, capsys)
    assert status == 1 and f"audit entry {rows[1][0]} " in out and "content was changed" in out


def test_concurrent_entries_in_one_transaction_chain_in_order(app: Flask, seeded: dict) -> None:
    from webapp.audit.events import Event
    from webapp.audit.service import record

    with app.app_context():
        for i in range(3):
            record(Event.JOB_RETRIED, actor_id=None, object_type="job", object_id=i)
        db.session.commit()
        rows = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
        assert chain.verify().intact
