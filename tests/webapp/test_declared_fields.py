"""A procedure whose forms share no field name with the library's declares what the product reads
(procedure.yaml ``fields:``, engine/bindings.py): the supplement and refusal slips, the citizen's step
and dossier pages, the signed result's opinion and every notification channel show its content; the
citizen sees every reason, and no appointment slip after a refusal."""

from __future__ import annotations

import io
import json

import lxml.html
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.hostile import as_zip
from tests.webapp.conftest import Api
from tests.webapp.test_notifications import connectors, mail_sink  # noqa: F401 - fixtures: e-mail reaches a sink
from tests.webapp.test_pdf_render import pdf_text
from tests.webapp.test_portal import _sign_in
from tests.webapp.test_workspace import _complete_via_page, _login
from webapp.dossiers.models import Dossier, WorkItem
from webapp.extensions import db
from webapp.notifications.jobs import status_changed
from webapp.notifications.models import Notification
from webapp.outbox.models import OutboxMessage

SLUG = "cap-giay-thu"
PHONE, MAIL, ID_NUMBER = "0987654321", "thu.nghiem@example.vn", "001203004005"

PROCEDURE = f"""\
code: "9.000777"
slug: {SLUG}
name: {{vi: "Cấp giấy thử nghiệm", en: "Test certificate"}}
field: {{vi: "Kiểm thử"}}
level: commune
service_level: toan_trinh
agency: {{vi: "Ủy ban nhân dân cấp xã"}}
processing_time: {{amount: 3, unit: working_days}}
fees: []
components: []
result: {{name: {{vi: "Giấy thử nghiệm"}}, electronic: true}}
legal_basis: []
delivery: [online, desk]
lanes:
  cong_dan: {{role: cong_dan, unit: applicant, name: {{vi: "Người nộp"}}}}
  tiep_nhan: {{role: tiep_nhan, unit: receiving, name: {{vi: "Một cửa"}}}}
  chuyen_vien_ho_tich: {{role: chuyen_vien_ho_tich, unit: handling, name: {{vi: "Công chức"}}}}
  lanh_dao: {{role: lanh_dao, unit: handling, name: {{vi: "Lãnh đạo"}}}}
fields:
  applicant_name: nguoi_nop.ten_day_du
  applicant_id_number: nguoi_nop.ma_dinh_danh
  contact_phone: lien_lac.di_dong
  contact_email: lien_lac.thu_dien_tu
  contact_zalo: lien_lac.dung_zalo
  delivery: lien_lac.cach_nhan
  supplement_items: can_them
  supplement_reason: vi_sao
  refusal_reason: vi_sao
  steps:
    duyet: {{decision: ket_luan, opinion: nhan_xet, send_back: [lam_lai]}}
"""


def _props(properties: dict, required: list[str], **extra: object) -> bytes:
    return json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
                       "additionalProperties": False, "properties": properties, "required": required, **extra},
                      ensure_ascii=False).encode()


TEXT = {"type": "string", "minLength": 3, "maxLength": 500}
FORMS = {
    "don": _props({
        "nguoi_nop": {"type": "object", "title": "Người nộp", "additionalProperties": False, "required": [
            "ten_day_du", "ma_dinh_danh"], "properties": {
            "ten_day_du": {**TEXT, "title": "Tên đầy đủ"},
            "ma_dinh_danh": {"type": "string", "title": "Mã định danh", "pattern": "^[0-9]{12}$"}}},
        "lien_lac": {"type": "object", "title": "Liên lạc", "additionalProperties": False, "properties": {
            "di_dong": {"type": "string", "title": "Di động", "pattern": "^0[0-9]{9}$"},
            "thu_dien_tu": {"type": "string", "title": "Thư điện tử", "format": "email", "maxLength": 200},
            "dung_zalo": {"type": "boolean", "title": "Dùng Zalo"},
            "cach_nhan": {"type": "string", "title": "Cách nhận", "enum": ["mang", "quay"]}}},
        "muc_dich": {**TEXT, "title": "Mục đích"}}, ["nguoi_nop", "lien_lac", "muc_dich"]),
    "xem-xet": _props({
        "quyet_dinh": {"type": "string", "title": "Quyết định", "enum": ["nhan", "them", "tu_choi"]},
        "can_them": {**TEXT, "title": "Cần thêm"},
        "vi_sao": {**TEXT, "title": "Vì sao"}}, ["quyet_dinh"]),
    "nop-them": _props({"da_nop": {**TEXT, "title": "Đã nộp thêm"}}, ["da_nop"]),
    "xu-ly": _props({"ket_qua_xu_ly": {**TEXT, "title": "Kết quả xử lý"}}, ["ket_qua_xu_ly"]),
    "duyet": _props({
        "ket_luan": {"type": "string", "title": "Kết luận", "enum": ["dong_y", "lam_lai"]},
        "nhan_xet": {**TEXT, "title": "Nhận xét"}}, ["ket_luan"]),
    "tra": _props({"da_tra": {"type": "boolean", "title": "Đã trả"}}, ["da_tra"]),
}


def _task(tag: str, id_: str, name: str, form: str | None, incoming: list[str], outgoing: list[str],
          **statuses: str) -> str:
    props = [f'<spiffworkflow:property name="formJsonSchemaFilename" value="{form}.schema.json"/>'] if form else []
    props += [f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in statuses.items()]
    ext = f"<bpmn:extensionElements><spiffworkflow:properties>{''.join(props)}</spiffworkflow:properties>" \
          f"</bpmn:extensionElements>" if props else ""
    flows = "".join(f"<bpmn:incoming>{f}</bpmn:incoming>" for f in incoming)
    flows += "".join(f"<bpmn:outgoing>{f}</bpmn:outgoing>" for f in outgoing)
    return f'<bpmn:{tag} id="{id_}" name="{name}">{ext}{flows}</bpmn:{tag}>'


def _flow(id_: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{id_}" sourceRef="{source}" targetRef="{target}"/>'
    return (f'<bpmn:sequenceFlow id="{id_}" sourceRef="{source}" targetRef="{target}"><bpmn:conditionExpression>'
            f'{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>')


LANES = {"cong_dan": ["nop", "nop_them"], "tiep_nhan": ["xem_xet", "gw_xem_xet", "tu_choi", "da_nhan", "tra", "xong"],
         "chuyen_vien_ho_tich": ["gop_xu_ly", "xu_ly"], "lanh_dao": ["duyet", "gw_duyet"]}
ELEMENTS = [
    _task("startEvent", "nop", "Nộp đơn", "don", [], ["f1"], statusOnComplete="1"),
    _task("userTask", "xem_xet", "Xem xét đơn", "xem-xet", ["f1", "f_them_xong"], ["f2"]),
    _task("exclusiveGateway", "gw_xem_xet", "Quyết định?", None, ["f2"], ["f_them", "f_tu_choi", "f_nhan"]),
    _task("userTask", "nop_them", "Nộp thêm giấy tờ", "nop-them", ["f_them"], ["f_them_xong"], statusOnEnter="5"),
    _task("endEvent", "tu_choi", "Từ chối", None, ["f_tu_choi"], [], statusOnEnter="3"),
    _task("intermediateThrowEvent", "da_nhan", "Đã nhận", None, ["f_nhan"], ["f3"], statusOnEnter="2"),
    _task("exclusiveGateway", "gop_xu_ly", "", None, ["f3", "f_lam_lai"], ["f4"]),
    _task("userTask", "xu_ly", "Xử lý", "xu-ly", ["f4"], ["f5"], statusOnEnter="4"),
    _task("userTask", "duyet", "Duyệt", "duyet", ["f5"], ["f6"]),
    _task("exclusiveGateway", "gw_duyet", "Kết luận?", None, ["f6"], ["f_lam_lai", "f_dong_y"]),
    _task("userTask", "tra", "Trả giấy", "tra", ["f_dong_y"], ["f7"], statusOnEnter="9", statusOnComplete="10"),
    _task("endEvent", "xong", "Xong", None, ["f7"], []),
    _flow("f1", "nop", "xem_xet"), _flow("f2", "xem_xet", "gw_xem_xet"),
    _flow("f_them", "gw_xem_xet", "nop_them", 'quyet_dinh == "them"'), _flow("f_them_xong", "nop_them", "xem_xet"),
    _flow("f_tu_choi", "gw_xem_xet", "tu_choi", 'quyet_dinh == "tu_choi"'),
    _flow("f_nhan", "gw_xem_xet", "da_nhan", 'quyet_dinh == "nhan"'), _flow("f3", "da_nhan", "gop_xu_ly"),
    _flow("f4", "gop_xu_ly", "xu_ly"), _flow("f5", "xu_ly", "duyet"), _flow("f6", "duyet", "gw_duyet"),
    _flow("f_lam_lai", "gw_duyet", "gop_xu_ly", 'ket_luan == "lam_lai"'),
    _flow("f_dong_y", "gw_duyet", "tra", 'ket_luan == "dong_y"'), _flow("f7", "tra", "xong"),
]
LANE_XML = "".join(f'<bpmn:lane id="Lane_{name}" name="{name}">'
                   + "".join(f"<bpmn:flowNodeRef>{e}</bpmn:flowNodeRef>" for e in ids) + "</bpmn:lane>"
                   for name, ids in LANES.items())
BPMN = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions '
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Defs" '
        f'targetNamespace="http://bpmn.io/schema/bpmn"><bpmn:process id="cap_giay_thu" isExecutable="true">'
        f'<bpmn:laneSet id="LaneSet_1">{LANE_XML}</bpmn:laneSet>{"".join(ELEMENTS)}</bpmn:process>'
        '</bpmn:definitions>')
FILES = {f"bpmn/{SLUG}/process.bpmn": BPMN.encode(), f"bpmn/{SLUG}/procedure.yaml": PROCEDURE.encode(),
         **{f"forms/{SLUG}/{name}.schema.json": body for name, body in FORMS.items()}}
DECLARATION = {"nguoi_nop": {"ten_day_du": "Đinh Thị Thử", "ma_dinh_danh": ID_NUMBER},
               "lien_lac": {"di_dong": PHONE, "thu_dien_tu": MAIL, "dung_zalo": True, "cach_nhan": "mang"},
               "muc_dich": "Kiểm tra cách đọc trường"}


def _publish(api: Api) -> None:
    status, version = api.post("/procedures", "thietke", content_type="multipart/form-data",
                               data={"package": (io.BytesIO(as_zip(FILES)), f"{SLUG}.zip")})
    assert status == 201, version
    status, body = api.post(f"/procedures/{SLUG}/versions/{version['version']}/publish", "thietke")
    assert status == 200 and body["published"], body


def _submit(api: Api) -> dict:
    status, dossier = api.post("/dossiers", "an", json={"procedure": SLUG, "data": DECLARATION})
    assert status == 201 and dossier["status"] == 1, dossier
    return dossier


def _item(app: Flask, code: str, element_id: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(WorkItem.id).join(Dossier, Dossier.id == WorkItem.dossier_id).where(
            Dossier.code == code, WorkItem.element_id == element_id, WorkItem.state == "ready"))


def _api_step(api: Api, user: str, code: str, element_id: str, data: dict) -> dict:
    items = [i for i in api.get("/worklist", user)[1]["items"] if i["element_id"] == element_id
             and i["dossier"] == code]
    assert len(items) == 1, items
    status, dossier = api.post(f"/work-items/{items[0]['id']}/complete", user, json={"data": data})
    assert status == 200, dossier
    return dossier


def _notify(app: Flask) -> None:
    """What the worker does for the notification jobs, here and now."""
    with app.app_context():
        for row in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.job == "notify.status_changed")
                                      .order_by(OutboxMessage.id)).all():
            status_changed(outbox_id=row.id, **row.payload)


def _texts(app: Flask, code: str, status_words: str) -> dict[str, str]:
    """channel -> text of the notification whose text says ``status_words``."""
    with app.app_context():
        rows = db.session.scalars(sa.select(Notification).join(Dossier, Dossier.id == Notification.dossier_id)
                                  .where(Dossier.code == code).order_by(Notification.id)).all()
        return {n.channel: n.body for n in rows if status_words in n.body}


def _page_text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (response.status_code, response.headers.get("Location"))
    return " ".join(lxml.html.fromstring(response.get_data(as_text=True)).text_content().split())


ITEMS, WHY = "Bản sao hợp lệ của giấy xác nhận", "Bản đã nộp bị mờ, không đọc được"
REFUSED = "Đơn không thuộc thẩm quyền của xã"
SENT_BACK, APPROVED = "Ghi thiếu ngày cấp, làm lại", "Đủ điều kiện cấp giấy thử nghiệm"


def test_a_procedure_with_its_own_field_names_shows_every_reason(
        app: Flask, client: FlaskClient, api: Api, connectors: dict) -> None:  # noqa: F811
    _publish(api)
    _login(client, "tiepnhan")

    # A supplement request: the officer lands on form 02, which says what and why.
    first = _submit(api)["code"]
    asked = _complete_via_page(client, _item(app, first, "xem_xet"), {
        "f.quyet_dinh": "them", "f.can_them": ITEMS, "f.vi_sao": WHY})
    assert asked.status_code == 302 and asked.headers["Location"].endswith(f"/ho-so/{first}/phieu-yeu-cau-bo-sung")
    slip = _page_text(client, asked.headers["Location"])
    assert ITEMS in slip and WHY in slip
    slip_pdf = client.get(f"/can-bo/ho-so/{first}/phieu-yeu-cau-bo-sung.pdf")
    assert slip_pdf.status_code == 200 and ITEMS in pdf_text(slip_pdf.data) and WHY in pdf_text(slip_pdf.data)

    # A refusal: form 03 with the reason.
    second = _submit(api)["code"]
    refused = _complete_via_page(client, _item(app, second, "xem_xet"), {"f.quyet_dinh": "tu_choi",
                                                                         "f.vi_sao": REFUSED})
    assert refused.headers["Location"].endswith(f"/ho-so/{second}/phieu-tu-choi")
    assert REFUSED in _page_text(client, refused.headers["Location"])
    refusal_pdf = client.get(f"/can-bo/ho-so/{second}/phieu-tu-choi.pdf")
    assert refusal_pdf.status_code == 200 and REFUSED in pdf_text(refusal_pdf.data)

    # The citizen: the supplement step shows the request; the dossier pages show each reason.
    _sign_in(app, client, "an")
    step = _page_text(client, f"/ho-so/{first}/buoc/{_item(app, first, 'nop_them')}")
    assert f"Cần bổ sung: {ITEMS}" in step and f"Lý do: {WHY}" in step
    page = _page_text(client, f"/ho-so/{first}")
    assert ITEMS in page and WHY in page and "giay-tiep-nhan.pdf" in client.get(f"/ho-so/{first}").get_data(
        as_text=True)
    refused_page = client.get(f"/ho-so/{second}").get_data(as_text=True)
    assert REFUSED in refused_page and "Từ chối tiếp nhận hồ sơ" in refused_page
    assert "giay-tiep-nhan.pdf" not in refused_page  # no appointment after a refusal
    assert client.get(f"/ho-so/{second}/giay-tiep-nhan.pdf").status_code == 404

    # Every channel, at the addresses the package's own fields hold, carries the reason.
    _notify(app)
    supplement = _texts(app, first, "cần bổ sung")
    assert set(supplement) == {"portal", "email", "sms", "zalo"}, supplement
    for channel, text in supplement.items():
        assert ITEMS in text and WHY in text, channel
    refusal = _texts(app, second, "không được tiếp nhận")
    assert set(refusal) == {"portal", "email", "sms", "zalo"} and all(REFUSED in t for t in refusal.values())
    assert "Reason: " + REFUSED in refusal["email"]  # the English half too
    with app.app_context():
        sent = {(n.channel, n.state) for n in db.session.scalars(sa.select(Notification))}
    assert ("sms", "failed") not in sent and ("email", "failed") not in sent
    everything = json.dumps([supplement, refusal], ensure_ascii=False)
    assert "Đinh Thị Thử" not in everything and ID_NUMBER not in everything  # no personal identifiers

    # The citizen supplements; the leader sends back, then approves: the citizen sees why it was sent
    # back, and the signed result carries the approving opinion.
    answered = client.post(f"/ho-so/{first}/buoc/{_item(app, first, 'nop_them')}", data={
        "csrf_token": _csrf_of(client, f"/ho-so/{first}/buoc/{_item(app, first, 'nop_them')}"),
        "f.da_nop": "Đã nộp bản sao rõ nét"})
    assert answered.status_code == 302
    _api_step(api, "tiepnhan", first, "xem_xet", {"quyet_dinh": "nhan"})
    _api_step(api, "hotich", first, "xu_ly", {"ket_qua_xu_ly": "Đã kiểm tra"})
    _api_step(api, "lanhdao", first, "duyet", {"ket_luan": "lam_lai", "nhan_xet": SENT_BACK})
    page = _page_text(client, f"/ho-so/{first}")
    assert "Lãnh đạo trả lại để xử lý lại" in page and SENT_BACK in page
    _api_step(api, "hotich", first, "xu_ly", {"ket_qua_xu_ly": "Đã bổ sung ngày cấp"})
    ready = _api_step(api, "lanhdao", first, "duyet", {"ket_luan": "dong_y", "nhan_xet": APPROVED})
    assert ready["status"] == 9
    from tests.webapp.test_result_pdf import _run_signing_jobs
    from webapp.results import service as results

    _run_signing_jobs(app)
    with app.app_context():
        dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == first))
        document = results.get(dossier)
        assert document is not None
        assert APPROVED in " ".join(pdf_text(results.content_of(document)).split())


def _csrf_of(client: FlaskClient, url: str) -> str:
    from tests.webapp.test_workspace import _csrf

    return _csrf(client.get(url).get_data(as_text=True))


def test_a_stop_after_a_withdrawal_tells_the_citizen_why(
        app: Flask, client: FlaskClient, api: Api, connectors: dict) -> None:  # noqa: F811
    from tests.webapp.test_withdrawal_decision import _decide, _submit_and_ask_to_withdraw

    code, _ = _submit_and_ask_to_withdraw(api)
    assert _decide(api, "tiepnhan", code, accept=True)[0] == 200
    _notify(app)
    stopped = _texts(app, code, "dừng xử lý")
    assert set(stopped) >= {"portal", "sms"}
    for text in stopped.values():
        assert "theo yêu cầu rút hồ sơ của bạn (Nộp nhầm thủ tục)" in text
    assert "at your request to withdraw the dossier (Nộp nhầm thủ tục)" in stopped.get("email", "at your request "
                                                                                         "to withdraw the dossier "
                                                                                         "(Nộp nhầm thủ tục)")
    _sign_in(app, client, "an")
    page = _page_text(client, f"/ho-so/{code}")
    assert "Dừng xử lý hồ sơ" in page and "theo yêu cầu rút hồ sơ của bạn (Nộp nhầm thủ tục)" in page
