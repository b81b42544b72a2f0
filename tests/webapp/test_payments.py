"""Paying a dossier's fee online, through the fake gateway mounted in the app, as a browser would."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import lxml.html
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError

from engine.payments import RESULT_FIELDS, signed
from fakes.payment import GatewayState
from tests.conftest import DATA, SECRET
from tests.webapp.conftest import Api
from tests.webapp.test_concurrency import run_together
from tests.webapp.test_portal import _sign_in
from webapp import create_app
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import Dossier, StepRecord
from webapp.extensions import db
from webapp.payments.gateway import EXTENSION, LOCAL_MERCHANT, LOCAL_SECRET, PaymentConfigError, gateway_from
from webapp.payments.models import Payment
from webapp.settings import Settings

SAMPLE = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
LATE = {**SAMPLE, "doi_tuong_uu_tien": False}  # born 2025-06-02, not a priority group: 8.000 đ


@pytest.fixture()
def fake(app: Flask) -> Iterator[GatewayState]:
    state: GatewayState = app.extensions["devpay"].extensions["devpay"]
    state.notifications.clear()
    yield state
    state.notify = True
    state.notifications.clear()


def _awaiting_fee(api: Api, data: dict | None = None, key: str = "fee-1") -> str:
    """A dossier of citizen An, received by the desk: status 6 when a fee is due."""
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": data or LATE},
                               headers={"Idempotency-Key": key})
    assert status == 201, dossier
    (item,) = [i for i in api.get("/worklist", "tiepnhan")[1]["items"] if i["dossier"] == dossier["code"]]
    status, after = api.post(f"/work-items/{item['id']}/complete", "tiepnhan",
                             json={"data": {"ket_qua_tiep_nhan": "tiep_nhan"}})
    assert status == 200, after
    return dossier["code"]


def _form(html: str) -> dict[str, str]:
    page = lxml.html.fromstring(html)
    return {i.get("name"): i.get("value", "") for i in page.cssselect("form[method=post] input[type=hidden]")}


def _to_gateway(client: FlaskClient, code: str) -> str:
    """Press "Pay" on the dossier's payment page; returns the gateway URL it sends the browser to."""
    page = client.get(f"/ho-so/{code}/thanh-toan")
    assert page.status_code == 200
    response = client.post(f"/ho-so/{code}/thanh-toan", data=_form(page.get_data(as_text=True)))
    assert response.status_code == 303
    return response.headers["Location"]


def _at_gateway(client: FlaskClient, url: str, action: str) -> str:
    """On the fake gateway's page, press pay / decline / cancel; returns where it sends the browser back."""
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(urlsplit(url).path, data={**_form(page.get_data(as_text=True)), "action": action})
    assert response.status_code == 303
    return response.headers["Location"]


def _back(client: FlaskClient, url: str):  # noqa: ANN202 - a test response
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def _dossier(app: Flask, code: str) -> tuple[int, list[Payment], list[StepRecord]]:
    with app.app_context():
        dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
        payments = list(db.session.scalars(sa.select(Payment).where(Payment.dossier_id == dossier.id)
                                           .order_by(Payment.id)))
        records = list(db.session.scalars(sa.select(StepRecord).where(StepRecord.dossier_id == dossier.id)
                                          .order_by(StepRecord.id)))
        db.session.expunge_all()
        return dossier.status, payments, records


def _snapshot(app: Flask, code: str) -> tuple:
    """Everything an answer could change, as plain values."""
    status, payments, records = _dossier(app, code)
    return (status, [(p.id, p.state, p.outcome, p.gateway_txn, p.paid_at, p.failed_at) for p in payments],
            [(r.id, r.kind, r.element_id, r.status) for r in records], _audit(app, code))


def _audit(app: Flask, code: str) -> list[str]:
    with app.app_context():
        dossier_id = db.session.scalar(sa.select(Dossier.id).where(Dossier.code == code))
        return list(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.dossier_id == dossier_id)
                                       .order_by(AuditEntry.id)))


def _answer(payment: Payment, secret: str = LOCAL_SECRET, **changes: str) -> dict[str, str]:
    fields = {"merchant": LOCAL_MERCHANT, "txn_ref": payment.txn_ref, "amount": str(payment.amount),
              "result": "paid", "gateway_txn": "GDTEST0001", "timestamp": str(int(time.time()))}
    return signed(secret, {**fields, **changes}, RESULT_FIELDS)


def test_paying_the_fee_moves_the_dossier_past_status_6(app: Flask, client: FlaskClient, api: Api,
                                                        fake: GatewayState) -> None:
    code = _awaiting_fee(api)
    _sign_in(app, client, "an")
    tracking = lxml.html.fromstring(client.get(f"/ho-so/{code}").get_data(as_text=True))
    (link,) = tracking.cssselect(f"a[href='/ho-so/{code}/thanh-toan']")
    assert link.text_content().strip() == "Nộp lệ phí: 8.000 đ"
    assert "Yêu cầu thực hiện nghĩa vụ tài chính" in tracking.text_content()
    page = client.get(f"/ho-so/{code}/thanh-toan").get_data(as_text=True)
    assert "Lệ phí đăng ký khai sinh" in page and "8.000 đ" in page

    gateway_url = _to_gateway(client, code)
    assert gateway_url.startswith("/cong-thanh-toan-gia-lap/?")
    shown = client.get(gateway_url).get_data(as_text=True)
    assert "8.000 đồng" in shown and f"Lệ phí đăng ký khai sinh - hồ sơ {code}" in shown
    back = _at_gateway(client, gateway_url, "pay")

    # The gateway told the service first (server to server), then sent the browser back.
    (sent,) = fake.notifications
    assert sent.url == "http://localhost/thanh-toan/thong-bao"
    assert (sent.status, json.loads(sent.body)) == (200, {"result": "confirmed", "code": None})
    result = _back(client, back)
    assert result.status_code == 200 and "Thanh toán thành công" in result.get_data(as_text=True)

    status, (payment,), records = _dossier(app, code)
    assert status == 4  # processing: past "payment requested"
    assert (payment.state, payment.amount, payment.gateway_txn) == ("paid", 8000, sent.params["gateway_txn"])
    assert payment.paid_at is not None
    assert [r.status for r in records if r.kind == "status"] == [1, 2, 6, 4]
    (paid_step,) = [r for r in records if r.kind == "completed" and r.element_id == "cho_nop_le_phi"]
    assert (paid_step.element_id, paid_step.name, paid_step.lane) == ("cho_nop_le_phi", "Nộp lệ phí", "cong_dan")
    assert paid_step.data == {"so_tien": 8000, "ma_giao_dich": payment.txn_ref,
                              "ma_giao_dich_cong": payment.gateway_txn}
    assert _audit(app, code)[-3:] == ["payment.requested", "payment.confirmed", "dossier.message_delivered"]
    tracking = client.get(f"/ho-so/{code}").get_data(as_text=True)
    assert "Đã nộp lệ phí" in tracking and f"/ho-so/{code}/thanh-toan" not in tracking
    # The officer's next step is ready, with the payment in the dossier's history.
    status, seen = api.get(f"/dossiers/{code}", "hotich")
    assert [s["element_id"] for s in seen["current_steps"]] == ["tham_dinh_xu_ly"]
    assert "cho_nop_le_phi" in [h["element_id"] for h in seen["history"] if h["kind"] == "completed"]


def test_a_replayed_answer_changes_nothing(app: Flask, client: FlaskClient, api: Api, fake: GatewayState) -> None:
    code = _awaiting_fee(api)
    _sign_in(app, client, "an")
    back = _at_gateway(client, _to_gateway(client, code), "pay")
    before = _snapshot(app, code)
    for _ in range(2):  # the notification again, twice
        response = client.post("/thanh-toan/thong-bao", data=fake.notifications[0].params)
        assert (response.status_code, response.get_json()["result"]) == (200, "already_confirmed")
    for _ in range(2):  # and the browser's return (the first is the real one: the notification came first)
        assert "Thanh toán thành công" in _back(client, back).get_data(as_text=True)
    assert _snapshot(app, code) == before


def test_a_dossier_is_never_paid_twice(app: Flask, client: FlaskClient, api: Api, fake: GatewayState) -> None:
    code = _awaiting_fee(api)
    _sign_in(app, client, "an")
    _at_gateway(client, _to_gateway(client, code), "pay")
    # Nothing left to pay: the page says so and pressing "Pay" again goes nowhere near the gateway.
    page = client.get(f"/ho-so/{code}/thanh-toan").get_data(as_text=True)
    assert "Đã thanh toán" in page and "<button" not in page.split("</header>")[1]
    again = client.post(f"/ho-so/{code}/thanh-toan", data={"csrf_token": _csrf(client)})
    assert again.status_code == 303 and again.headers["Location"] == f"/ho-so/{code}/thanh-toan"
    # The gateway reports a second, different payment of the same transaction: flagged for a refund, not applied.
    _, (payment,), _ = _dossier(app, code)
    response = client.post("/thanh-toan/thong-bao", data=_answer(payment, gateway_txn="GDKHAC"))
    assert response.get_json()["result"] == "duplicate"
    status, payments, records = _dossier(app, code)
    assert status == 4 and len(payments) == 1 and payments[0].gateway_txn != "GDKHAC"
    assert [r.element_id for r in records if r.kind == "completed"] == ["tiep_nhan_ho_so", "cho_nop_le_phi"]
    assert _audit(app, code)[-1] == "payment.needs_refund"
    # And the database itself refuses a second open attempt for the same fee.
    with app.app_context():
        db.session.add(Payment(dossier_id=payments[0].dossier_id, due_task_id=payments[0].due_task_id,
                               element_id="cho_nop_le_phi", fee_key="x", amount=8000, txn_ref="TT-SECOND",
                               state="requested", requested_by_id=payments[0].requested_by_id))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def _csrf(client: FlaskClient) -> str:
    with client.session_transaction() as session:
        session.setdefault("csrf", "test-csrf-token")
        return session["csrf"]


@pytest.mark.parametrize(("change", "code"), [
    ({"amount": "80"}, "bad_signature"),  # tampered after signing
    ({"secret": "not the gateway's secret"}, "bad_signature"),
    ({"merchant": "KHAC"}, "wrong_merchant"),
    ({"amount": "80", "resign": True}, "wrong_amount"),
    ({"txn_ref": "TT-UNKNOWN", "resign": True}, "unknown_transaction"),
    ({"timestamp": str(int(time.time()) - 3600), "resign": True}, "stale"),
    ({"drop": "gateway_txn"}, "malformed"),
])
def test_forged_or_wrong_answers_are_rejected_and_change_nothing(
        app: Flask, client: FlaskClient, api: Api, fake: GatewayState, change: dict, code: str) -> None:
    fake.notify = False  # the citizen is at the gateway; nothing has been answered yet
    dossier_code = _awaiting_fee(api)
    _sign_in(app, client, "an")
    _to_gateway(client, dossier_code)
    _, (payment,), _ = _dossier(app, dossier_code)
    change = dict(change)
    secret = change.pop("secret", LOCAL_SECRET)
    resign, drop = change.pop("resign", False), change.pop("drop", None)
    if resign or "merchant" in change or secret != LOCAL_SECRET:
        params = _answer(payment, secret, **change)
    else:
        params = {**_answer(payment), **change}
    params.pop(drop or "", None)
    before = _snapshot(app, dossier_code)
    response = client.post("/thanh-toan/thong-bao", data=params)
    assert response.status_code == 400
    assert response.get_json() == {"result": "rejected", "code": code}
    page = _back(client, "/thanh-toan/ket-qua?" + urlencode(params))
    assert page.status_code == 400 and "Không có gì thay đổi" in page.get_data(as_text=True)
    assert _snapshot(app, dossier_code) == before
    assert before[0] == 6 and before[1][0][1] == "requested"


def test_a_declined_payment_leaves_the_dossier_waiting_and_the_citizen_tries_again(
        app: Flask, client: FlaskClient, api: Api, fake: GatewayState) -> None:
    code = _awaiting_fee(api)
    _sign_in(app, client, "an")
    first_url = _to_gateway(client, code)
    result = _back(client, _at_gateway(client, first_url, "decline"))
    text = result.get_data(as_text=True)
    assert result.status_code == 200 and "Thanh toán không thành công" in text
    assert f'href="/ho-so/{code}/thanh-toan"' in text  # try again
    status, (declined,), _ = _dossier(app, code)
    assert status == 6 and (declined.state, declined.outcome) == ("failed", "declined")
    assert json.loads(fake.notifications[0].body)["result"] == "failed"
    page = client.get(f"/ho-so/{code}/thanh-toan").get_data(as_text=True)
    assert "Lần thanh toán trước không thành công" in page and "bị từ chối" in page
    assert "Nộp lệ phí: 8.000 đ" in client.get(f"/ho-so/{code}").get_data(as_text=True)

    second_url = _to_gateway(client, code)  # a new transaction
    assert dict(parse_qsl(urlsplit(second_url).query))["txn_ref"] != declined.txn_ref
    _back(client, _at_gateway(client, second_url, "pay"))
    status, payments, _ = _dossier(app, code)
    assert status == 4 and [p.state for p in payments] == ["failed", "paid"]
    # The old, declined answer replayed later is still nothing.
    response = client.post("/thanh-toan/thong-bao", data=fake.notifications[0].params)
    assert response.get_json()["result"] == "already_closed"
    assert _dossier(app, code)[0] == 4


def test_a_cancelled_payment_can_be_retried_too(app: Flask, client: FlaskClient, api: Api,
                                                 fake: GatewayState) -> None:
    code = _awaiting_fee(api)
    _sign_in(app, client, "an")
    _back(client, _at_gateway(client, _to_gateway(client, code), "cancel"))
    status, (cancelled,), _ = _dossier(app, code)
    assert status == 6 and (cancelled.state, cancelled.outcome) == ("failed", "cancelled")


def test_the_browsers_return_confirms_when_the_notification_is_lost(
        app: Flask, client: FlaskClient, api: Api, fake: GatewayState) -> None:
    fake.notify = False
    code = _awaiting_fee(api)
    _sign_in(app, client, "an")
    back = _at_gateway(client, _to_gateway(client, code), "pay")
    assert fake.notifications == [] and _dossier(app, code)[0] == 6
    assert "Thanh toán thành công" in _back(client, back).get_data(as_text=True)
    assert _dossier(app, code)[0] == 4


def test_two_clicks_on_pay_make_one_transaction(app: Flask, client: FlaskClient, api: Api,
                                                fake: GatewayState) -> None:
    code = _awaiting_fee(api)
    _sign_in(app, client, "an")
    first, second = _to_gateway(client, code), _to_gateway(client, code)
    refs = {dict(parse_qsl(urlsplit(url).query))["txn_ref"] for url in (first, second)}
    assert len(refs) == 1 and len(_dossier(app, code)[1]) == 1


def test_simultaneous_answers_confirm_once(app: Flask, client: FlaskClient, api: Api, seeded: dict[str, str],
                                          fake: GatewayState) -> None:
    fake.notify = False
    code = _awaiting_fee(api)
    _sign_in(app, client, "an")
    answer = dict(parse_qsl(urlsplit(_at_gateway(client, _to_gateway(client, code), "pay")).query))

    def notify(other: Api) -> tuple[int, str]:
        response = other.client.post("/thanh-toan/thong-bao", data=answer)
        return response.status_code, response.get_json()["result"]

    results = run_together(4, notify, app, seeded)
    assert sorted(results) == [(200, "already_confirmed")] * 3 + [(200, "confirmed")]
    status, (payment,), records = _dossier(app, code)
    assert status == 4 and payment.state == "paid"
    assert [r.status for r in records if r.kind == "status"] == [1, 2, 6, 4]
    assert _audit(app, code).count("dossier.message_delivered") == 1


def test_simultaneous_clicks_on_pay_open_one_attempt(app: Flask, api: Api, seeded: dict[str, str]) -> None:
    code = _awaiting_fee(api)

    def press_pay(other: Api) -> str:
        _sign_in(app, other.client, "an")
        return _to_gateway(other.client, code)

    urls = run_together(4, press_pay, app, seeded)
    assert len({dict(parse_qsl(urlsplit(url).query))["txn_ref"] for url in urls}) == 1
    assert len(_dossier(app, code)[1]) == 1


def test_another_citizen_can_neither_pay_nor_see_the_payment(app: Flask, client: FlaskClient, api: Api,
                                                             fake: GatewayState) -> None:
    code = _awaiting_fee(api)
    owner = app.test_client()
    _sign_in(app, owner, "an")
    back = _at_gateway(owner, _to_gateway(owner, code), "decline")
    _sign_in(app, client, "binh")
    assert client.get(f"/ho-so/{code}/thanh-toan").status_code == 404
    assert client.post(f"/ho-so/{code}/thanh-toan", data={"csrf_token": _csrf(client)}).status_code == 404
    seen = _back(client, back).get_data(as_text=True)
    assert code not in seen and "thanh-toan\"" not in seen
    _, (payment,), _ = _dossier(app, code)
    assert payment.txn_ref not in seen
    anonymous = app.test_client()
    response = anonymous.get(f"/ho-so/{code}/thanh-toan")
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]
    assert len(_dossier(app, code)[1]) == 1


def test_a_free_dossier_has_nothing_to_pay(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _awaiting_fee(api, SAMPLE)  # a priority group: no fee, straight to processing
    assert _dossier(app, code)[0] == 4
    _sign_in(app, client, "an")
    page = client.get(f"/ho-so/{code}/thanh-toan")
    assert page.status_code == 200 and "không có khoản nào phải nộp" in page.get_data(as_text=True)
    response = client.post(f"/ho-so/{code}/thanh-toan", data={"csrf_token": _csrf(client)})
    assert response.headers["Location"] == f"/ho-so/{code}/thanh-toan" and _dossier(app, code)[1] == []


def test_pages_need_a_csrf_token_the_gateway_callback_does_not(app: Flask, client: FlaskClient, api: Api,
                                                               fake: GatewayState) -> None:
    code = _awaiting_fee(api)
    _sign_in(app, client, "an")
    assert client.post(f"/ho-so/{code}/thanh-toan", data={}).status_code == 400
    assert client.post("/thanh-toan/thong-bao", data={}).get_json() == {"result": "rejected", "code": "malformed"}


def test_the_fake_gateway_refuses_an_unsigned_or_expired_request(app: Flask, client: FlaskClient, api: Api,
                                                                 fake: GatewayState) -> None:
    code = _awaiting_fee(api)
    _sign_in(app, client, "an")
    url = _to_gateway(client, code)
    params = dict(parse_qsl(urlsplit(url).query))
    tampered = client.get("/cong-thanh-toan-gia-lap/", query_string={**params, "amount": "1"})
    assert tampered.status_code == 400 and "chữ ký" in tampered.get_data(as_text=True)
    clock = fake.clock
    fake.clock = lambda: clock() + 3600
    try:
        expired = client.get(url)
        assert expired.status_code == 400 and "hết hạn" in expired.get_data(as_text=True)
    finally:
        fake.clock = clock
    assert fake.notifications == [] and _dossier(app, code)[0] == 6


@pytest.mark.parametrize(("env", "message"), [
    ({"MOTCUA_PAYMENT_URL": "http://cong.example/pay"}, "https"),
    ({"MOTCUA_PAYMENT_URL": "https://cong.example/pay"}, "MERCHANT"),
    ({"MOTCUA_PAYMENT_URL": "https://cong.example/pay", "MOTCUA_PAYMENT_MERCHANT": "M"}, "SECRET"),
    ({"MOTCUA_PAYMENT_URL": "https://cong.example/pay", "MOTCUA_PAYMENT_MERCHANT": "M",
      "MOTCUA_PAYMENT_SECRET": LOCAL_SECRET}, "SECRET"),
    ({"MOTCUA_PAYMENT_MAX_AGE": "5"}, "MAX_AGE"),
])
def test_a_real_gateway_needs_https_a_merchant_and_its_own_secret(env: dict, message: str) -> None:
    with pytest.raises(PaymentConfigError, match=message):
        gateway_from(env)


def test_the_fake_gateway_never_runs_beside_a_real_identity_gateway(tmp_path) -> None:  # noqa: ANN001
    settings = Settings.from_env({**SECRET, "MOTCUA_DATA_DIR": str(tmp_path)})
    production = {"TESTING": True, "MOTCUA_OIDC_ISSUER": "https://sso.example.gov.vn",
                  "MOTCUA_OIDC_CLIENT_ID": "motcua-ninh-binh"}
    off = create_app(production, settings=settings)  # no payment gateway configured: online payment is off
    assert off.extensions[EXTENSION] is None and "devpay" not in off.extensions
    assert off.test_client().get("/cong-thanh-toan-gia-lap/").status_code == 404
    with pytest.raises(PaymentConfigError, match="local login provider"):
        create_app({**production, "MOTCUA_PAYMENT_URL": "/cong-thanh-toan-gia-lap/"}, settings=settings)
    real = create_app({**production, "MOTCUA_PAYMENT_URL": "https://thanhtoan.example.gov.vn/pay",
                       "MOTCUA_PAYMENT_MERCHANT": "H41-UBND", "MOTCUA_PAYMENT_SECRET": "s" * 32}, settings=settings)
    assert real.extensions[EXTENSION].url == "https://thanhtoan.example.gov.vn/pay" and "devpay" not in real.extensions


def test_with_online_payment_off_the_citizen_is_sent_to_the_desk(
        app: Flask, client: FlaskClient, api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    code = _awaiting_fee(api)
    monkeypatch.setitem(app.extensions, EXTENSION, None)
    _sign_in(app, client, "an")
    page = client.get(f"/ho-so/{code}/thanh-toan").get_data(as_text=True)
    assert "8.000 đ" in page and "tại Bộ phận Một cửa" in page and "<form method=\"post\">" not in page
    response = client.post(f"/ho-so/{code}/thanh-toan", data={"csrf_token": _csrf(client)})
    assert response.headers["Location"] == f"/ho-so/{code}/thanh-toan" and _dossier(app, code)[1] == []
    assert client.post("/thanh-toan/thong-bao", data={}).status_code == 404


def test_production_settings_point_at_the_real_gateway() -> None:
    gateway = gateway_from({"MOTCUA_PAYMENT_URL": "https://thanhtoan.example.gov.vn/pay",
                            "MOTCUA_PAYMENT_MERCHANT": "H41-UBND", "MOTCUA_PAYMENT_SECRET": "s" * 32,
                            "MOTCUA_PAYMENT_MAX_AGE": "600"})
    assert (gateway.url, gateway.merchant, gateway.max_age) == ("https://thanhtoan.example.gov.vn/pay", "H41-UBND", 600)
    assert gateway_from({}).url == "/cong-thanh-toan-gia-lap/"
