"""After submitting: my dossiers, the tracking page, public lookup, withdrawal and rating."""

from __future__ import annotations

import json
from datetime import timedelta

import lxml.html
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DATA
from tests.webapp.conftest import Api
from webapp.accounts.models import Account
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import Dossier, StepRecord
from webapp.extensions import db
from webapp.feedback.models import Rating
from webapp.models import utcnow
from webapp.tracking.models import LookupThrottle

SAMPLES = DATA / "samples" / "khai-sinh"
DECLARATION = json.loads((SAMPLES / "to-khai.json").read_text("utf-8"))
PHONE_DIGITS = DECLARATION["nhan_ket_qua"]["so_dien_thoai"][-4:]


# --- helpers --------------------------------------------------------------------------------------

def _sign_in(app: Flask, client: FlaskClient, username: str = "an") -> None:
    """The OpenID Connect login itself is tested in test_oidc.py; here we start signed in."""
    with app.app_context():
        account_id = db.session.scalar(sa.select(Account.id).where(Account.username == username))
    with client.session_transaction() as session:
        session["citizen_id"] = account_id


def _submit(api: Api, user: str = "an") -> str:
    status, dossier = api.post("/dossiers", user, json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201, dossier
    return dossier["code"]


def _step(api: Api, user: str, code: str, element_id: str, data: dict) -> dict:
    items = [i for i in api.get("/worklist", user)[1]["items"]
             if i["element_id"] == element_id and i["dossier"] == code]
    assert len(items) == 1
    status, dossier = api.post(f"/work-items/{items[0]['id']}/complete", user, json={"data": data})
    assert status == 200, dossier
    return dossier


def _sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text("utf-8"))


def _to_returned(api: Api, code: str) -> None:
    """Through the real officer steps until the result has been returned (status 10)."""
    _step(api, "tiepnhan", code, "tiep_nhan_ho_so", _sample("tiep-nhan"))
    _step(api, "hotich", code, "tham_dinh_xu_ly", _sample("tham-dinh"))
    _step(api, "lanhdao", code, "phe_duyet", _sample("phe-duyet"))
    assert _step(api, "tiepnhan", code, "tra_ket_qua", _sample("tra-ket-qua"))["status"] == 10


def _ask_supplement(api: Api, code: str) -> None:
    dossier = _step(api, "tiepnhan", code, "tiep_nhan_ho_so", {
        "ket_qua_tiep_nhan": "yeu_cau_bo_sung", "ly_do": "Thiếu giấy chứng sinh",
        "giay_to_can_bo_sung": "Giấy chứng sinh bản sao"})
    assert dossier["status"] == 5


def _page(response) -> lxml.html.HtmlElement:  # noqa: ANN001 - a test response
    return lxml.html.fromstring(response.get_data(as_text=True))


def _csrf(client: FlaskClient, url: str) -> str:
    return _page(client.get(url)).cssselect("input[name=csrf_token]")[0].get("value")


def _dossier(app: Flask, code: str) -> tuple[int | None, int, list[int | None]]:
    """(status, optimistic-lock version, status history) as stored."""
    with app.app_context():
        found = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
        history = list(db.session.scalars(sa.select(StepRecord.status).where(
            StepRecord.dossier_id == found.id, StepRecord.kind == "status").order_by(StepRecord.id)))
        return found.status, found.version, history


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _assert_no_js(page: lxml.html.HtmlElement) -> None:
    assert not page.cssselect("script")
    for form in page.cssselect("main form"):
        assert form.get("method") == "post" and form.cssselect("input[name=csrf_token]")


# --- sign-in and ownership ------------------------------------------------------------------------

def test_citizen_pages_need_sign_in(client: FlaskClient, api: Api) -> None:
    code = _submit(api)
    for url in ("/ho-so-cua-toi", f"/ho-so/{code}/rut-ho-so", f"/ho-so/{code}/danh-gia"):
        response = client.get(url)
        assert response.status_code == 302 and "/dang-nhap?next=" in response.headers["Location"], url
    assert client.get("/tra-cuu").status_code == 200  # the public lookup needs no account


def test_someone_elses_dossier_is_not_found(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _submit(api, "an")
    _sign_in(app, client, "binh")
    for url in (f"/ho-so/{code}", f"/ho-so/{code}/rut-ho-so", f"/ho-so/{code}/danh-gia", "/ho-so/KHONG-CO/rut-ho-so"):
        assert client.get(url).status_code == 404, url
    token = _csrf(client, "/ho-so-cua-toi")
    assert client.post(f"/ho-so/{code}/rut-ho-so", data={"csrf_token": token, "reason": "x"}).status_code == 404
    assert _dossier(app, code)[0] == 1
    assert code not in client.get("/ho-so-cua-toi").get_data(as_text=True)


# --- my dossiers ----------------------------------------------------------------------------------

def test_my_dossiers_newest_first_in_pages(app: Flask, client: FlaskClient, api: Api,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("webapp.tracking.routes.PER_PAGE", 2)
    codes = [_submit(api, "an") for _ in range(3)]
    others = _submit(api, "binh")
    _sign_in(app, client)
    first = _page(client.get("/ho-so-cua-toi"))
    shown = [a.text_content() for a in first.cssselect("ol.dossiers h2 a")]
    assert shown == [codes[2], codes[1]]
    assert first.cssselect("a[rel=next]")[0].get("href").endswith("/ho-so-cua-toi?trang=2")
    assert not first.cssselect("a[rel=prev]")
    second = _page(client.get("/ho-so-cua-toi?trang=2"))
    assert [a.text_content() for a in second.cssselect("ol.dossiers h2 a")] == [codes[0]]
    assert second.cssselect("a[rel=prev]") and not second.cssselect("a[rel=next]")
    assert others not in lxml.html.tostring(first, encoding="unicode") + lxml.html.tostring(second, encoding="unicode")
    beyond = client.get("/ho-so-cua-toi?trang=9")
    assert beyond.status_code == 302 and beyond.headers["Location"].endswith("?trang=2")
    assert _page(client.get("/ho-so-cua-toi?trang=abc")).cssselect("ol.dossiers h2 a")[0].text_content() == codes[2]
    # Each row: service name, status in words, dates; the nav links here.
    row = first.cssselect("ol.dossiers li")[0].text_content()
    assert "Đăng ký khai sinh" in row and "Mới đăng ký" in row and "Hẹn trả kết quả" in row
    assert first.cssselect("header a[href='/ho-so-cua-toi']")
    _assert_no_js(first)


def test_my_dossiers_say_what_is_expected_of_me(app: Flask, client: FlaskClient, api: Api) -> None:
    waiting, calm = _submit(api), _submit(api)
    _ask_supplement(api, waiting)
    _sign_in(app, client)
    page = _page(client.get("/ho-so-cua-toi"))
    todo = {li.cssselect("h2 a")[0].text_content(): li.cssselect("dd.todo")[0].text_content()
            for li in page.cssselect("ol.dossiers li")}
    assert "Bổ sung hồ sơ" in todo[waiting]
    assert "Bổ sung hồ sơ" not in todo[calm] and "chưa cần làm gì" in todo[calm]
    assert _page(client.get("/ho-so-cua-toi")).cssselect("title")[0].text_content().startswith("Hồ sơ của tôi")


def test_no_dossiers_yet(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _sign_in(app, client)
    assert "Bạn chưa nộp hồ sơ nào" in client.get("/ho-so-cua-toi").get_data(as_text=True)


# --- tracking page --------------------------------------------------------------------------------

def test_tracking_page_timeline_due_date_and_plain_words(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _submit(api)
    _step(api, "tiepnhan", code, "tiep_nhan_ho_so", _sample("tiep-nhan"))
    _sign_in(app, client)
    page = _page(client.get(f"/ho-so/{code}"))
    lines = [li.text_content() for li in page.cssselect("ol.timeline li")]
    assert [line.split(": ", 1)[1].strip() for line in lines] == [
        "Nộp hồ sơ", "Mới đăng ký", "Hoàn thành bước: Tiếp nhận hồ sơ", "Được tiếp nhận", "Đang xử lý"]
    assert all(li.cssselect("time[datetime]") for li in page.cssselect("ol.timeline li"))
    facts = page.cssselect("dl.facts")[0].text_content()
    assert "Hẹn trả kết quả" in facts and "Chưa xác định" not in facts
    assert "đang xem xét, xử lý" in page.cssselect(".status-plain")[0].text_content()
    english = _page(client.get(f"/ho-so/{code}?lang=en"))
    assert "working on your dossier" in english.cssselect(".status-plain")[0].text_content()
    assert english.cssselect("ol.timeline li")[-1].text_content().endswith("Processing")
    _assert_no_js(page)


def test_tracking_page_shows_the_supplement_asked_for(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _submit(api)
    _ask_supplement(api, code)
    _sign_in(app, client)
    page = _page(client.get(f"/ho-so/{code}"))
    assert "Bổ sung hồ sơ" in page.cssselect("ul.todo")[0].text_content()
    assert "Hãy bổ sung" in page.cssselect(".status-plain")[0].text_content()


# --- public lookup ----------------------------------------------------------------------------------

def _lookup(client: FlaskClient, code: str, factor: str):  # noqa: ANN202 - a test response
    return client.post("/tra-cuu", data={"csrf_token": _csrf(client, "/tra-cuu"), "code": code, "factor": factor})


def test_public_lookup_shows_status_and_dates_only(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _submit(api)
    _step(api, "tiepnhan", code, "tiep_nhan_ho_so", _sample("tiep-nhan"))
    form = _page(client.get("/tra-cuu"))
    assert form.cssselect("label[for=code]") and form.cssselect("label[for=factor]")
    _assert_no_js(form)
    response = _lookup(client, f" {code} ", PHONE_DIGITS)
    assert response.status_code == 200
    page = _page(response)
    body = page.text_content()
    assert code in body and "Đang xử lý" in body and "Hẹn trả kết quả" in body
    assert len(page.cssselect("ol.timeline li")) == 5
    people = DECLARATION["nguoi_yeu_cau"]
    for private in (people["ho_ten"], people["so_dinh_danh"], DECLARATION["tre_em"]["ho_ten"],
                    DECLARATION["me"]["ho_ten"], DECLARATION["nhan_ket_qua"]["so_dien_thoai"], "Nguyễn Văn An",
                    "001090000001", "Lê Thu Hà"):
        assert private not in body


def test_public_lookup_uses_the_identity_number_without_a_phone(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _submit(api)
    with app.app_context():
        found = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
        data = json.loads(json.dumps(found.form_data))
        del data["nhan_ket_qua"]["so_dien_thoai"]
        found.form_data = data
        db.session.commit()
    assert _lookup(client, code, PHONE_DIGITS).status_code == 422
    assert _lookup(client, code, "0001").status_code == 200  # an's identity number 001090000001


def test_wrong_code_and_wrong_digits_look_the_same(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _submit(api)
    wrong_digits = _lookup(client, code, "0000")
    wrong_code = _lookup(client, code[:-1] + ("1" if code[-1] != "1" else "2"), PHONE_DIGITS)
    assert wrong_digits.status_code == wrong_code.status_code == 422

    def summary(response) -> str:  # noqa: ANN001
        return _page(response).cssselect(".error-summary")[0].text_content()

    assert summary(wrong_digits) == summary(wrong_code)
    assert code not in summary(wrong_digits)


def test_malformed_lookup_is_explained_and_not_counted(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _submit(api)
    for factor in ("", "12", "12a4", "123456", "١٢٣٤"):
        page = _page(_lookup(client, code, factor))
        assert [a.get("href") for a in page.cssselect(".error-summary a")] == ["#factor"]
        assert page.cssselect("#factor")[0].get("aria-invalid") == "true"
        assert "factor-error" in page.cssselect("#factor")[0].get("aria-describedby")
    page = _page(_lookup(client, "", "1234"))
    assert [a.get("href") for a in page.cssselect(".error-summary a")] == ["#code"]
    assert _count(app, LookupThrottle) == 0


def _lookup_from(client: FlaskClient, address: str, code: str, factor: str):  # noqa: ANN202 - a test response
    token = _csrf(client, "/tra-cuu")
    return client.post("/tra-cuu", data={"csrf_token": token, "code": code, "factor": factor},
                       environ_base={"REMOTE_ADDR": address})


def test_guessing_is_limited_per_client_and_the_owner_is_not_locked_out(
    app: Flask, client: FlaskClient, api: Api,
) -> None:
    code, other = _submit(api), _submit(api)
    statuses = [_lookup_from(client, "10.0.0.66", code, f"{n:04d}").status_code for n in range(5)]
    assert statuses == [422, 422, 422, 422, 429]
    # That client now waits, even with the right digits, and is told plainly.
    locked = _lookup_from(client, "10.0.0.66", code, PHONE_DIGITS)
    assert locked.status_code == 429
    assert "thử lại sau" in locked.get_data(as_text=True)
    assert not _page(locked).cssselect("ol.timeline") and "Đăng ký khai sinh" not in locked.get_data(as_text=True)
    # The owner, from their own connection, is not locked out by someone else's guesses.
    owner = app.test_client()
    assert _lookup_from(owner, "10.0.0.7", code, PHONE_DIGITS).status_code == 200
    # The guesser may still look up other codes, until it has failed 20 times in all.
    assert _lookup_from(client, "10.0.0.66", other, PHONE_DIGITS).status_code == 200
    spread = [_lookup_from(client, "10.0.0.66", f"H41-KHONG-CO-{n}", "1111").status_code for n in range(15)]
    assert spread[-1] == 429 and 429 not in spread[:-1]
    assert _lookup_from(client, "10.0.0.66", other, PHONE_DIGITS).status_code == 429


def test_many_clients_guessing_one_code_lock_it_for_everyone(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _submit(api)
    for n in range(50):  # 25 addresses, 2 wrong tries each: no client reaches its own limit
        status = _lookup_from(client, f"10.1.0.{n // 2}", code, f"{9000 + n:04d}").status_code
    assert status == 429
    assert _lookup_from(client, "10.2.0.1", code, PHONE_DIGITS).status_code == 429  # the owner too, for a while
    # Once the lock has run out, the right digits work again and the code's counter is cleared.
    with app.app_context():
        for row in db.session.scalars(sa.select(LookupThrottle)):
            row.locked_until = utcnow() - timedelta(seconds=1)
            row.window_started_at = utcnow() - timedelta(days=2)
        db.session.commit()
    assert _lookup_from(client, "10.2.0.1", code, PHONE_DIGITS).status_code == 200
    assert _count(app, LookupThrottle) == 0


# --- withdrawal ---------------------------------------------------------------------------------------

def test_withdrawal_request_with_a_reason(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _submit(api)
    _sign_in(app, client)
    url = f"/ho-so/{code}/rut-ho-so"
    assert _page(client.get(f"/ho-so/{code}")).cssselect(f"a[href='{url}']")
    form = _page(client.get(url))
    assert form.cssselect("label[for=reason]") and form.cssselect("textarea#reason[maxlength='500']")
    _assert_no_js(form)
    token = _csrf(client, url)
    before = _dossier(app, code)
    for reason, status in (("   ", 422), ("x" * 501, 422)):
        response = client.post(url, data={"csrf_token": token, "reason": reason})
        assert response.status_code == status
        page = _page(response)
        assert [a.get("href") for a in page.cssselect(".error-summary a")] == ["#reason"]
        assert page.cssselect("#reason-error") and page.cssselect("title")[0].text_content().startswith("Lỗi")
        assert _dossier(app, code) == before
    response = client.post(url, data={"csrf_token": token, "reason": "Tôi nộp nhầm, sẽ nộp lại hồ sơ khác."})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/ho-so/{code}")
    status, _, history = _dossier(app, code)
    assert status == 7 and history[-1] == 7
    with app.app_context():
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "dossier.withdrawal_requested"))
        assert entry is not None and entry.object_id == code and "nộp nhầm" not in json.dumps(entry.detail)
    page = _page(client.get(f"/ho-so/{code}"))
    assert "Công dân yêu cầu rút hồ sơ" in page.cssselect("ol.timeline li")[-1].text_content()
    assert "nộp nhầm" in page.cssselect("ol.timeline li")[-1].text_content()
    assert not page.cssselect(f"a[href='{url}']")
    # Asked once: a second request is refused and changes nothing.
    again = client.post(url, data={"csrf_token": token, "reason": "Lần nữa"})
    assert again.status_code == 409 and _dossier(app, code)[2] == history


def test_withdrawal_is_refused_once_the_result_is_ready(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _submit(api)
    _to_returned(api, code)
    _sign_in(app, client)
    url = f"/ho-so/{code}/rut-ho-so"
    page = _page(client.get(url))
    assert "Không thể rút hồ sơ" in page.text_content() and not page.cssselect("textarea")
    before = _dossier(app, code)
    response = client.post(url, data={"csrf_token": _csrf(client, url), "reason": "Không cần nữa"})
    assert response.status_code == 409 and _dossier(app, code) == before


def test_withdrawal_while_a_supplement_is_asked(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _submit(api)
    _ask_supplement(api, code)
    _sign_in(app, client)
    url = f"/ho-so/{code}/rut-ho-so"
    assert client.post(url, data={"csrf_token": _csrf(client, url), "reason": "Không bổ sung được"}).status_code == 302
    assert _dossier(app, code)[0] == 7


# --- rating ------------------------------------------------------------------------------------------

def test_rating_only_once_the_result_is_ready(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _submit(api)
    _sign_in(app, client)
    url = f"/ho-so/{code}/danh-gia"
    assert not _page(client.get(f"/ho-so/{code}")).cssselect(f"a[href='{url}']")
    refused = client.get(url)
    assert refused.status_code == 409 and not _page(refused).cssselect("input[type=radio]")
    response = client.post(url, data={"csrf_token": _csrf(client, f"/ho-so/{code}"), "score": "5"})
    assert response.status_code == 409 and _count(app, Rating) == 0


def test_rating_is_validated_stored_once_and_can_be_changed(app: Flask, client: FlaskClient, api: Api) -> None:
    code = _submit(api)
    _to_returned(api, code)
    _sign_in(app, client)
    url = f"/ho-so/{code}/danh-gia"
    assert _page(client.get(f"/ho-so/{code}")).cssselect(f"a[href='{url}']")
    form = _page(client.get(url))
    radios = form.cssselect("fieldset input[type=radio][name=score]")
    assert [r.get("value") for r in radios] == ["1", "2", "3", "4", "5"]
    labels = [form.cssselect(f"label[for={r.get('id')}]")[0].text_content() for r in radios]
    assert labels[0] == "Rất không hài lòng" and labels[-1] == "Rất hài lòng"
    assert form.cssselect("fieldset legend") and form.cssselect("label[for=comment]")
    _assert_no_js(form)
    token = _csrf(client, url)
    for data, anchors in (({}, ["#score-1"]), ({"score": "0"}, ["#score-1"]), ({"score": "6"}, ["#score-1"]),
                          ({"score": "abc"}, ["#score-1"]), ({"score": "4", "comment": "x" * 1001}, ["#comment"]),
                          ({"score": "9", "comment": "x" * 1001}, ["#score-1", "#comment"])):
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 422, data
        page = _page(response)
        assert [a.get("href") for a in page.cssselect(".error-summary a")] == anchors
        assert _count(app, Rating) == 0
    kept = _page(client.post(url, data={"csrf_token": token, "score": "2", "comment": "x" * 1001}))
    assert kept.cssselect("#score-2")[0].get("checked") is not None  # the answer given is kept
    response = client.post(url, data={"csrf_token": token, "score": "4", "comment": "Nhanh, cán bộ nhiệt tình."})
    assert response.status_code == 302
    assert "Cảm ơn bạn đã đánh giá" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.post(url, data={"csrf_token": token, "score": "5", "comment": ""}).status_code == 302
    with app.app_context():
        ratings = db.session.scalars(sa.select(Rating)).all()
        assert [(r.score, r.comment) for r in ratings] == [(5, None)]
        actions = list(db.session.scalars(sa.select(AuditEntry.detail).where(AuditEntry.action == "dossier.rated")))
        assert [a["score"] for a in actions] == [4, 5]
    assert _page(client.get(url)).cssselect("#score-5")[0].get("checked") is not None


def test_one_rating_row_per_dossier_in_the_database(app: Flask, api: Api) -> None:
    code = _submit(api)
    with app.app_context():
        found = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
        db.session.add(Rating(dossier_id=found.id, account_id=found.applicant_id, score=3))
        db.session.commit()
        db.session.add(Rating(dossier_id=found.id, account_id=found.applicant_id, score=4))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()
        db.session.add(Rating(dossier_id=found.id + 1000, account_id=found.applicant_id, score=6))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_withdrawal_through_the_api(app: Flask, api: Api) -> None:
    code = _submit(api)
    assert api.post(f"/dossiers/{code}/withdrawal", "binh", json={"reason": "x"})[0] == 404
    assert api.post(f"/dossiers/{code}/withdrawal", "tiepnhan", json={"reason": "x"})[0] == 404  # officers decide
    status, body = api.post(f"/dossiers/{code}/withdrawal", "an", json={"reason": 5})
    assert status == 422 and body["error"]["code"] == "invalid_reason"
    assert api.post(f"/dossiers/{code}/withdrawal", "an", json={"reason": "x" * 501})[0] == 422
    assert _dossier(app, code)[0] == 1
    status, body = api.post(f"/dossiers/{code}/withdrawal", "an", json={"reason": "Nộp nhầm thủ tục"})
    assert status == 200 and body["status"] == 7 and body["history"][-1]["status"] == 7
    status, body = api.post(f"/dossiers/{code}/withdrawal", "an", json={"reason": "Lần nữa"})
    assert status == 409 and body["error"]["code"] == "not_withdrawable"
