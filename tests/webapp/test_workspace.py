"""The officer workspace pages: sign-in, worklist, claim/release, CSRF."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import lxml.html
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DATA
from tests.webapp.conftest import Api
from webapp.accounts.models import Account
from webapp.accounts.passwords import WeakPassword, hash_password, needs_rehash, scheme_of, verify_password
from webapp.audit.models import AuditEntry
from webapp.demo import DEMO_PASSWORD
from webapp.extensions import db

DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))


def test_password_hashes_are_salted_and_verified() -> None:
    first, second = hash_password("mot-mat-khau-dai"), hash_password("mot-mat-khau-dai")
    assert first != second and first.startswith("$argon2id$")
    assert verify_password("mot-mat-khau-dai", first) and not needs_rehash(first)
    assert not verify_password("mot-mat-khau-sai", first)
    assert not verify_password("anything", None) and not verify_password("x", "garbage")
    assert not verify_password("x", "$argon2id$garbage") and not verify_password("x", "scrypt$garbage")
    with pytest.raises(WeakPassword):
        hash_password("ngan")


def _scrypt_hash(password: str, n: int = 2**14) -> str:
    """A hash as the code before Argon2 wrote it: scrypt$<n>$<r>$<p>$<salt>$<hash> (urlsafe base64, no padding)."""
    salt = b"muoi-sau-byte-16"
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=8, p=1, dklen=32)
    b64 = [base64.urlsafe_b64encode(part).decode().rstrip("=") for part in (salt, digest)]
    return f"scrypt${n}$8$1${b64[0]}${b64[1]}"


def test_older_hashes_still_verify_and_ask_to_be_replaced() -> None:
    old = _scrypt_hash("mot-mat-khau-cu")
    assert verify_password("mot-mat-khau-cu", old) and not verify_password("mot-mat-khau-moi", old)
    assert needs_rehash(old) and scheme_of(old) == "scrypt"
    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("mot-mat-khau-cu")
    assert verify_password("mot-mat-khau-cu", weaker) and needs_rehash(weaker)  # argon2, older parameters


def test_an_old_hash_is_upgraded_to_argon2_at_the_next_sign_in(app: Flask, client: FlaskClient,
                                                                  seeded: dict) -> None:
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.username == "tiepnhan"))
        assert account is not None
        account.password_hash = _scrypt_hash(DEMO_PASSWORD)
        db.session.commit()
    assert _login(client, "tiepnhan", "sai-mat-khau-roi")[0] == 401  # a failed login changes nothing
    with app.app_context():
        assert db.session.scalar(sa.select(Account.password_hash).where(Account.username == "tiepnhan"))\
            .startswith("scrypt$")
    assert _login(client, "tiepnhan")[0] == 302
    with app.app_context():
        account = db.session.scalar(sa.select(Account).where(Account.username == "tiepnhan"))
        assert account is not None and account.password_hash is not None
        assert account.password_hash.startswith("$argon2id$") and not needs_rehash(account.password_hash)
        assert verify_password(DEMO_PASSWORD, account.password_hash)
        upgrades = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "officer.password_rehashed"))
        assert [(e.actor_id, e.detail) for e in upgrades] == [
            (account.id, {"previous": "scrypt", "scheme": "argon2id"})]
        first_hash = account.password_hash
    client.post("/can-bo/dang-xuat", data={"csrf_token": _csrf(client.get("/can-bo/").get_data(as_text=True))})
    assert _login(client, "tiepnhan")[0] == 302  # already Argon2id: kept as it is, no second audit entry
    with app.app_context():
        assert db.session.scalar(sa.select(Account.password_hash).where(Account.username == "tiepnhan")) \
            == first_hash
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "officer.password_rehashed")) == 1


def _csrf(page_html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert match
    return match.group(1)


def _login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD, next_: str = "") -> tuple[int, str]:
    url = "/can-bo/dang-nhap" + (f"?next={next_}" if next_ else "")
    token = _csrf(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "username": username, "password": password})
    return response.status_code, response.headers.get("Location", "")


def test_worklist_requires_sign_in(client: FlaskClient, seeded: dict) -> None:
    response = client.get("/can-bo/")
    assert response.status_code == 302 and "/can-bo/dang-nhap" in response.headers["Location"]


def test_wrong_password_and_citizens_are_refused(client: FlaskClient, seeded: dict) -> None:
    assert _login(client, "tiepnhan", "sai-mat-khau-roi")[0] == 401
    assert _login(client, "an", DEMO_PASSWORD)[0] == 401  # citizens log in with the national identity
    assert _login(client, "khong-co-ai")[0] == 401
    assert client.get("/can-bo/").status_code == 302


def test_post_without_csrf_token_is_refused(client: FlaskClient, seeded: dict) -> None:
    response = client.post("/can-bo/dang-nhap", data={"username": "tiepnhan", "password": DEMO_PASSWORD})
    assert response.status_code == 400


def test_next_cannot_leave_the_site(client: FlaskClient, seeded: dict) -> None:
    status, location = _login(client, "tiepnhan", next_="//evil.example/x")
    assert status == 302 and location.endswith("/can-bo/")


def test_worklist_shows_my_items_and_claims(client: FlaskClient, api: Api, app: Flask) -> None:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    assert _login(client, "tiepnhan")[0] == 302
    page = client.get("/can-bo/").get_data(as_text=True)
    tree = lxml.html.fromstring(page)
    rows = tree.cssselect("tbody tr")
    assert len(rows) == 1 and dossier["code"] in rows[0].text_content()
    assert "Nguyễn Văn An" in rows[0].text_content() and "Tiếp nhận hồ sơ" in rows[0].text_content()
    claim = rows[0].cssselect("form")[0]
    response = client.post(claim.get("action"), data={"csrf_token": _csrf(page)}, headers={"Referer": "/can-bo/"})
    assert response.status_code == 302
    after = client.get("/can-bo/").get_data(as_text=True)
    assert "Trả lại" in after and "Đã nhận xử lý." in after
    # Another unit's officer sees nothing.
    other = app.test_client()
    assert _login(other, "sotuphap")[0] == 302
    assert "Không có việc nào" in other.get("/can-bo/").get_data(as_text=True)


def test_logout(client: FlaskClient, seeded: dict) -> None:
    _login(client, "hotich")
    page = client.get("/can-bo/").get_data(as_text=True)
    client.post("/can-bo/dang-xuat", data={"csrf_token": _csrf(page)})
    assert client.get("/can-bo/").status_code == 302


def _form_fields(page: lxml.html.HtmlElement) -> dict[str, str]:
    """What a browser would post: hidden inputs, text inputs, checked radios."""
    fields: dict[str, str] = {}
    for control in page.cssselect("form[method=post] input"):
        kind, name = control.get("type", "text"), control.get("name")
        if not name or (kind in ("radio", "checkbox") and control.get("checked") is None) or kind == "submit":
            continue
        fields[name] = control.get("value", "")
    return fields


def test_work_item_page_completes_the_step_with_the_generated_form(client: FlaskClient, api: Api) -> None:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    item = dossier["current_steps"][0]["id"]
    _login(client, "tiepnhan")
    page = lxml.html.fromstring(client.get(f"/can-bo/viec/{item}").get_data(as_text=True))
    text = page.text_content()
    assert dossier["code"] in text and "Trần Minh An" in text  # the declaration, read-only
    radios = page.cssselect("input[name='f.ket_qua_tiep_nhan']")
    assert [r.get("value") for r in radios] == ["tiep_nhan", "yeu_cau_bo_sung", "tu_choi"]
    # Asking for a supplement without saying what is missing: the same page, errors beside the fields.
    fields = _form_fields(page)
    fields["f.ket_qua_tiep_nhan"] = "yeu_cau_bo_sung"
    response = client.post(f"/can-bo/viec/{item}", data=fields)
    assert response.status_code == 422
    again = lxml.html.fromstring(response.get_data(as_text=True))
    assert again.cssselect(".error-summary a[href='#f-ly_do']")
    assert again.cssselect("#f-ly_do[aria-invalid=true]")
    assert api.get(f"/dossiers/{dossier['code']}", "an")[1]["status"] == 1  # nothing changed
    fields["f.ket_qua_tiep_nhan"] = "tiep_nhan"
    response = client.post(f"/can-bo/viec/{item}", data=fields)
    assert response.status_code == 302
    assert api.get(f"/dossiers/{dossier['code']}", "an")[1]["status"] == 4
    done = client.get(f"/can-bo/viec/{item}").get_data(as_text=True)
    assert "Bước này đã được xử lý xong." in done and "Hoàn thành bước" not in done


def test_work_item_of_another_unit_is_404(client: FlaskClient, api: Api) -> None:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    _login(client, "sotuphap")
    assert client.get(f"/can-bo/viec/{dossier['current_steps'][0]['id']}").status_code == 404


def test_desk_intake_for_a_citizen_who_came_in_person(app: Flask, client: FlaskClient, api: Api) -> None:
    from tests.webapp.test_portal import _posted
    from webapp import formui
    from webapp.procedures import service as procedures

    _login(client, "tiepnhan")
    choose = client.get("/can-bo/tiep-nhan-truc-tiep").get_data(as_text=True)
    assert "/can-bo/tiep-nhan-truc-tiep/khai-sinh" in choose
    page = client.get("/can-bo/tiep-nhan-truc-tiep/khai-sinh").get_data(as_text=True)
    fields = _posted(page)
    # A wrong identity number: the page comes back with the error, nothing is filed.
    with app.app_context():
        form = procedures.compiled(procedures.published_version("khai-sinh")).start_form
        answers = _posted(f'<form method="post">{formui.render_form(form, DECLARATION)}</form>')
    bad = client.post("/can-bo/tiep-nhan-truc-tiep/khai-sinh",
                      data={**fields, **answers, "identity_number": "12345", "applicant_name": "Lê Văn Tư"})
    assert bad.status_code == 422 and "12 chữ số" in bad.get_data(as_text=True)
    good = client.post("/can-bo/tiep-nhan-truc-tiep/khai-sinh",
                       data={**fields, **answers, "identity_number": "0360 9100 1234", "applicant_name": "Lê Văn Tư"})
    assert good.status_code == 302 and good.headers["Location"].endswith("/phieu-tiep-nhan")
    again = client.post("/can-bo/tiep-nhan-truc-tiep/khai-sinh",  # the same form sent twice
                        data={**fields, **answers, "identity_number": "036091001234", "applicant_name": "Lê Văn Tư"})
    assert again.headers["Location"] == good.headers["Location"]
    receipt = lxml.html.fromstring(client.get(good.headers["Location"]).get_data(as_text=True))
    text = receipt.text_content()
    assert "Mẫu số 01" in text and "Lê Văn Tư" in text and "Giấy chứng sinh" in text and "Trực tiếp" in text
    code = good.headers["Location"].split("/")[-2]
    status, dossier = api.get(f"/dossiers/{code}", "tiepnhan")
    assert status == 200 and dossier["channel"] == 1 and dossier["status"] == 1


def test_only_the_desk_role_may_file_for_citizens(client: FlaskClient, seeded: dict) -> None:
    _login(client, "hotich")
    assert client.get("/can-bo/tiep-nhan-truc-tiep").status_code == 403
    assert client.get("/can-bo/tiep-nhan-truc-tiep/khai-sinh").status_code == 403


def _complete_via_page(client: FlaskClient, item: int, answers: dict[str, str]):
    page = lxml.html.fromstring(client.get(f"/can-bo/viec/{item}").get_data(as_text=True))
    return client.post(f"/can-bo/viec/{item}", data={**_form_fields(page), **answers})


def test_supplement_request_leads_to_form_02_and_refusal_to_form_03(client: FlaskClient, api: Api) -> None:
    _login(client, "tiepnhan")
    _, first = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    response = _complete_via_page(client, first["current_steps"][0]["id"], {
        "f.ket_qua_tiep_nhan": "yeu_cau_bo_sung", "f.ly_do": "Giấy chứng sinh bị mờ",
        "f.giay_to_can_bo_sung": "Bản chụp rõ nét giấy chứng sinh"})
    assert response.headers["Location"].endswith(f"/ho-so/{first['code']}/phieu-yeu-cau-bo-sung")
    slip = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Mẫu số 02" in slip and "Bản chụp rõ nét giấy chứng sinh" in slip
    assert client.get(f"/can-bo/ho-so/{first['code']}/phieu-tu-choi").status_code == 404

    _, second = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    response = _complete_via_page(client, second["current_steps"][0]["id"], {
        "f.ket_qua_tiep_nhan": "tu_choi", "f.ly_do": "Không thuộc thẩm quyền của xã"})
    slip = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Mẫu số 03" in slip and "Không thuộc thẩm quyền của xã" in slip


def test_register_form_07_and_its_xlsx_export(client: FlaskClient, api: Api) -> None:
    import io

    from openpyxl import load_workbook

    codes = [api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})[1]["code"]
             for _ in range(3)]
    _login(client, "tiepnhan")
    page = lxml.html.fromstring(client.get("/can-bo/so-theo-doi").get_data(as_text=True))
    assert [row.cssselect("td")[0].text for row in page.cssselect("tbody tr")] == codes
    export = client.get("/can-bo/so-theo-doi?xuat=xlsx")
    assert export.status_code == 200 and export.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(export.data)).active
    values = [row for row in sheet.iter_rows(values_only=True)]
    assert values[1][0] == "Mã hồ sơ" and [v[0] for v in values[2:]] == codes
    assert values[2][1] == "Đăng ký khai sinh" and values[2][7] == "Mới đăng ký"
    assert client.get("/can-bo/so-theo-doi?tu=2026-13-01").status_code == 400
    # Another unit's register does not list them.
    other = client.application.test_client()
    _login(other, "sotuphap")
    assert "Không có hồ sơ" in other.get("/can-bo/so-theo-doi").get_data(as_text=True)


def test_the_worklist_count_stops_at_its_limit_and_pages_go_on(
        client: FlaskClient, api: Api, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from webapp.accounts import service as accounts
    from webapp.dossiers import service
    from webapp.workspace import routes

    for _ in range(5):
        assert api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})[0] == 201
    with app.test_request_context():
        officer = accounts.principal_for(db.session.scalar(sa.select(Account).where(Account.username == "tiepnhan")))
        assert service.list_work_items(officer)[1] == 5  # exact without a limit
        assert service.list_work_items(officer, count_limit=10)[1] == 5  # exact below the limit
        assert service.list_work_items(officer, count_limit=3)[1] == 4  # limit + 1: "more than 3"
    monkeypatch.setattr(routes, "COUNT_LIMIT", 3)
    monkeypatch.setattr(routes, "PER_PAGE", 2)
    _login(client, "tiepnhan")
    first = client.get("/can-bo/").get_data(as_text=True)
    assert "Hơn 3 việc" in first and "Trang sau" in first
    last = client.get("/can-bo/?page=3").get_data(as_text=True)
    assert len(lxml.html.fromstring(last).cssselect("tbody tr form")) >= 1 and "Trang sau" not in last


def test_the_worklist_finds_a_dossier_by_code_or_by_applicant_name(client: FlaskClient, api: Api) -> None:
    code = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})[1]["code"]
    _login(client, "tiepnhan")
    for q in (code[-7:], "nguyễn văn", "Văn An"):
        rows = lxml.html.fromstring(client.get("/can-bo/", query_string={"q": q}).get_data(as_text=True))
        assert code in rows.cssselect("tbody")[0].text_content(), q
    nothing = client.get("/can-bo/", query_string={"q": "Không Ai Tên Này"}).get_data(as_text=True)
    assert "Không có việc nào" in nothing


def _intake_page(app: Flask, client: FlaskClient) -> tuple[dict, dict]:
    from tests.webapp.test_portal import _posted
    from webapp import formui
    from webapp.procedures import service as procedures

    _login(client, "tiepnhan")
    fields = _posted(client.get("/can-bo/tiep-nhan-truc-tiep/khai-sinh").get_data(as_text=True))
    with app.app_context():
        form = procedures.compiled(procedures.published_version("khai-sinh")).start_form
        answers = _posted(f'<form method="post">{formui.render_form(form, DECLARATION)}</form>')
    return fields, answers


def _identity_audit(app: Flask) -> list[dict]:
    with app.app_context():
        return [e.detail for e in db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "dossier.identity_checked"))]


def test_a_name_the_population_database_disagrees_with_needs_the_officers_confirmation(
        app: Flask, client: FlaskClient, seeded: dict) -> None:
    fields, answers = _intake_page(app, client)
    declared = {**fields, **answers, "identity_number": "036091001234", "applicant_name": "Lê Văn Tứ"}
    refused = client.post("/can-bo/tiep-nhan-truc-tiep/khai-sinh", data=declared)
    page = lxml.html.fromstring(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert "không khớp" in page.get_element_by_id("identity_number-error").text_content()
    assert page.get_element_by_id("identity_confirmed") is not None
    assert _identity_audit(app) == []  # nothing filed
    confirmed = client.post("/can-bo/tiep-nhan-truc-tiep/khai-sinh", data={**declared, "identity_confirmed": "1"})
    assert confirmed.status_code == 302
    assert _identity_audit(app) == [{"outcome": "mismatch", "confirmed_by_officer": True}]  # no name, no number


def test_a_matching_identity_files_at_once_and_an_unreachable_database_does_not_stop_the_desk(
        app: Flask, client: FlaskClient, seeded: dict) -> None:
    from engine.connectors import ConnectorTimeout

    fields, answers = _intake_page(app, client)
    registry = app.extensions["motcua_engine"].connectors.get("dan_cu.tra_cuu")
    first = client.post("/can-bo/tiep-nhan-truc-tiep/khai-sinh", data={
        **fields, **answers, "identity_number": "036091001234", "applicant_name": "lê văn  tư"})
    assert first.status_code == 302
    registry.fail_next = [ConnectorTimeout(), ConnectorTimeout()]
    fields, answers = _intake_page(app, client)
    second = client.post("/can-bo/tiep-nhan-truc-tiep/khai-sinh", data={
        **fields, **answers, "identity_number": "036099999999", "applicant_name": "Ai Đó"})
    assert second.status_code == 302 and registry.fail_next == []
    assert _identity_audit(app) == [{"outcome": "match", "confirmed_by_officer": False},
                                    {"outcome": "unavailable", "confirmed_by_officer": False}]
