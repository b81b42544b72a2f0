"""A leader reads the service-quality index in a real browser: the embedded worker computes it on
request, and the page has no serious accessibility problem (axe-core)."""

from __future__ import annotations

import time

from tests.browser.officers import officer_page
from tests.browser.test_accessibility import Checker, axe_source  # noqa: F401  (axe_source is a fixture)
from tests.browser.test_journeys import DECLARATION
from tests.live_server import LiveServer, motcua


def test_a_leader_asks_for_the_index_and_the_worker_fills_it_in(browser, live: LiveServer,  # noqa: ANN001
                                                                 axe_source: str) -> None:  # noqa: F811
    citizen = motcua(live.env, "create-token", "--user", "an").strip()
    status, _dossier = live.api("POST", "/dossiers", citizen, {"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    context, page = officer_page(browser, live, "lanhdao")
    checker = Checker(page, axe_source)
    page.get_by_role("link", name="Chỉ số chất lượng phục vụ").click()
    assert "Chỉ số chất lượng phục vụ" in page.inner_text("h1")
    page.get_by_role("button", name="Tính lại ngay").click()
    deadline = time.monotonic() + 60
    while "Toàn tỉnh" not in page.inner_text("main") or "đang tính lại" in page.inner_text("main"):
        assert time.monotonic() < deadline, "the embedded worker never stored the figures"
        time.sleep(0.5)
        page.reload()
    main = page.inner_text("main")
    assert "Nộp trực tuyến" in main and "100.0% (1/1)" in main  # the one dossier was filed online
    checker.check("quality index")
    assert checker.problems == {}
    context.close()
