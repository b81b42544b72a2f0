"""Signing an officer in, in a real browser, for the journeys that need one."""

from __future__ import annotations

from typing import Any

from tests.live_server import LiveServer
from webapp.demo import DEMO_PASSWORD

DESKTOP = {"width": 1280, "height": 900}


def officer_page(browser: Any, live: LiveServer, username: str) -> tuple[Any, Any]:
    """(context, page) of a new desktop browser context, signed in as ``username`` with the keyboard."""
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(live.url + "/can-bo/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "dang-nhap" not in url)  # signed in before going anywhere else
    return context, page
