"""The payment gateway connector's signatures, and the payment wait a procedure declares."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from engine.compiler import validate_package
from engine.local_systems import default_registry
from engine.package import PackageSource
from engine.payments import (
    REQUEST_FIELDS,
    RESULT_FIELDS,
    PaymentRejected,
    PaymentRequest,
    SignedRedirectGateway,
    canonical,
    check_signature,
    sign,
    signed,
)
from tests.conftest import library_package

NOW = datetime(2026, 6, 8, 2, 0, tzinfo=UTC)
SECRET = "khoa-bi-mat-dung-chung"
GATEWAY = SignedRedirectGateway(url="https://cong.example/thanh-toan", merchant="UBND-XA-01", secret=SECRET)


def _result(**changes: str) -> dict[str, str]:
    fields = {"merchant": "UBND-XA-01", "txn_ref": "TT20260608ABC", "amount": "8000", "result": "paid",
              "gateway_txn": "GD0001", "timestamp": str(int(NOW.timestamp()))}
    return signed(SECRET, {**fields, **changes}, RESULT_FIELDS)


def test_canonical_form_is_sorted_and_percent_encoded() -> None:
    text = canonical({"b": "Lệ phí & thuế", "a": "1"}, ("b", "a")).decode()
    assert text == "a=1&b=L%E1%BB%87%20ph%C3%AD%20%26%20thu%E1%BA%BF"


def test_signature_is_hmac_sha256_hex_of_the_canonical_form() -> None:
    import hashlib
    import hmac

    fields = {"a": "1", "b": "2"}
    expected = hmac.new(SECRET.encode(), b"a=1&b=2", hashlib.sha256).hexdigest()
    assert sign(SECRET, fields, ("a", "b")) == expected
    assert check_signature(SECRET, {**fields, "signature": expected}, ("a", "b"))
    assert not check_signature("another secret", {**fields, "signature": expected}, ("a", "b"))
    assert not check_signature(SECRET, {"a": "1", "signature": expected}, ("a", "b"))  # a field missing


def test_a_signed_result_verifies() -> None:
    result = GATEWAY.verify(_result(), now=NOW + timedelta(seconds=30))
    assert (result.txn_ref, result.amount, result.result, result.gateway_txn, result.paid) == (
        "TT20260608ABC", 8000, "paid", "GD0001", True)
    assert result.at == NOW


@pytest.mark.parametrize("field", RESULT_FIELDS)
def test_changing_any_signed_field_breaks_the_signature(field: str) -> None:
    params = _result()
    params[field] = params[field] + "9"
    with pytest.raises(PaymentRejected) as info:
        GATEWAY.verify(params, now=NOW)
    assert info.value.code == "bad_signature"


@pytest.mark.parametrize(("params", "code"), [
    ({**_result(), "signature": "0" * 64}, "bad_signature"),
    ({k: v for k, v in _result().items() if k != "signature"}, "malformed"),
    ({k: v for k, v in _result().items() if k != "gateway_txn"}, "malformed"),
    (_result(merchant="KHAC"), "wrong_merchant"),
    (_result(result="maybe"), "malformed"),
    (_result(amount="-8000"), "malformed"),
    (_result(amount="8000.5"), "malformed"),
    (_result(timestamp="hôm qua"), "malformed"),
])
def test_bad_results_are_rejected_with_a_code(params: dict[str, str], code: str) -> None:
    with pytest.raises(PaymentRejected) as info:
        GATEWAY.verify(params, now=NOW)
    assert info.value.code == code


@pytest.mark.parametrize("offset", [timedelta(minutes=16), timedelta(minutes=-16), timedelta(days=400)])
def test_a_stale_or_future_result_is_rejected(offset: timedelta) -> None:
    with pytest.raises(PaymentRejected) as info:
        GATEWAY.verify(_result(), now=NOW + offset)
    assert info.value.code == "stale"


def test_the_payment_url_carries_a_signed_request() -> None:
    request = PaymentRequest(txn_ref="TT1", amount=8000, description="Lệ phí đăng ký khai sinh",
                             return_url="https://dvc.example/thanh-toan/ket-qua",
                             notify_url="https://dvc.example/thanh-toan/thong-bao")
    url = GATEWAY.payment_url(request, now=NOW)
    assert url.startswith("https://cong.example/thanh-toan?")
    params = dict(parse_qsl(urlsplit(url).query))
    assert set(params) == {*REQUEST_FIELDS, "signature"}
    assert params["description"] == "Lệ phí đăng ký khai sinh" and params["amount"] == "8000"
    assert check_signature(SECRET, params, REQUEST_FIELDS)
    assert SECRET not in repr(GATEWAY)  # never printed with the settings


# --- the payment wait in a procedure package ------------------------------------------------

def _khai_sinh_with(old: str, new: str) -> list[str]:
    source = library_package("khai-sinh")
    files = dict(source.files)
    path = "bpmn/khai-sinh/process.bpmn"
    text = files[path].decode()
    assert old in text
    files[path] = text.replace(old, new).encode()
    return [p.code for p in validate_package(PackageSource("khai-sinh", files), default_registry())]


def test_the_payment_fee_must_be_in_the_catalogue() -> None:
    codes = _khai_sinh_with('value="le_phi_dang_ky_khai_sinh"', 'value="phi_khong_co"')
    assert codes == ["payment_fee_unknown"]


def test_the_payment_amount_must_name_a_variable() -> None:
    codes = _khai_sinh_with('name="paymentAmount" value="le_phi"', 'name="paymentAmount" value="le_phi * 2"')
    assert codes == ["payment_amount_invalid"]


def test_only_a_message_wait_can_ask_for_payment() -> None:
    codes = _khai_sinh_with('<spiffworkflow:property name="stepDeadline" value="2h"/>\n',
                            '<spiffworkflow:property name="stepDeadline" value="2h"/>\n'
                            '<spiffworkflow:property name="paymentAmount" value="le_phi"/>\n'
                            '<spiffworkflow:property name="paymentFee" value="le_phi_dang_ky_khai_sinh"/>\n')
    assert "payment_not_message_wait" in codes
