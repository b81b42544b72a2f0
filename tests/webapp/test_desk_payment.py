"""A fee paid in cash at the desk: recorded with its receipt number, once, by the receiving desk only."""

from __future__ import annotations

import lxml.html
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.webapp.conftest import Api
from tests.webapp.test_payments import LATE, _audit, _awaiting_fee, _dossier, _to_gateway
from tests.webapp.test_portal import _sign_in
from tests.webapp.test_workspace import _csrf, _form_fields, _login
from webapp.dossiers.models import Dossier
from webapp.extensions import db


def _pay_at_desk(client: FlaskClient, code: str, receipt: str):  # noqa: ANN202 - a test response
    page = client.get(f"/can-bo/ho-so/{code}/thu-phi").get_data(as_text=True)
    return client.post(f"/can-bo/ho-so/{code}/thu-phi", data={"csrf_token": _csrf(page), "so_bien_lai": receipt})


def test_the_desk_records_the_fee_and_the_dossier_moves_on(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _awaiting_fee(api)
    _login(client, "tiepnhan")
    page = client.get(f"/can-bo/ho-so/{code}/thu-phi").get_data(as_text=True)
    assert "8.000 đ" in page and "Số biên lai thu phí" in page
    assert _pay_at_desk(client, code, "BL-0001234").status_code == 302
    status, (payment,), records = _dossier(app, code)
    assert status == 4
    assert (payment.state, payment.outcome, payment.amount) == ("paid", "desk", 8000)
    assert payment.gateway_txn == f"QUAY-{code}-BL-0001234"
    assert [r.status for r in records if r.kind == "status"] == [1, 2, 6, 4]
    assert _audit(app, code)[-2:] == ["payment.recorded_at_desk", "dossier.message_delivered"]
    after = client.get(f"/can-bo/ho-so/{code}/thu-phi").get_data(as_text=True)
    assert "không chờ nộp phí" in after and "tại quầy" in after
    # The next officer's step is ready, as after an online payment.
    assert [s["element_id"] for s in api.get(f"/dossiers/{code}", "hotich")[1]["current_steps"]] == ["tham_dinh_xu_ly"]


def test_a_bad_receipt_number_changes_nothing(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _awaiting_fee(api)
    _login(client, "tiepnhan")
    for receipt in ("", "số <b>1</b>", "x" * 31):
        answer = _pay_at_desk(client, code, receipt)
        assert answer.status_code == 422
        assert lxml.html.fromstring(answer.get_data(as_text=True)).cssselect(".error-summary a[href='#so_bien_lai']")
    status, payments, _ = _dossier(app, code)
    assert status == 6 and payments == []


def test_only_the_receiving_desk_may_record_a_fee(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _awaiting_fee(api)
    for officer in ("sotuphap", "hotich"):  # another unit; the same unit without the desk role
        other = app.test_client()
        _login(other, officer)
        assert other.get(f"/can-bo/ho-so/{code}/thu-phi").status_code == 404
    assert _dossier(app, code)[0] == 6


def test_an_online_payment_just_started_blocks_the_desk(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _awaiting_fee(api)
    citizen = app.test_client()
    _sign_in(app, citizen, "an")
    _to_gateway(citizen, code)  # the citizen is at the gateway now
    _login(client, "tiepnhan")
    answer = _pay_at_desk(client, code, "BL-77")
    assert answer.status_code == 422 and "vừa bắt đầu thanh toán trực tuyến" in answer.get_data(as_text=True)
    status, (payment,), _ = _dossier(app, code)
    assert status == 6 and payment.state == "requested"


def test_a_desk_dossier_goes_straight_to_the_fee_page_after_intake(app: Flask, client: FlaskClient, api: Api) -> None:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": LATE})
    assert status == 201
    with app.app_context():  # as if filed at the desk (channel 1)
        db.session.execute(sa.update(Dossier).where(Dossier.code == dossier["code"]).values(channel=1))
        db.session.commit()
    item = dossier["current_steps"][0]["id"]
    _login(client, "tiepnhan")
    page = lxml.html.fromstring(client.get(f"/can-bo/viec/{item}").get_data(as_text=True))
    answer = client.post(f"/can-bo/viec/{item}", data={**_form_fields(page), "f.ket_qua_tiep_nhan": "tiep_nhan"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/can-bo/ho-so/{dossier['code']}/thu-phi")


def test_an_abandoned_online_attempt_is_closed_and_the_desk_records_the_fee(
        app: Flask, client: FlaskClient, api: Api) -> None:
    from datetime import timedelta

    from webapp.payments.models import Payment

    code = _awaiting_fee(api)
    citizen = app.test_client()
    _sign_in(app, citizen, "an")
    _to_gateway(citizen, code)
    with app.app_context():  # the citizen left the gateway twenty minutes ago
        payment = db.session.scalar(sa.select(Payment))
        payment.created_at = payment.created_at - timedelta(minutes=20)
        db.session.commit()
    _login(client, "tiepnhan")
    assert _pay_at_desk(client, code, "BL-78").status_code == 302
    status, payments, _ = _dossier(app, code)
    assert status == 4
    assert sorted((p.state, p.outcome) for p in payments) == [("failed", "expired"), ("paid", "desk")]
