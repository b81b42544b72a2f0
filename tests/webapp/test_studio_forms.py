"""The studio's form editor (field list without JavaScript, JSON mode, preview), the metadata editor and moving
running dossiers to the published version."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from lxml import html

from engine.package import PackageSource
from tests.conftest import DATA, REPO, library_package
from tests.engine.test_diff import _simplified
from tests.webapp.conftest import Api
from tests.webapp.test_workspace import _csrf, _login
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import Dossier, WorkItem
from webapp.extensions import db
from webapp.procedures import service as procedures
from webapp.procedures.models import ProcedureVersion

EDITOR = "/thiet-ke/khai-sinh/phien-ban/1/bieu-mau/bo-sung"


def _fields(page: str, selector: str = "form") -> list[tuple[str, str]]:
    """What a browser without JavaScript posts from the form (no button): ticked boxes only, selected options."""
    form = html.fromstring(page).cssselect(selector)[0]
    out = []
    for element in form.iter("input", "textarea", "select"):
        name = element.get("name")
        if not name:
            continue
        kind = element.get("type", "text")
        if element.tag == "input" and kind in ("submit", "button"):
            continue
        if element.tag == "input" and kind in ("checkbox", "radio"):
            if element.get("checked") is not None:
                out.append((name, element.get("value", "on")))
        elif element.tag == "select":
            chosen = [o for o in element.iter("option") if o.get("selected") is not None]
            out.append((name, chosen[0].get("value", "") if chosen else ""))
        elif element.tag == "textarea":
            out.append((name, element.text_content().removeprefix("\n") if element.text_content() else ""))
        else:
            out.append((name, element.get("value", "")))
    return out


def _post(client: FlaskClient, url: str, page: str, changes: dict[str, str] | None = None,
          button: tuple[str, str] = ("preview", "1"), selector: str = "#form-editor") -> Any:
    fields: dict[str, Any] = {}
    for name, value in _fields(page, selector):  # tick boxes of one question share a name
        fields.setdefault(name, []).append(value)
    fields.update(changes or {})
    fields[button[0]] = button[1]
    return client.post(url, data=fields)


def _schema(page: str) -> dict:
    return json.loads(html.fromstring(page).cssselect("input[name=schema_json]")[0].get("value"))


def _versions(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(ProcedureVersion))


def _stored_form(app: Flask, number: int, name: str = "bo-sung") -> tuple[dict, dict]:
    with app.app_context():
        version = procedures.find_version("khai-sinh", number)
        assert version is not None
        files = version.files
        return (json.loads(files[f"forms/khai-sinh/{name}.schema.json"]),
                json.loads(files[f"forms/khai-sinh/{name}.uischema.json"]))


def test_only_designers_edit_forms(client: FlaskClient, seeded: dict) -> None:
    assert client.get(EDITOR).status_code == 302
    _login(client, "tiepnhan")
    assert client.get(EDITOR).status_code == 403
    assert client.post(EDITOR, data={"csrf_token": "x"}).status_code in (400, 403)
    _login(client, "thietke")
    assert client.get("/thiet-ke/khai-sinh/phien-ban/1/bieu-mau/khong-co").status_code == 404
    page = client.get(EDITOR).get_data(as_text=True)
    preview = html.fromstring(page).cssselect("#xem-truoc")[0]
    # The preview is the citizen's renderer: a labelled text area for the form's first field.
    label = preview.cssselect("label[for=xem-truoc-noi_dung_bo_sung]")[0]
    assert "Nội dung đã bổ sung" in label.text_content()
    assert preview.cssselect("textarea#xem-truoc-noi_dung_bo_sung")


def test_field_list_add_fill_reorder_remove_and_save_without_javascript(app: Flask, client: FlaskClient,
                                                                         seeded: dict) -> None:
    _login(client, "thietke")
    page = client.get(EDITOR).get_data(as_text=True)
    assert _fields(page, "#form-editor").count(("rows-count", "2")) == 1
    before = _versions(app)
    unchanged = _post(client, EDITOR, page, button=("save", "1"))
    assert unchanged.status_code == 302 and unchanged.headers["Location"].endswith("/phien-ban/1/bieu-mau/bo-sung")
    assert _versions(app) == before  # the same form again is no new version

    page = _post(client, EDITOR, page, button=("row-add", "1")).get_data(as_text=True)
    assert ("rows-count", "3") in _fields(page, "#form-editor")
    page = _post(client, EDITOR, page, {"rows-2-label": "Số điện thoại liên hệ", "rows-2-kind": "select",
                                        "rows-2-options": "co_dinh = Cố định\nDi động"}).get_data(as_text=True)
    schema = _schema(page)
    assert list(schema["properties"]) == ["noi_dung_bo_sung", "ghi_chu", "so_dien_thoai_lien_he"]
    assert schema["properties"]["so_dien_thoai_lien_he"]["enum"] == ["co_dinh", "di_dong"]
    preview = html.fromstring(page).cssselect("#xem-truoc")[0].text_content()
    assert "Số điện thoại liên hệ" in preview and "Di động" in preview

    page = _post(client, EDITOR, page, button=("row-action", "up:2")).get_data(as_text=True)
    page = _post(client, EDITOR, page, {"rows-0-required": "on"}).get_data(as_text=True)
    assert list(_schema(page)["properties"]) == ["noi_dung_bo_sung", "so_dien_thoai_lien_he", "ghi_chu"]
    page = _post(client, EDITOR, page, button=("row-action", "remove:2")).get_data(as_text=True)
    assert ("rows-count", "2") in _fields(page, "#form-editor")
    assert _versions(app) == before  # round trips store nothing

    saved = _post(client, EDITOR, page, button=("save", "1"))
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/phien-ban/2/bieu-mau/bo-sung")
    schema, ui = _stored_form(app, 2)
    assert list(schema["properties"]) == ["noi_dung_bo_sung", "so_dien_thoai_lien_he"]
    assert schema["required"] == ["noi_dung_bo_sung"]
    assert schema["properties"]["noi_dung_bo_sung"]["maxLength"] == 2000  # rules the table does not show stay
    assert ui["ui:order"] == ["noi_dung_bo_sung", "so_dien_thoai_lien_he"] and "ghi_chu" not in ui
    assert ui["so_dien_thoai_lien_he"]["ui:enumNames"] == ["Cố định", "Di động"]
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "studio.form_edited")) is not None
        draft = procedures.find_version("khai-sinh", 2)
        assert draft is not None and not draft.published  # a draft until published


def test_field_list_refuses_bad_rows_and_keeps_what_was_typed(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _login(client, "thietke")
    page = client.get(EDITOR).get_data(as_text=True)
    before = _versions(app)
    response = _post(client, EDITOR, page, {"rows-1-key": "Ghi Chú!", "rows-0-label": ""}, button=("save", "1"))
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Dòng 1: nhập tên trường" in text and "Dòng 2: mã trường “Ghi Chú!”" in text
    summary = html.fromstring(text).cssselect(".error-summary a")
    assert [a.get("href") for a in summary] == ["#row-0", "#row-1"]  # each problem links to its row
    assert ("rows-1-key", "Ghi Chú!") in _fields(text, "#form-editor")
    assert _versions(app) == before


def test_groups_from_shared_fragments_are_kept_by_reference(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _login(client, "thietke")
    url = "/thiet-ke/khai-sinh/phien-ban/1/bieu-mau/to-khai"
    page = client.get(url).get_data(as_text=True)
    assert "common/cha-me.schema.json" in page
    rows = dict(_fields(page, "#form-editor"))
    index = next(k.split("-")[1] for k, v in rows.items() if k.endswith("-original") and v == "me")
    assert rows[f"rows-{index}-kind"] == "group"
    applicant = next(k.split("-")[1] for k, v in rows.items() if k.endswith("-original") and v == "nguoi_yeu_cau")
    changes = {f"rows-{applicant}-label": "Người đi đăng ký"}
    response = _post(client, url, page, changes, button=("save", "1"))
    assert response.status_code == 302, response.get_data(as_text=True)
    schema, _ = _stored_form(app, 2, "to-khai")
    original = json.loads((REPO / "forms" / "khai-sinh" / "to-khai.schema.json").read_text("utf-8"))
    assert schema["properties"]["me"] == original["properties"]["me"]  # still the reference, untouched
    assert schema["properties"]["me"]["$ref"] == "../common/cha-me.schema.json"
    assert schema["properties"]["nguoi_yeu_cau"]["title"] == "Người đi đăng ký"
    assert schema["properties"]["nguoi_yeu_cau"]["properties"]["ho_ten"]["x-prefill"] == "dan_cu.ho_ten"
    conditions = [k for k in ("if", "then", "else", "allOf", "oneOf", "dependentRequired") if k in original]
    assert conditions and all(schema[k] == original[k] for k in conditions)  # conditions written in JSON stay


def test_json_mode_shows_every_problem_and_saves_nothing(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _login(client, "thietke")
    page = client.get(EDITOR + "?che-do=json").get_data(as_text=True)
    assert html.fromstring(page).cssselect("textarea#schema_json")
    before = _versions(app)
    broken = _post(client, EDITOR, page, {"schema_json": '{"type": "object",\n "properties": }'}, button=("save", "1"))
    assert broken.status_code == 422
    assert "dòng 2, cột 16: JSON không hợp lệ" in broken.get_data(as_text=True)
    not_schema = _post(client, EDITOR, page, {"schema_json": '{"type": "khong-co"}'}, button=("save", "1"))
    assert not_schema.status_code == 422
    assert "không phải JSON Schema hợp lệ" in not_schema.get_data(as_text=True)
    dangling = {"type": "object", "properties": {"a": {"$ref": "../common/khong-co.schema.json"}}}
    refused = _post(client, EDITOR, page, {"schema_json": json.dumps(dangling)}, button=("save", "1"))
    assert refused.status_code == 422 and "khong-co.schema.json" in refused.get_data(as_text=True)
    assert _versions(app) == before
    fine = _stored_form(app, 1)[0]
    fine["properties"]["ghi_chu"]["title"] = "Ghi chú thêm"
    preview = client.post(EDITOR + "/xem-truoc", data={**dict(_fields(page, "#form-editor")),
                                                       "schema_json": json.dumps(fine, ensure_ascii=False)})
    assert preview.status_code == 200 and "Ghi chú thêm" in preview.get_data(as_text=True)
    saved = _post(client, EDITOR, page, {"schema_json": json.dumps(fine, ensure_ascii=False)}, button=("save", "1"))
    assert saved.status_code == 302 and "che-do=json" in saved.headers["Location"]
    assert _stored_form(app, 2)[0]["properties"]["ghi_chu"]["title"] == "Ghi chú thêm"


# --- metadata ---------------------------------------------------------------------------------------------

META = "/thiet-ke/khai-sinh/phien-ban/1/thong-tin"


def test_metadata_is_edited_through_a_generated_form(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _login(client, "tiepnhan")
    assert client.get(META).status_code == 403
    _login(client, "thietke")
    page = client.get(META).get_data(as_text=True)
    fields = dict(_fields(page, "main form"))
    assert fields["f.name.vi"] == "Đăng ký khai sinh" and fields["f.code"] == "1.001193"
    before = _versions(app)
    same = _post(client, META, page, button=("_", ""), selector="main form")
    assert same.status_code == 302 and same.headers["Location"].endswith("/phien-ban/1/"), same.get_data(as_text=True)
    bad = _post(client, META, page, {"f.code": "abc", "f.fees.0.amount": "-5"}, button=("_", ""), selector="main form")
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Mã thủ tục" in text and "Mức thu (đồng)" in text
    assert _versions(app) == before
    added = _post(client, META, page, button=("_add", "f.legal_basis"), selector="main form")
    count = dict(_fields(added.get_data(as_text=True), "main form"))["f.legal_basis._count"]
    assert int(count) == int(fields["f.legal_basis._count"]) + 1
    saved = _post(client, META, page, {"f.name.vi": "Đăng ký khai sinh (bản sửa)", "f.fees.0.amount": "5000"},
                  button=("_", ""), selector="main form")
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with app.app_context():
        first, second = (procedures.find_version("khai-sinh", n) for n in (1, 2))
        assert second is not None and first is not None
        assert second.meta["name"]["vi"] == "Đăng ký khai sinh (bản sửa)"
        assert second.meta["fees"][0]["amount"] == 5000
        assert second.meta["lanes"] == first.meta["lanes"]  # routing is kept


# --- moving running dossiers ------------------------------------------------------------------------------

def _zip(source: PackageSource) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in source.files.items():
            archive.writestr(path, data)
    return buffer.getvalue()


def _publish(client: FlaskClient, source: PackageSource) -> None:
    token = _csrf(client.get("/thiet-ke/").get_data(as_text=True))
    stored = client.post("/thiet-ke/nhap", data={"csrf_token": token, "goi": (io.BytesIO(_zip(source)), "goi.zip")},
                         content_type="multipart/form-data")
    assert stored.status_code == 302
    numbers = [int(n) for n in html.fromstring(client.get("/thiet-ke/").get_data(as_text=True)).xpath(
        "//section[@aria-labelledby='proc-khai-sinh']//tbody/tr/td[1]/text()")]
    assert client.post(f"/thiet-ke/khai-sinh/phien-ban/{max(numbers)}/cong-bo",
                       data={"csrf_token": token}).status_code == 302


def test_a_running_dossier_moves_to_the_published_version_and_goes_on(app: Flask, client: FlaskClient,
                                                                       api: Api) -> None:
    declaration = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
    code = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": declaration})[1]["code"]
    _login(client, "thietke")
    _publish(client, _simplified())
    listing = client.get("/thiet-ke/khai-sinh/ho-so-dang-giai-quyet").get_data(as_text=True)
    assert code in listing
    url = f"/thiet-ke/ho-so/{code}/chuyen-phien-ban"
    page = client.get(url).get_data(as_text=True)
    assert "Chuyển được an toàn" in page and "Tiếp nhận hồ sơ" in page
    token, lock = _csrf(page), html.fromstring(page).cssselect("input[name=lock]")[0].get("value")
    assert client.post(url, data={"csrf_token": token, "lock": str(int(lock) + 1)}).status_code == 409  # stale
    with app.app_context():
        assert db.session.scalar(sa.select(Dossier).where(Dossier.code == code)).procedure_version.number == 1
    moved = client.post(url, data={"csrf_token": token, "lock": lock})
    assert moved.status_code == 302
    with app.app_context():
        dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
        assert dossier.procedure_version.number == 2
        entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "dossier.version_moved"))
        assert entry is not None and entry.dossier_id == dossier.id and entry.detail["to_number"] == 2
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkItem).where(
            WorkItem.dossier_id == dossier.id, WorkItem.state == "ready")) == 1
    # The desk completes the same work item; the process goes on as the new version says.
    item = next(i for i in api.get("/worklist", "tiepnhan")[1]["items"] if i["element_id"] == "tiep_nhan_ho_so")
    assert api.post(f"/work-items/{item['id']}/claim", "tiepnhan")[0] == 200
    status, body = api.post(f"/work-items/{item['id']}/complete", "tiepnhan",
                            json={"data": {"ket_qua_tiep_nhan": "tiep_nhan"}})
    assert status == 200, body
    assert client.get(url).status_code == 200  # now on the published version: nothing to move
    assert "Hồ sơ đã ở phiên bản này." in client.get(url).get_data(as_text=True)


def test_an_unsafe_move_is_explained_and_refused(app: Flask, client: FlaskClient, api: Api) -> None:
    declaration = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
    code = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": declaration})[1]["code"]
    files = dict(library_package("khai-sinh").files)
    path = "forms/khai-sinh/to-khai.schema.json"
    form = json.loads(files[path])
    form["properties"]["so_dien_thoai"] = {"type": "string", "title": "Số điện thoại liên hệ"}
    form["required"].append("so_dien_thoai")
    files[path] = json.dumps(form, ensure_ascii=False).encode()
    _login(client, "thietke")
    _publish(client, PackageSource("khai-sinh", files))
    url = f"/thiet-ke/ho-so/{code}/chuyen-phien-ban"
    page = client.get(url).get_data(as_text=True)
    assert "Chưa chuyển được" in page and "Số điện thoại liên hệ" in page
    assert not html.fromstring(page).cssselect("input[name=lock]")
    with app.app_context():
        lock = db.session.scalar(sa.select(Dossier.version).where(Dossier.code == code))
    token = _csrf(client.get("/thiet-ke/").get_data(as_text=True))
    refused = client.post(url, data={"csrf_token": token, "lock": str(lock)})
    assert refused.status_code == 409
    with app.app_context():
        assert db.session.scalar(sa.select(Dossier).where(Dossier.code == code)).procedure_version.number == 1
    english = client.get(url + "?lang=en").get_data(as_text=True)
    assert "no longer satisfies its new form: Enter Số điện thoại liên hệ." in english
