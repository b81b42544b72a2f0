"""A designer simplifies khai-sinh in the browser, the way the product promises, without code:
drops a field from the declaration (field-list mode), drops the matching optional component
(the procedure's information form), shortens the desk's step deadline (diagram editor) and
publishes. A citizen then submits the new version with the field gone, while a dossier started
before stays on the old version."""

from __future__ import annotations

from pathlib import Path

from tests.browser.test_accessibility import _png
from tests.browser.test_journeys import DECLARATION, PHONE, _fill
from tests.browser.test_studio_modeler import studio_bundle  # noqa: F401  (the editor's bundle, built if stale)
from tests.conftest import REPO
from tests.live_server import LiveServer, motcua
from webapp.demo import DEMO_PASSWORD

FIELD = "van_ban_mang_thai_ho"  # the surrogacy document's details: this province checks the paper instead


def _designer(browser, live: LiveServer):  # noqa: ANN001, ANN202 - Playwright objects
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live.url + "/can-bo/")
    page.get_by_label("Tên đăng nhập").fill("thietke")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return context, page


def test_a_designer_simplifies_khai_sinh_and_citizens_get_it_at_once(browser, live: LiveServer,
                                                                      studio_bundle: Path) -> None:  # noqa: F811
    citizen_token = motcua(live.env, "create-token", "--user", "an").strip()
    status, before = live.api("POST", "/dossiers", citizen_token, {"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201 and before["procedure"]["version"] == 1

    context, page = _designer(browser, live)
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
