"""Attachments on the portal: a file per dossier component, kept with the draft, checked by its
content, shown only to its owner, required before submission and carried to the dossier."""

from __future__ import annotations

import io
import json

import lxml.html
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from tests.webapp.test_portal import DECLARATION, PDF, _posted, _sign_in, _token, attach
from webapp.accounts.models import Account
from webapp.dossiers.models import Document, Dossier
from webapp.extensions import db
from webapp.portal.models import Draft, DraftAttachment

PAGE = "/thu-tuc/khai-sinh/giay-to"
CHECK = "/thu-tuc/khai-sinh/kiem-tra"


def _png(size: tuple[int, int] = (800, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def _with_draft(app: Flask, client: FlaskClient, username: str = "an", slug: str = "khai-sinh") -> None:
    """Signed in with the declaration already answered: what the steps before this page leave."""
    _sign_in(app, client, username)
    with app.app_context():
        account_id = db.session.scalar(sa.select(Account.id).where(Account.username == username))
        db.session.add(Draft(account_id=account_id, procedure_slug=slug, data=DECLARATION))
        db.session.commit()


def _attachments(app: Flask) -> dict[str, tuple[str, str, int]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(DraftAttachment))
        return {r.component: (r.filename, r.content_type, r.size) for r in rows}


@pytest.fixture()
def citizen(app: Flask, client: FlaskClient, seeded: dict) -> FlaskClient:
    _with_draft(app, client)
    return client


def test_the_page_lists_the_components_to_attach_with_their_rules(citizen: FlaskClient) -> None:
    page = lxml.html.fromstring(citizen.get(PAGE).get_data(as_text=True))
    form = page.cssselect("form[enctype='multipart/form-data']")[0]
    legends = [legend.text_content() for legend in form.cssselect("fieldset.component legend")]
    # The declaration is the online form itself; the others are files. The birth certificate is
    # required because the declaration says one was issued (required_when); the rest are for other cases.
    assert [" ".join(text.split()) for text in legends] == [
        "Giấy chứng sinh, hoặc văn bản của người làm chứng, hoặc giấy cam đoan về việc sinh bắt buộc",
        "Biên bản xác nhận việc trẻ bị bỏ rơi nếu có", "Văn bản chứng minh việc mang thai hộ nếu có",
        "Văn bản ủy quyền nếu có"]
    rules = page.cssselect("#c-giay_chung_sinh-rules")[0].text_content()
    assert "PDF, JPG, PNG" in rules and "10 MB" in rules
    upload = page.cssselect("#file-giay_chung_sinh")[0]
    assert upload.get("type") == "file" and upload.get("name") == "file.giay_chung_sinh"
    assert page.cssselect("label[for=file-giay_chung_sinh]")
    assert "application/pdf" in upload.get("accept")


def test_an_upload_is_kept_with_the_draft_on_any_device_and_back_and_forth(app: Flask, citizen: FlaskClient) -> None:
    response = attach(citizen, "giay_chung_sinh", _png(), name="chung-sinh.png")
    assert response.status_code == 303 and response.headers["Location"].endswith(PAGE)
    assert _attachments(app) == {"giay_chung_sinh": ("chung-sinh.png", "image/png", len(_png()))}
    citizen.get("/thu-tuc/khai-sinh/nop?buoc=5")  # back to the declaration, then forward again
    phone = app.test_client()
    _sign_in(app, phone)
    page = phone.get(PAGE).get_data(as_text=True)
    assert "chung-sinh.png" in page and "Thay bằng tệp khác" in page
    assert "chung-sinh.png" in phone.get(CHECK).get_data(as_text=True)


def test_the_type_is_judged_by_content_not_by_name(app: Flask, citizen: FlaskClient) -> None:
    assert attach(citizen, "giay_chung_sinh", _png(), name="scan.pdf").status_code == 303
    assert _attachments(app)["giay_chung_sinh"][1] == "image/png"
    response = attach(citizen, "giay_chung_sinh", b"MZ\x90\x00 not a document", name="virus.pdf")
    assert response.status_code == 422
    page = lxml.html.fromstring(response.get_data(as_text=True))
    summary = page.cssselect(".error-summary a")[0]
    assert summary.get("href") == "#file-giay_chung_sinh"
    assert "phải là PDF, JPG, PNG" in page.cssselect("#file-giay_chung_sinh-error")[0].text_content()
    assert _attachments(app)["giay_chung_sinh"][0] == "scan.pdf"  # what was attached before is still there


def test_each_file_is_judged_alone_and_a_refused_one_loses_nothing(app: Flask, citizen: FlaskClient) -> None:
    too_big = b"%PDF-" + b"0" * (10 * 1024 * 1024)
    # Encoded in memory: the test client's own spooling of a large body would leave a temporary file open.
    boundary, body = encode_multipart(MultiDict({
        "csrf_token": _token(citizen, PAGE), "tiep": "1",
        "file.giay_chung_sinh": FileStorage(io.BytesIO(PDF), "chung-sinh.pdf"),
        "file.van_ban_uy_quyen": FileStorage(io.BytesIO(too_big), "uy-quyen.pdf")}))
    response = citizen.post(PAGE, data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 422  # stays on the page instead of going on to the check
    page = lxml.html.fromstring(response.get_data(as_text=True))
    assert "lớn hơn 10 MB" in page.cssselect("#file-van_ban_uy_quyen-error")[0].text_content()
    assert not page.cssselect("#file-giay_chung_sinh-error")
    assert _attachments(app) == {"giay_chung_sinh": ("chung-sinh.pdf", "application/pdf", len(PDF))}
    empty = attach(citizen, "van_ban_uy_quyen", b"", name="empty.pdf")
    assert empty.status_code == 422 and "Tệp rỗng" in empty.get_data(as_text=True)


def test_a_file_can_be_removed(app: Flask, citizen: FlaskClient) -> None:
    attach(citizen, "van_ban_uy_quyen", PDF)
    response = citizen.post(PAGE, data={"csrf_token": _token(citizen, PAGE), "xoa": "van_ban_uy_quyen"})
    assert response.status_code == 303
    assert _attachments(app) == {}


def test_previews_are_served_only_to_the_owner(app: Flask, citizen: FlaskClient) -> None:
    attach(citizen, "giay_chung_sinh", _png(), name="chung-sinh.png")
    attach(citizen, "van_ban_uy_quyen", PDF, name="uy-quyen.pdf")
    page = lxml.html.fromstring(citizen.get(PAGE).get_data(as_text=True))
    thumbnail = page.cssselect("#c-giay_chung_sinh img")[0]
    assert thumbnail.get("alt") == "Xem chung-sinh.png"
    small = citizen.get(thumbnail.get("src"))
    assert small.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(small.data)) as image:
        assert max(image.size) <= 240
    pdf_link = page.cssselect("#c-van_ban_uy_quyen a.file-pdf")[0].get("href")
    opened = citizen.get(pdf_link)
    assert opened.data == PDF and opened.mimetype == "application/pdf"
    assert opened.headers["Cache-Control"] == "private, no-store"
    assert citizen.get(pdf_link + "?thu_nho=1").status_code == 404  # no thumbnail for a PDF
    stranger = app.test_client()
    _sign_in(app, stranger, "binh")
    assert stranger.get(pdf_link).status_code == 404
    assert app.test_client().get(pdf_link).status_code == 302  # signed out: to the login


def test_required_components_are_asked_for_on_the_check_page(app: Flask, citizen: FlaskClient) -> None:
    page = lxml.html.fromstring(citizen.get(CHECK).get_data(as_text=True))
    link = page.cssselect(".error-summary a")[0]
    assert link.get("href") == PAGE + "#file-giay_chung_sinh"
    assert "Giấy chứng sinh" in link.text_content()
    token = _posted(citizen.get(CHECK).get_data(as_text=True))["csrf_token"]
    assert citizen.post(CHECK, data={"csrf_token": token}).status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Dossier)) == 0


def _submit(citizen: FlaskClient) -> str:
    token = _posted(citizen.get(CHECK).get_data(as_text=True))["csrf_token"]
    response = citizen.post(CHECK, data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def test_submitting_carries_the_files_to_the_dossier(app: Flask, citizen: FlaskClient) -> None:
    attach(citizen, "giay_chung_sinh", _png(), name="chung-sinh.png")
    dossier_url = _submit(citizen)
    with app.app_context():
        documents = db.session.scalars(sa.select(Document)).all()
        assert [(d.component, d.filename, d.content_type) for d in documents] == [
            ("giay_chung_sinh", "chung-sinh.png", "image/png")]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DraftAttachment)) == 0
        assert db.session.scalar(sa.select(Dossier.reused_data)) is False  # typed in and uploaded
    page = lxml.html.fromstring(citizen.get(dossier_url).get_data(as_text=True))
    link = page.xpath('//a[text()="chung-sinh.png"]')[0].get("href")
    assert citizen.get(link).data == _png()
    stranger = app.test_client()
    _sign_in(app, stranger, "binh")
    assert stranger.get(link).status_code == 404


def test_a_document_from_an_earlier_dossier_can_be_chosen(app: Flask, citizen: FlaskClient) -> None:
    attach(citizen, "giay_chung_sinh", PDF, name="chung-sinh.pdf")
    _submit(citizen)
    _with_draft(app, citizen, slug="lien-thong-khai-sinh")  # the birth certificate is reusable there too
    url = "/thu-tuc/lien-thong-khai-sinh/giay-to"
    page = lxml.html.fromstring(citizen.get(url).get_data(as_text=True))
    options = page.cssselect("select#chon-giay_chung_sinh option")
    assert "chung-sinh.pdf" in options[1].text_content()
    assert not page.cssselect("select#chon-van_ban_uy_quyen")  # not reusable
    stranger = app.test_client()
    _with_draft(app, stranger, "binh", slug="lien-thong-khai-sinh")
    theirs = options[1].get("value")
    refused = stranger.post(url, data={"csrf_token": _token(stranger, url), "chon.giay_chung_sinh": theirs})
    assert refused.status_code == 422 and "không tìm thấy" in refused.get_data(as_text=True).lower()
    chosen = citizen.post(url, data={"csrf_token": _token(citizen, url), "tiep": "1",
                                     "chon.giay_chung_sinh": options[1].get("value")})
    assert chosen.status_code == 303 and chosen.headers["Location"].endswith("/thu-tuc/lien-thong-khai-sinh/kiem-tra")
    with app.app_context():
        row = db.session.scalar(sa.select(DraftAttachment))
        assert (row.filename, row.source_document_id) == ("chung-sinh.pdf", int(options[1].get("value")))
        assert row.reused is True


def test_a_dossier_prefilled_from_the_registry_counts_as_reusing_data(app: Flask, citizen: FlaskClient) -> None:
    with app.app_context():
        draft = db.session.scalar(sa.select(Draft))
        draft.prefilled = {"nguoi_yeu_cau.ho_ten": "dan_cu"}
        db.session.commit()
    attach(citizen, "giay_chung_sinh", _png(), name="chung-sinh.png")
    _submit(citizen)
    with app.app_context():
        assert db.session.scalar(sa.select(Dossier.reused_data)) is True


def test_the_script_gets_answers_it_can_show_in_place(citizen: FlaskClient) -> None:
    headers = {"Accept": "application/json"}
    good = citizen.post(PAGE, headers=headers, content_type="multipart/form-data", data={
        "csrf_token": _token(citizen, PAGE), "file.giay_chung_sinh": (io.BytesIO(PDF), "a.pdf")})
    assert good.status_code == 200 and json.loads(good.data) == {"errors": {}, "next": "/thu-tuc/khai-sinh/giay-to"}
    bad = citizen.post(PAGE, headers=headers, content_type="multipart/form-data", data={
        "csrf_token": _token(citizen, PAGE), "file.van_ban_uy_quyen": (io.BytesIO(b"hello"), "a.pdf")})
    assert bad.status_code == 422 and list(json.loads(bad.data)["errors"]) == ["van_ban_uy_quyen"]


def test_the_enhancing_script_stays_tiny(app: Flask) -> None:
    from pathlib import Path

    script = Path(app.static_folder) / "attachments.js"
    assert script.stat().st_size < 5 * 1024
    assert "upload.onprogress" in script.read_text("utf-8")  # progress while sending


def test_a_component_is_required_only_for_the_answers_its_procedure_names() -> None:
    from webapp.portal.attachments import required_by_answers

    birth_certificate = {"required": False, "required_when": {"giay_to_ve_viec_sinh": ["giay_chung_sinh"]}}
    assert required_by_answers(birth_certificate, {"giay_to_ve_viec_sinh": "giay_chung_sinh"})
    assert not required_by_answers(birth_certificate, {"giay_to_ve_viec_sinh": "van_ban_nguoi_lam_chung"})
    assert not required_by_answers(birth_certificate, {})  # not answered yet
    authorisation = {"required_when": {"nguoi_yeu_cau.quan_he_voi_tre": ["nguoi_duoc_uy_quyen"]}}
    assert required_by_answers(authorisation, {"nguoi_yeu_cau": {"quan_he_voi_tre": "nguoi_duoc_uy_quyen"}})
    assert not required_by_answers(authorisation, {"nguoi_yeu_cau": {"quan_he_voi_tre": "cha"}})
    both = {"required_when": {"truong_hop": ["tre_bi_bo_roi"], "nguoi_yeu_cau.quan_he_voi_tre": ["nguoi_nuoi_duong"]}}
    assert not required_by_answers(both, {"truong_hop": "tre_bi_bo_roi"})  # every condition must hold
    assert not required_by_answers({"required": False}, {"truong_hop": "tre_bi_bo_roi"})
