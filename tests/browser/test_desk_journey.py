"""The one-stop desk end to end in a real browser: a paper dossier received at the desk with a
scanned component and its fee paid there, processed by the specialist, approved by the leader,
returned by the desk, and the signed result verified."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.browser.officers import officer_page
from tests.browser.test_journeys import DECLARATION, _fill
from tests.live_server import LiveServer, motcua

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 128


def _open_from_worklist(page, code: str) -> None:  # noqa: ANN001
    page.goto(page.url.split("/can-bo/")[0] + "/can-bo/")
    page.get_by_role("link", name=code).click()
    assert code in page.inner_text("main")


def test_desk_specialist_leader_and_desk_again_take_a_paper_dossier_to_its_return(browser, live: LiveServer,
                                                                                  tmp_path) -> None:  # noqa: ANN001
    from engine.package import read_package
    from engine.runtime import Engine
    from tests.conftest import REPO
    from tests.webapp.test_portal import _posted
    from webapp import formui

    form = Engine().load(read_package(REPO / "bpmn" / "khai-sinh")).start_form
    desk, page = officer_page(browser, live, "tiepnhan")
    # 1. Intake at the desk: the generated declaration, then the receipt (form 01).
    page.goto(live.url + "/can-bo/tiep-nhan-truc-tiep/khai-sinh")
    page.locator("#identity_number").fill("036092004567")  # the citizen filing, above the declaration
    page.locator("#applicant_name").fill("Trần Văn Hùng")
    _fill(page, _posted(f'<form method="post">{formui.render_form(form, DECLARATION)}</form>'))
    page.get_by_role("button", name="Tiếp nhận và in phiếu hẹn").click()
    assert "Mẫu số 01" in page.inner_text("main")
    code = page.url.split("/ho-so/")[1].split("/")[0]
    # 2. The birth certificate the citizen brought, scanned and attached.
    page.get_by_role("link", name="Thêm bản quét giấy tờ đã nhận").click()
    scan = tmp_path / "giay-chung-sinh.png"
    scan.write_bytes(PNG)
    page.get_by_label("Thành phần hồ sơ").select_option("giay_chung_sinh")
    page.get_by_label("Tệp bản quét (PDF, JPG, PNG)").set_input_files(str(scan))
    page.get_by_role("button", name="Tải lên").click()
    assert "giay-chung-sinh.png" in page.inner_text("main")
    # 3. The desk accepts it.
    _open_from_worklist(page, code)
    page.get_by_label("Tiếp nhận hồ sơ", exact=True).check()
    page.get_by_role("button", name="Hoàn thành bước").click()
    # Registered late: a fee, paid in cash at the desk, recorded with its receipt number.
    assert "Thu phí tại quầy" in page.inner_text("h1") and "8.000 đ" in page.inner_text("main")
    page.get_by_label("Số biên lai thu phí").fill("BL-2026-000123")
    page.get_by_role("button", name="Ghi nhận đã thu").click()
    assert "Đã ghi nhận lệ phí" in page.inner_text("main")
    desk.close()

    # 4. The civil-status specialist checks it and records the child's identity number.
    specialist, page = officer_page(browser, live, "hotich")
    _open_from_worklist(page, code)
    assert "giay-chung-sinh.png" in page.inner_text("main")  # the scan, beside the step
    page.get_by_label("Số định danh cá nhân của trẻ").fill("036225000789")
    page.get_by_label("Ý kiến thẩm định").fill("Hồ sơ đầy đủ, đề nghị ký.")
    page.get_by_role("button", name="Hoàn thành bước").click()
    specialist.close()

    # 5. The leader approves.
    leader, page = officer_page(browser, live, "lanhdao")
    _open_from_worklist(page, code)
    page.locator('[name="f.ket_qua_phe_duyet"][value="phe_duyet"]').check()
    page.get_by_role("button", name="Hoàn thành bước").click()
    leader.close()

    # 6. The desk hands the result over in person: returned (status 10).
    desk, page = officer_page(browser, live, "tiepnhan")
    _open_from_worklist(page, code)
    page.locator('[name="f.hinh_thuc_tra"]').first.evaluate("e => e.tagName")  # the field is there
    choice = page.locator('select[name="f.hinh_thuc_tra"]')
    if choice.count():
        choice.select_option("tai_quay")
    else:
        page.locator('[name="f.hinh_thuc_tra"][value="tai_quay"]').check()
    page.get_by_role("button", name="Hoàn thành bước").click()

    token = motcua(live.env, "create-token", "--user", "tiepnhan").strip()
    status, seen = live.api("GET", f"/dossiers/{code}", token)
    assert status == 200 and seen["status"] == 10 and seen["channel"] == 1

    # 7. The result document, signed by the commune by a background job, verifies; a tampered copy does not.
    signed = None
    for _ in range(60):
        answer = page.request.get(f"{live.url}/can-bo/ho-so/{code}/ket-qua.pdf")
        if answer.status == 200:
            signed = answer.body()
            break
        time.sleep(1)
    desk.close()
    assert signed is not None and signed.startswith(b"%PDF-")
    result = tmp_path / "ket-qua.pdf"
    result.write_bytes(signed)
    verdict = motcua(live.env, "verify-pdf", str(result))
    assert "Ủy ban nhân dân phường Nam Định" in verdict and verdict.strip().endswith("VALID")
    tampered = tmp_path / "sua.pdf"
    tampered.write_bytes(signed.replace(b"/Producer", b"/Producex", 1) if b"/Producer" in signed
                         else signed[:400] + bytes([signed[400] ^ 1]) + signed[401:])
    checked = subprocess.run([sys.executable, "-m", "webapp.cli", "verify-pdf", str(tampered)], env=live.env,
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode != 0 and "VALID" not in checked.stdout.replace("INVALID", "")
