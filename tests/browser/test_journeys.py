"""Journeys people take, in a real browser: a citizen finding a service on a phone, and the
one-stop desk receiving a dossier."""

from __future__ import annotations

import json

from tests.conftest import DATA
from tests.live_server import LiveServer, motcua
from webapp.demo import DEMO_PASSWORD

DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
PHONE = {"width": 360, "height": 740}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_citizen_finds_birth_registration_on_a_small_phone(browser, live: LiveServer) -> None:
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(live.url + "/")
    page.get_by_label("Tên thủ tục hoặc mã").fill("dang ky khai sinh")
    page.get_by_role("button", name="Tìm", exact=True).click()
    page.get_by_role("link", name="Đăng ký khai sinh", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Đăng ký khai sinh"
    assert page.locator(".qr svg").count() == 1
    # Nothing wider than the screen: no sideways scrolling on a 360 px phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("link", name="English").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Birth registration"
    context.close()


def test_desk_officer_receives_a_dossier_with_the_keyboard(browser, live: LiveServer) -> None:
    citizen = motcua(live.env, "create-token", "--user", "an").strip()
    status, dossier = live.api("POST", "/dossiers", citizen, {"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(live.url + "/can-bo/")
    page.get_by_label("Tên đăng nhập").fill("tiepnhan")
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.get_by_role("link", name=dossier["code"]).click()
    assert dossier["code"] in page.inner_text("main")
    page.get_by_label("Tiếp nhận hồ sơ", exact=True).check()
    page.get_by_role("button", name="Hoàn thành bước").click()
    assert f"hồ sơ {dossier['code']}" in page.inner_text("main")
    status, seen = live.api("GET", f"/dossiers/{dossier['code']}", citizen)
    assert seen["status"] == 4
    context.close()


def _fill(page, fields: dict[str, str]) -> None:  # noqa: ANN001 - a Playwright page
    """Answer the generated form the way a person does: type, pick, tick."""
    for name, value in fields.items():
        if name == "csrf_token":
            continue
        controls = page.locator(f'[name="{name}"]')
        first = controls.first
        kind = (first.get_attribute("type") or "").lower()
        if kind == "hidden":
            continue
        if kind == "radio":
            page.locator(f'[name="{name}"][value="{value}"]').check()
        elif kind == "checkbox":
            page.locator(f'[name="{name}"][type=checkbox]').check()
        elif page.locator(f'select[name="{name}"]').count():
            page.locator(f'select[name="{name}"]').select_option(value)
        else:
            first.fill(value)


def test_citizen_logs_in_fills_the_generated_form_and_submits_without_javascript(browser, live: LiveServer) -> None:
    from engine.package import read_package
    from engine.runtime import Engine
    from tests.conftest import REPO
    from tests.webapp.test_portal import _posted
    from webapp import formui

    form = Engine().load(read_package(REPO / "bpmn" / "khai-sinh")).start_form
    steps = formui.steps(form)
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(live.url + "/thu-tuc/khai-sinh")
    page.get_by_role("link", name="Nộp hồ sơ trực tuyến").click()
    page.get_by_role("button", name="Nguyễn Văn An").click()  # the demo identity provider
    assert page.url.endswith("/thu-tuc/khai-sinh/nop")
    for number, step in enumerate(steps, start=1):  # one step per page, as the UI schema splits it
        assert f"Bước {number}/{len(steps)}: {step.title}" in page.inner_text("main")
        _fill(page, _posted(f'<form method="post">{formui.render_form(form, DECLARATION, only=step.fields)}</form>'))
        page.get_by_role("button", name="Tiếp tục", exact=True).click()
    # The supporting documents: the birth certificate is required; a scan is attached from the phone.
    assert page.inner_text("h1") == "Giấy tờ kèm theo"
    page.get_by_label("Chọn tệp: Giấy chứng sinh").set_input_files(
        {"name": "giay-chung-sinh.pdf", "mimeType": "application/pdf", "buffer": PDF})
    page.get_by_role("button", name="Tiếp tục", exact=True).click()
    assert "Kiểm tra thông tin trước khi nộp" in page.inner_text("h1")
    assert "giay-chung-sinh.pdf" in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert "Trần Minh An" in page.inner_text("main")
    page.get_by_role("button", name="Nộp hồ sơ").click()
    assert "Mới đăng ký" in page.inner_text("main")
    code = page.inner_text("h1").split()[-1]
    assert code.startswith("H41.01.01-")
    context.close()
