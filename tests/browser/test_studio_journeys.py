"""The studio's promise, in the browser, without code.

A designer simplifies khai-sinh:
drops a field from the declaration (field-list mode), drops the matching optional component
(the procedure's information form), shortens the desk's step deadline (diagram editor) and
publishes. A citizen then submits the new version with the field gone, while a dossier started
before stays on the old version.

A designer creates a new two-step procedure from the starter, adds a field in field-list mode,
renames the desk's step and sets its lane's role in the diagram editor, publishes; a citizen
submits it the same minute."""

from __future__ import annotations

from pathlib import Path

from tests.browser.officers import officer_page
from tests.browser.test_accessibility import _png
from tests.browser.test_journeys import DECLARATION, PHONE, _fill
from tests.browser.test_studio_modeler import studio_bundle  # noqa: F401  (the editor's bundle, built if stale)
from tests.conftest import REPO
from tests.live_server import LiveServer, motcua

FIELD = "van_ban_mang_thai_ho"  # the surrogacy document's details: this province checks the paper instead


def test_a_designer_simplifies_khai_sinh_and_citizens_get_it_at_once(browser, live: LiveServer,
                                                                      studio_bundle: Path) -> None:  # noqa: F811
    citizen_token = motcua(live.env, "create-token", "--user", "an").strip()
    status, before = live.api("POST", "/dossiers", citizen_token, {"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201 and before["procedure"]["version"] == 1

    context, page = officer_page(browser, live, "thietke")
    # 1. The field, removed in field-list mode (no JSON), saved as a new draft.
    page.goto(live.url + "/thiet-ke/khai-sinh/phien-ban/1/bieu-mau/to-khai")
    row = page.locator(f'input[value="{FIELD}"]').first
    index = row.get_attribute("name").split("-")[1]
    page.locator(f'button[name="row-action"][value="remove:{index}"]').click()
    assert page.locator(f'input[value="{FIELD}"]').count() == 0
    page.get_by_role("button", name="Kiểm tra và lưu thành bản nháp").click()
    assert "phiên bản 2" in page.inner_text("main")

    # 2. The optional component, removed in the procedure's information form.
    page.goto(live.url + "/thiet-ke/khai-sinh/phien-ban/2/thong-tin")
    keys = page.locator('input[name$=".key"][name^="f.components."]')
    position = [keys.nth(i).input_value() for i in range(keys.count())].index(FIELD)
    page.locator(f'button[name="_remove"][value="f.components:{position}"]').click()
    page.get_by_role("button", name="Kiểm tra và lưu").last.click()
    assert "phiên bản 3" in page.inner_text("main")

    # 3. The desk's deadline shortened in the diagram editor's side panel.
    page.goto(live.url + "/thiet-ke/khai-sinh/so-do?phien-ban=3")
    page.wait_for_selector("#modeler-app[data-ready=true]")
    page.get_by_label("Chọn phần tử để sửa").select_option("tiep_nhan_ho_so")
    deadline = page.get_by_label("Thời hạn của bước")
    assert deadline.input_value() == "2h"
    deadline.fill("1h")
    deadline.press("Tab")
    page.get_by_role("button", name="Kiểm tra và lưu sơ đồ").click()
    page.wait_for_function("() => document.getElementById('modeler-status').textContent.includes('phiên bản 4')")

    # 4. Published: new dossiers use it at once.
    page.goto(live.url + "/thiet-ke/")
    page.locator('section[aria-labelledby="proc-khai-sinh"]').get_by_role("button", name="Công bố v4").click()
    assert "Đã công bố khai-sinh phiên bản 4" in page.inner_text("main")
    context.close()

    status, published = live.api("GET", "/procedures/khai-sinh", citizen_token)
    assert published["version"] == 4
    assert FIELD not in published["start_form"]["schema"]["properties"]
    assert FIELD not in [c["key"] for c in published["components"]]

    # A citizen submits the new version in the browser: the field is gone from every step.
    from engine.package import read_package
    from engine.runtime import Engine
    from tests.webapp.test_portal import _posted
    from webapp import formui

    form = Engine().load(read_package(REPO / "bpmn" / "khai-sinh")).start_form
    phone = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = phone.new_page()
    page.goto(live.url + "/thu-tuc/khai-sinh/nop")
    page.get_by_role("button", name="Nguyễn Văn An").click()
    for step in formui.steps(form):
        assert page.locator(f'[name^="f.{FIELD}"]').count() == 0
        answers = _posted(f'<form method="post">{formui.render_form(form, DECLARATION, only=step.fields)}</form>')
        _fill(page, {k: v for k, v in answers.items() if not k.startswith(f"f.{FIELD}")})
        page.get_by_role("button", name="Tiếp tục", exact=True).click()
    assert "Văn bản chứng minh việc mang thai hộ" not in page.inner_text("main")  # the component, gone too
    page.get_by_label("Chọn tệp: Giấy chứng sinh").set_input_files(
        {"name": "giay-chung-sinh.png", "mimeType": "image/png", "buffer": _png()})
    page.get_by_role("button", name="Tiếp tục", exact=True).click()
    page.get_by_role("button", name="Nộp hồ sơ").click()
    code = page.inner_text("h1").split()[-1]
    phone.close()

    desk = motcua(live.env, "create-token", "--user", "tiepnhan").strip()
    after = live.api("GET", f"/dossiers/{code}", desk)[1]
    old = live.api("GET", f"/dossiers/{before['code']}", desk)[1]
    assert after["procedure"]["version"] == 4 and old["procedure"]["version"] == 1  # the old one keeps its version
    assert FIELD not in after["data"]


def test_a_designer_creates_a_procedure_and_a_citizen_submits_it(browser, live: LiveServer,
                                                                  studio_bundle: Path) -> None:  # noqa: F811
    context, page = officer_page(browser, live, "thietke")
    page.goto(live.url + "/thiet-ke/")
    page.get_by_role("link", name="Tạo thủ tục mới").click()
    page.get_by_label("Tên thủ tục").fill("Xác nhận thông tin cư trú (thử nghiệm)")
    page.get_by_label("Tên thư mục (không dấu)").fill("xac-nhan-cu-tru-thu")
    page.get_by_label("Mã thủ tục quốc gia").fill("1.009999")
    page.get_by_label("Lĩnh vực").fill("Cư trú")
    page.get_by_label("Cơ quan thực hiện").fill("Ủy ban nhân dân cấp xã")
    page.get_by_label("Cấp thực hiện").select_option("commune")
    page.get_by_role("button", name="Tạo bản nháp").click()
    assert "bản nháp phiên bản 1" in page.inner_text("main")

    # A field added in field-list mode: label, type, required; the key is made from the label.
    page.goto(live.url + "/thiet-ke/xac-nhan-cu-tru-thu/phien-ban/1/bieu-mau/to-khai")
    page.get_by_role("button", name="Thêm trường").click()
    label = page.locator('input[name^="rows-"][name$="-label"]').last
    index = label.get_attribute("name").split("-")[1]
    label.fill("Số điện thoại liên hệ")
    page.locator(f'[name="rows-{index}-kind"]').select_option("text")
    page.locator(f'[name="rows-{index}-required"]').check()
    page.get_by_role("button", name="Kiểm tra và lưu thành bản nháp").click()
    assert "phiên bản 2" in page.inner_text("main")

    # The desk's step renamed, its lane's role set, in the diagram editor's side panel.
    page.goto(live.url + "/thiet-ke/xac-nhan-cu-tru-thu/so-do?phien-ban=2")
    page.wait_for_selector("#modeler-app[data-ready=true]")
    page.get_by_label("Chọn phần tử để sửa").select_option("giai_quyet")
    name = page.get_by_label("Tên", exact=True)
    name.fill("Xem xét, trả lời")
    name.press("Tab")
    page.get_by_label("Chọn phần tử để sửa").select_option("Lane_tiep_nhan")
    page.get_by_label("Vai trò của làn").select_option("tiep_nhan")
    page.get_by_role("button", name="Kiểm tra và lưu sơ đồ").click()
    page.wait_for_function("() => document.getElementById('modeler-status').textContent.includes('phiên bản 3')")
    page.goto(live.url + "/thiet-ke/")
    page.locator('section[aria-labelledby="proc-xac-nhan-cu-tru-thu"]').get_by_role("button", name="Công bố v3").click()
    context.close()

    # A citizen finds it and submits it, with the new field.
    phone = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = phone.new_page()
    page.goto(live.url + "/?q=cu tru thu nghiem")
    page.get_by_role("link", name="Xác nhận thông tin cư trú (thử nghiệm)").click()
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    page.get_by_role("button", name="Nguyễn Văn An").click()
    page.get_by_label("Số điện thoại liên hệ").fill("0912345678")
    page.locator('[name="f.nguoi_yeu_cau.ho_ten"]').fill("Nguyễn Văn An")
    page.get_by_label("Nội dung đề nghị").fill("Xác nhận nơi cư trú để làm hồ sơ vay vốn.")
    page.get_by_role("button", name="Tiếp tục", exact=True).click()
    page.get_by_role("button", name="Nộp hồ sơ").click()
    code = page.inner_text("h1").split()[-1]
    phone.close()

    desk = motcua(live.env, "create-token", "--user", "tiepnhan").strip()
    status, dossier = live.api("GET", f"/dossiers/{code}", desk)
    assert status == 200 and dossier["procedure"] == {"slug": "xac-nhan-cu-tru-thu", "version": 3}
    assert dossier["data"]["so_dien_thoai_lien_he"] == "0912345678"
    assert [s["name"] for s in dossier["current_steps"]] == ["Xem xét, trả lời"]  # in the desk's worklist
