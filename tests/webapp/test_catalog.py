"""The public catalogue and procedure pages, as a citizen on a phone finds them."""

from __future__ import annotations

import lxml.html
import pytest
from flask.testing import FlaskClient


def _page(client: FlaskClient, url: str) -> lxml.html.HtmlElement:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return lxml.html.fromstring(response.get_data(as_text=True))


def _result_titles(client: FlaskClient, url: str) -> list[str]:
    return [a.text_content().strip() for a in _page(client, url).cssselect("ol.results li a")]


@pytest.mark.parametrize("query", ["khai sinh", "KHAI SINH", "dang ky khai sinh", "khai sính", "Đăng ký khai sinh",
                                   "1.001193"])
def test_search_ignores_case_and_diacritics(client: FlaskClient, seeded: dict, query: str) -> None:
    assert _result_titles(client, f"/?q={query}") == [
        "Đăng ký khai sinh",
        "Liên thông: đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế cho trẻ em dưới 6 tuổi"]


def test_search_without_match_says_so(client: FlaskClient, seeded: dict) -> None:
    page = _page(client, "/?q=ho chieu")
    assert _result_titles(client, "/?q=ho chieu") == []
    assert "Không có thủ tục phù hợp" in page.text_content()


@pytest.mark.parametrize(("query", "found"), [
    ("level=commune", True), ("level=province", True), ("level=central", False), ("service_level=toan_trinh", True),
    ("service_level=mot_phan", True), ("field=Hộ tịch", True), ("field=ho tich", True), ("field=Đất đai", False),
])
def test_filters(client: FlaskClient, seeded: dict, query: str, found: bool) -> None:
    assert bool(_result_titles(client, f"/?{query}")) is found


def test_procedure_page_shows_what_the_law_requires(client: FlaskClient, seeded: dict) -> None:
    page = _page(client, "/thu-tuc/khai-sinh")
    body = page.text_content()
    for expected in ("1.001193", "Hộ tịch", "Cấp xã", "Trong ngày làm việc", "8.000 đ", "Giấy chứng sinh",
                     "Luật Hộ tịch", "Ủy ban nhân dân cấp xã", "Cha, mẹ, ông, bà", "Phê duyệt",
                     "Biên bản xác nhận việc trẻ bị bỏ rơi", "Văn bản chứng minh việc mang thai hộ"):
        assert expected in body, expected
    assert "trẻ em sinh ra ở nước ngoài đăng ký theo thủ tục riêng" in " ".join(body.split())  # out of scope, said so
    assert len(page.cssselect("table tbody tr")) == 5  # five dossier components, most of them by case
    qr = page.cssselect(".qr svg")
    assert qr and "http://localhost/thu-tuc/khai-sinh" in body


def test_english_is_one_click_away_and_remembered(client: FlaskClient, seeded: dict) -> None:
    page = _page(client, "/thu-tuc/khai-sinh?lang=en")
    assert page.get("lang") == "en" and "Birth registration" in page.text_content()
    assert "Processing time" in page.text_content()
    again = _page(client, "/")
    assert again.get("lang") == "en"
    assert _page(client, "/?lang=vi").get("lang") == "vi"


def test_unknown_procedure_is_404(client: FlaskClient, seeded: dict) -> None:
    assert client.get("/thu-tuc/khong-co").status_code == 404


def test_pages_work_without_javascript_and_label_every_control(client: FlaskClient, seeded: dict) -> None:
    for url in ("/", "/thu-tuc/khai-sinh"):
        page = _page(client, url)
        assert not page.cssselect("script")
        for control in page.cssselect("input:not([type=hidden]), select, textarea"):
            assert page.cssselect(f"label[for={control.get('id')}]"), control.get("name")
        assert page.cssselect("meta[name=viewport]")
