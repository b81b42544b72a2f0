"""The citizen's way through a generated form: drafts, check answers, one dossier per submission."""

from __future__ import annotations

import io
import json
from typing import Any

import lxml.html
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DATA
from webapp.accounts.models import Account
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.portal.models import Draft

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))


def _sign_in(app: Flask, client: FlaskClient, username: str = "an") -> None:
    """The OpenID Connect login itself is tested in test_oidc.py; here we start signed in."""
    with app.app_context():
        account_id = db.session.scalar(sa.select(Account.id).where(Account.username == username))
    with client.session_transaction() as session:
        session["citizen_id"] = account_id


def _posted(html: str) -> dict[str, str]:
    """What a browser posts for the form on this page."""
    page = lxml.html.fromstring(html)
    fields: dict[str, str] = {}
    for control in page.cssselect("form[method=post] input, form[method=post] textarea, form[method=post] select"):
        name, kind = control.get("name"), control.get("type", "text")
        if not name or kind == "submit" or (kind in ("radio", "checkbox") and control.get("checked") is None):
            continue
        if control.tag == "select":
            chosen = control.cssselect("option[selected]")
            fields[name] = chosen[0].get("value", "") if chosen else ""
        elif control.tag == "textarea":
            fields[name] = control.text_content()
        else:
            fields[name] = control.get("value", "")
    return fields


def test_signing_in_is_required(client: FlaskClient, seeded: dict) -> None:
    response = client.get("/thu-tuc/khai-sinh/nop")
    assert response.status_code == 302 and "/dang-nhap?next=/thu-tuc/khai-sinh/nop" in response.headers["Location"]


def attach(client: FlaskClient, component: str, data: bytes, name: str = "giay.pdf",
           slug: str = "khai-sinh", **extra: str) -> Any:
    """Post one file for a component on the attachments page, as the plain (no JavaScript) form does."""
    url = f"/thu-tuc/{slug}/giay-to"
    return client.post(url, data={"csrf_token": _token(client, url), f"file.{component}": (io.BytesIO(data), name),
                                  **extra}, content_type="multipart/form-data")


def _step_answers(app: Flask, number: int) -> dict[str, str]:
    """What the rendered step ``number`` (from 1) posts for the sample declaration."""
    from webapp import formui
    from webapp.procedures import service as procedures

    with app.app_context():
        form = procedures.compiled(procedures.published_version("khai-sinh")).start_form
        fields = formui.steps(form)[number - 1].fields
        return _posted(f'<form method="post">{formui.render_form(form, DECLARATION, only=fields)}</form>')


def _token(client: FlaskClient, url: str) -> str:
    return _posted(client.get(url).get_data(as_text=True))["csrf_token"]


def _draft_data(app: Flask) -> dict:
    with app.app_context():
        return db.session.scalar(sa.select(Draft)).data


def test_fill_resume_check_and_submit_once(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _sign_in(app, client)
    url = "/thu-tuc/khai-sinh/nop?buoc=2"
    # A first, incomplete try at the child's step: errors are shown and the answers are kept as a draft.
    response = client.post(url, data={"csrf_token": _token(client, url), "f.tre_em.ho_ten": "Trần Minh An"})
    assert response.status_code == 422
    errors = lxml.html.fromstring(response.get_data(as_text=True))
    assert errors.cssselect(".error-summary li a")
    assert _draft_data(app)["tre_em"]["ho_ten"] == "Trần Minh An"
    # Later, on another device: the draft is there.
    phone = app.test_client()
    _sign_in(app, phone)
    assert 'value="Trần Minh An"' in phone.get(url).get_data(as_text=True)
    # Complete answers, step by step: what each rendered step posts for the sample declaration.
    for number in range(1, 6):
        url = f"/thu-tuc/khai-sinh/nop?buoc={number}"
        response = phone.post(url, data={**_step_answers(app, number), "csrf_token": _token(phone, url)})
        assert response.status_code == 302
    # After the declaration, the supporting documents; the birth certificate is required.
    assert response.headers["Location"].endswith("/thu-tuc/khai-sinh/giay-to")
    attach(phone, "giay_chung_sinh", PDF)
    check = phone.get("/thu-tuc/khai-sinh/kiem-tra").get_data(as_text=True)
    assert "Trần Minh An" in check and "Nguyễn Thị Lan" in check
    token = _posted(check)["csrf_token"]
    first = phone.post("/thu-tuc/khai-sinh/kiem-tra", data={"csrf_token": token})
    assert first.status_code == 302 and "/ho-so/" in first.headers["Location"]
    again = phone.post("/thu-tuc/khai-sinh/kiem-tra", data={"csrf_token": token})  # a double click
    assert again.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Dossier)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Draft)) == 0
    tracking = phone.get(first.headers["Location"]).get_data(as_text=True)
    assert "Mới đăng ký" in tracking


STEP_TITLES = ["Trường hợp khai sinh và người yêu cầu", "Thông tin của trẻ", "Thông tin người mẹ",
               "Thông tin người cha", "Lệ phí và nhận kết quả"]
STEP_FIELDS = [["truong_hop", "nguoi_yeu_cau", "uy_quyen"],
               ["tre_em", "giay_to_ve_viec_sinh", "nguoi_lam_chung", "bien_ban_bo_roi"], ["me"],
               ["chua_xac_dinh_cha", "cha", "van_ban_mang_thai_ho"],
               ["doi_tuong_uu_tien", "doi_tuong_mien_le_phi", "nhan_ket_qua"]]


def test_every_step_in_turn_with_progress_and_merged_draft(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _sign_in(app, client)
    for number, (title, fields) in enumerate(zip(STEP_TITLES, STEP_FIELDS, strict=True), start=1):
        url = f"/thu-tuc/khai-sinh/nop?buoc={number}"
        page = lxml.html.fromstring(client.get(url).get_data(as_text=True))
        assert page.cssselect(".step-now")[0].text_content() == f"Bước {number}/5: {title}"
        items = page.cssselect(".steps ol li")
        assert [li.text_content() for li in items] == STEP_TITLES
        assert [li.get("aria-current") for li in items] == ["step" if i == number else None for i in range(1, 6)]
        shown = {n.split(".")[1] for n in _posted(lxml.html.tostring(page, encoding="unicode")) if n.startswith("f.")}
        # A radio group nobody has chosen yet (the birth case) posts nothing, but it is on the page.
        choices = {r.get("name").split(".")[1] for r in page.xpath("//form[@method='post']//input[@type='radio']")}
        assert shown | choices == set(fields)
        back = page.xpath('//a[text()="Quay lại"]')
        assert (back[0].get("href").endswith(f"buoc={number - 1}") if number > 1 else not back)
        assert not page.cssselect("script")
        response = client.post(url, data={**_step_answers(app, number), "csrf_token": _token(client, url)})
        assert response.status_code == 302
        following = f"/thu-tuc/khai-sinh/nop?buoc={number + 1}" if number < 5 else "/thu-tuc/khai-sinh/giay-to"
        assert response.headers["Location"].endswith(following)
        # The draft holds every answer given so far, and nothing of the steps still to come.
        done = [f for step in STEP_FIELDS[:number] for f in step]
        assert _draft_data(app) == {k: v for k, v in DECLARATION.items() if k in done}
    assert client.get("/thu-tuc/khai-sinh/kiem-tra").status_code == 200


def test_an_error_in_step_two_stays_there_and_keeps_step_one(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _sign_in(app, client)
    one = "/thu-tuc/khai-sinh/nop?buoc=1"
    assert client.post(one, data={**_step_answers(app, 1), "csrf_token": _token(client, one)}).status_code == 302
    two = "/thu-tuc/khai-sinh/nop?buoc=2"
    answers = {k: v for k, v in _step_answers(app, 2).items() if k != "f.tre_em.noi_sinh"}
    response = client.post(two, data={**answers, "csrf_token": _token(client, two)})
    assert response.status_code == 422
    page = lxml.html.fromstring(response.get_data(as_text=True))
    assert page.cssselect(".step-now")[0].text_content() == "Bước 2/5: Thông tin của trẻ"
    # Only this step's errors: the steps not reached yet are not reported.
    assert [a.get("href") for a in page.cssselect(".error-summary li a")] == ["#f-tre_em-noi_sinh"]
    assert page.cssselect("title")[0].text_content().startswith("Lỗi: Bước 2/5")
    data = _draft_data(app)
    assert data["nguoi_yeu_cau"] == DECLARATION["nguoi_yeu_cau"]
    assert data["tre_em"]["ho_ten"] == "Trần Minh An" and "noi_sinh" not in data["tre_em"]
    # The check page sends the person back to the first step that is not complete.
    response = client.get("/thu-tuc/khai-sinh/kiem-tra")
    assert response.status_code == 302 and response.headers["Location"].endswith("/thu-tuc/khai-sinh/nop?buoc=2")


def test_unknown_step_is_the_first(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _sign_in(app, client)
    for raw in ("0", "6", "abc", "-1", "²"):
        page = lxml.html.fromstring(client.get(f"/thu-tuc/khai-sinh/nop?buoc={raw}").get_data(as_text=True))
        assert page.cssselect(".step-now")[0].text_content() == "Bước 1/5: Trường hợp khai sinh và người yêu cầu"
        assert page.cssselect("main form[method=post]")[0].get("action").endswith("?buoc=1")


def test_check_page_redirects_to_the_first_incomplete_step(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _sign_in(app, client)
    for number in (1, 2, 3, 5):  # the father's step is left out
        url = f"/thu-tuc/khai-sinh/nop?buoc={number}"
        client.post(url, data={**_step_answers(app, number), "csrf_token": _token(client, url)})
    response = client.get("/thu-tuc/khai-sinh/kiem-tra")
    assert response.status_code == 302 and response.headers["Location"].endswith("/thu-tuc/khai-sinh/nop?buoc=4")


def test_another_citizen_cannot_see_the_dossier(app: Flask, client: FlaskClient, api) -> None:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    _sign_in(app, client, "binh")
    assert client.get(f"/ho-so/{dossier['code']}").status_code == 404
    _sign_in(app, client, "an")
    assert client.get(f"/ho-so/{dossier['code']}").status_code == 200
