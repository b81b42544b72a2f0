"""The signed result document: issued when a dossier reaches status 9, signed by the approving
unit, downloadable by its applicant (and officers involved) only, verifiable by anyone."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from tests.conftest import DATA
from tests.webapp.conftest import Api
from webapp.accounts.models import Account, Unit
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import Document, Dossier
from webapp.extensions import db
from webapp.outbox.models import OutboxMessage
from webapp.results import service as results
from webapp.results.jobs import sign_result
from webapp.signing.service import check

SAMPLES = DATA / "samples" / "khai-sinh"


def sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text("utf-8"))


def _step(api: Api, user: str, element_id: str, data: dict) -> dict:
    items = [i for i in api.get("/worklist", user)[1]["items"] if i["element_id"] == element_id]
    assert len(items) == 1, items
    status, dossier = api.post(f"/work-items/{items[0]['id']}/complete", user, json={"data": data})
    assert status == 200, dossier
    return dossier


def _run_signing_jobs(app: Flask) -> list[int | None]:
    """What the worker does for ``result.sign`` rows, here and now: the job's own body."""
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.job == "result.sign")
                                  .order_by(OutboxMessage.id)).all()
        return [sign_result.run(outbox_id=row.id, **row.payload) for row in rows]


def _approved(api: Api) -> str:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": sample("to-khai")})
    assert status == 201, dossier
    _step(api, "tiepnhan", "tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"})
    _step(api, "hotich", "tham_dinh_xu_ly", sample("tham-dinh"))
    ready = _step(api, "lanhdao", "phe_duyet", {"ket_qua_phe_duyet": "phe_duyet",
                                                  "y_kien": "Đủ điều kiện cấp giấy khai sinh"})
    assert ready["status"] == 9
    return dossier["code"]


def _sign_in(app: Flask, client: FlaskClient, username: str, *, officer: bool = False) -> None:
    with app.app_context():
        account_id = db.session.scalar(sa.select(Account.id).where(Account.username == username))
    with client.session_transaction() as session:
        session.clear()
        session["officer_id" if officer else "citizen_id"] = account_id


def _audit(app: Flask, code: str) -> list[str]:
    with app.app_context():
        dossier_id = db.session.scalar(sa.select(Dossier.id).where(Dossier.code == code))
        return list(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.dossier_id == dossier_id)))


def test_approval_produces_a_result_signed_by_the_approving_unit(api: Api, app: Flask, client: FlaskClient) -> None:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": sample("to-khai")})
    code = dossier["code"]
    _sign_in(app, client, "an")
    assert client.get(f"/ho-so/{code}/ket-qua.pdf").status_code == 404  # nothing before the result is ready
    assert "ket-qua.pdf" not in client.get(f"/ho-so/{code}").get_data(as_text=True)
    _step(api, "tiepnhan", "tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"})
    _step(api, "hotich", "tham_dinh_xu_ly", sample("tham-dinh"))
    assert _run_signing_jobs(app) == []  # status 9 not reached: no job
    _step(api, "lanhdao", "phe_duyet", {"ket_qua_phe_duyet": "phe_duyet"})

    (issued,) = _run_signing_jobs(app)  # one job, enqueued by the status change to 9
    assert issued is not None
    assert _run_signing_jobs(app) == [issued]  # delivered again: the same document, not a second one

    page = client.get(f"/ho-so/{code}").get_data(as_text=True)
    assert f"/ho-so/{code}/ket-qua.pdf" in page and "/xac-minh-chu-ky" in page
    response = client.get(f"/ho-so/{code}/ket-qua.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"ket-qua-{code}.pdf" in response.headers["Content-Disposition"]
    assert "no-store" in response.headers["Cache-Control"]
    pdf = response.get_data()
    with app.app_context():
        unit = db.session.scalar(sa.select(Unit).where(Unit.code == "H41.01.01"))
        verdict = check(pdf)
        stored = db.session.get(Document, issued)
        assert stored is not None and stored.component == results.RESULT_COMPONENT and stored.size == len(pdf)
        leader = db.session.scalar(sa.select(Account.id).where(Account.username == "lanhdao"))
        assert stored.uploaded_by_id == leader
    assert verdict.valid and verdict.trusted and verdict.intact
    assert verdict.signer == unit.name
    assert "dossier.result_signed" in _audit(app, code) and "dossier.result_downloaded" in _audit(app, code)

    # The citizen returns it at the desk step; the result stays downloadable at status 10.
    _step(api, "tiepnhan", "tra_ket_qua", sample("tra-ket-qua"))
    assert client.get(f"/ho-so/{code}/ket-qua.pdf").get_data() == pdf


def test_only_the_applicant_and_officers_involved_get_the_result(api: Api, app: Flask, client: FlaskClient) -> None:
    code = _approved(api)
    _run_signing_jobs(app)
    anonymous = app.test_client()
    response = anonymous.get(f"/ho-so/{code}/ket-qua.pdf")
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]
    _sign_in(app, client, "binh")  # another citizen: as if there were no such dossier
    denied = client.get(f"/ho-so/{code}/ket-qua.pdf")
    assert denied.status_code == 404 and not denied.get_data().startswith(b"%PDF")
    _sign_in(app, client, "congan", officer=True)  # an officer of a unit not involved
    assert client.get(f"/can-bo/ho-so/{code}/ket-qua.pdf").status_code == 404
    _sign_in(app, client, "lanhdao", officer=True)
    officer = client.get(f"/can-bo/ho-so/{code}/ket-qua.pdf")
    assert officer.status_code == 200 and officer.get_data().startswith(b"%PDF")
    assert client.get(f"/ho-so/{code}/ket-qua.pdf").status_code == 302  # the citizen route wants a citizen
    assert app.test_client().get(f"/can-bo/ho-so/{code}/ket-qua.pdf").status_code == 302
    # The desk returning the result finds the link on its step's page.
    (item,) = [i for i in api.get("/worklist", "tiepnhan")[1]["items"] if i["element_id"] == "tra_ket_qua"]
    _sign_in(app, client, "tiepnhan", officer=True)
    assert f"/can-bo/ho-so/{code}/ket-qua.pdf" in client.get(f"/can-bo/viec/{item['id']}").get_data(as_text=True)


def test_a_refused_dossier_gets_no_result(api: Api, app: Flask) -> None:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": sample("to-khai")})
    _step(api, "tiepnhan", "tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tu_choi", "ly_do": "Hồ sơ không thuộc thẩm quyền"})
    assert _run_signing_jobs(app) == []
    with app.app_context():
        dossier_id = db.session.scalar(sa.select(Dossier.id).where(Dossier.code == dossier["code"]))
        assert results.issue(dossier_id=dossier_id) is None  # called anyway: not at the result point


def _verify_page(client: FlaskClient, pdf: bytes) -> str:
    page = client.get("/xac-minh-chu-ky").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    fields: dict[str, Any] = {"csrf_token": token.group(1), "file": FileStorage(io.BytesIO(pdf), filename="kq.pdf")}
    stream, _, boundary = stream_encode_multipart(fields, use_tempfile=False)
    response = client.post("/xac-minh-chu-ky", data=stream.getvalue(),
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_downloaded_result_verifies_on_the_page_and_a_tampered_copy_does_not(
        api: Api, app: Flask, client: FlaskClient) -> None:
    code = _approved(api)
    _run_signing_jobs(app)
    _sign_in(app, client, "an")
    pdf = client.get(f"/ho-so/{code}/ket-qua.pdf").get_data()
    html = _verify_page(client, pdf)
    assert "Chữ ký hợp lệ" in html and "Ủy ban nhân dân phường Nam Định" in html
    position = pdf.index(b"/Producer")
    tampered = pdf[:position + 1] + b"Q" + pdf[position + 2:]
    assert "Chữ ký KHÔNG hợp lệ" in _verify_page(client, tampered)


def test_in_a_bundle_the_unit_whose_leader_approved_signs(api: Api, app: Flask) -> None:
    """Status 9 comes after the police and social insurance steps; the commune's leader approved."""
    def bundle(name: str) -> dict:
        return json.loads((DATA / "samples" / "lien-thong-khai-sinh" / f"{name}.json").read_text("utf-8"))

    status, dossier = api.post("/dossiers", "an", json={"procedure": "lien-thong-khai-sinh",
                                                        "data": bundle("to-khai")})
    assert status == 201, dossier
    _step(api, "tiepnhan", "tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"})
    _step(api, "hotich", "tham_dinh_xu_ly", bundle("tham-dinh"))
    _step(api, "lanhdao", "phe_duyet", {"ket_qua_phe_duyet": "phe_duyet"})
    _step(api, "congan", "dang_ky_thuong_tru", bundle("dang-ky-thuong-tru"))
    assert _run_signing_jobs(app) == []  # still waiting for social insurance
    assert _step(api, "bhxh", "cap_the_bhyt", bundle("cap-the-bhyt"))["status"] == 9
    (issued,) = _run_signing_jobs(app)
    with app.app_context():
        document = db.session.get(Document, issued)
        assert document is not None
        verdict = check(results.content_of(document))
    assert verdict.valid and verdict.signer == "Ủy ban nhân dân phường Nam Định"


def test_the_signed_result_lands_in_the_citizens_data_store(api: Api, app: Flask, client: FlaskClient) -> None:
    """The next application offers it among "your documents", to attach by choosing, not uploading."""
    from webapp.portal.models import Draft

    code = _approved(api)
    _run_signing_jobs(app)
    _sign_in(app, client, "an")
    with app.app_context():
        account_id = db.session.scalar(sa.select(Account.id).where(Account.username == "an"))
        db.session.add(Draft(account_id=account_id, procedure_slug="lien-thong-khai-sinh", data={}))
        db.session.commit()
        result = db.session.scalar(sa.select(Document).join(Dossier).where(
            Dossier.code == code, Document.component == results.RESULT_COMPONENT))
    page = client.get("/thu-tuc/lien-thong-khai-sinh/giay-to").get_data(as_text=True)
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]*)</option>', page)
    assert (str(result.id), ) == tuple(value for value, label in options if code in label)
