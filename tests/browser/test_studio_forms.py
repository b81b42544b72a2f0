"""The studio's form editor in a real browser: usable on a 360 px phone, and with JavaScript the preview
follows what the designer types without pressing "Xem trước"."""

from __future__ import annotations

import os

from tests.live_server import LiveServer
from webapp.demo import DEMO_PASSWORD

PHONE = {"width": 360, "height": 740}
EDITOR = "/thiet-ke/khai-sinh/phien-ban/1/bieu-mau/bo-sung"


def _sign_in(page, live: LiveServer) -> None:  # noqa: ANN001 - a Playwright page
    page.goto(live.url + "/can-bo/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill("thietke")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_the_preview_follows_the_field_list_as_the_designer_types(browser, live: LiveServer) -> None:
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    _sign_in(page, live)
    page.goto(live.url + EDITOR)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_label("Nhãn (người dân đọc)").nth(1).fill("Lời nhắn cho cán bộ")
    preview = page.locator("#xem-truoc")
    preview.get_by_text("Lời nhắn cho cán bộ").wait_for(timeout=10_000)  # no button pressed
    if os.environ.get("MOTCUA_SCREENSHOTS"):
        page.screenshot(path=os.environ["MOTCUA_SCREENSHOTS"] + "/form-editor.png", full_page=True)
    context.close()


def test_rows_are_added_without_javascript_on_a_phone(browser, live: LiveServer) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    _sign_in(page, live)
    page.goto(live.url + EDITOR)
    page.get_by_role("button", name="Thêm trường").click()
    assert page.get_by_role("group", name="Trường 3").count() == 1
    page.get_by_label("Nhãn (người dân đọc)").nth(2).fill("Số điện thoại")
    page.get_by_role("button", name="Xem trước", exact=True).click()
    assert page.locator("#xem-truoc").get_by_label("Số điện thoại").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.goto(live.url + "/thiet-ke/khai-sinh/phien-ban/1/thong-tin")
    assert page.get_by_label("Mã thủ tục (Cơ sở dữ liệu quốc gia)").input_value() == "1.001193"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if os.environ.get("MOTCUA_SCREENSHOTS"):
        page.screenshot(path=os.environ["MOTCUA_SCREENSHOTS"] + "/metadata.png", full_page=True)
    context.close()
