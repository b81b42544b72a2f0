"""Pointing connectors at real systems by settings: an HTTP twin with the fake's declarations,
talking to a local HTTP server that answers like the real API (refusals and outages included)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from engine.connectors import ConnectorBpmnError, call_with_policy
from engine.connectors.http import HttpConnector
from engine.local_systems import default_registry
from tests.conftest import SECRET
from webapp.connectors import ConnectorSettingsError, configure
from webapp.settings import Settings


class FakeApi(BaseHTTPRequestHandler):
    """Answers POST /<operation> from ``script``: a list of (status, body) per operation."""

    script: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    received: list[tuple[str, dict[str, Any], str | None]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server hook
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length))
        operation = self.path.rsplit("/", 1)[-1]
        self.received.append((operation, payload, self.headers.get("Authorization")))
        status, body = self.script[operation].pop(0)
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        return


@pytest.fixture
def api() -> Iterator[str]:
    FakeApi.script, FakeApi.received = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/buu-chinh"
    server.shutdown()
    server.server_close()
    thread.join()


def settings(**env: str) -> Settings:
    return Settings.from_env({**SECRET, "MOTCUA_DATA_DIR": str(Path("/tmp")), **env})


SHIPMENT = {"ma_ho_so": "H41.15-20260608-0001", "nguoi_nhan": "Trần Thị Bình", "so_dien_thoai": "0987654321",
            "dia_chi_nhan": {"tinh_thanh": "Ninh Bình", "dia_chi_chi_tiet": "Thôn Đông, số 21"}}


def test_post_settings_replace_the_fake_with_an_http_twin(api: str) -> None:
    registry = default_registry()
    replaced = configure(registry, settings(MOTCUA_BUU_CHINH_URL=api, MOTCUA_BUU_CHINH_TOKEN="t0k3n"))
    assert replaced == ["buu_chinh.tao_van_don", "buu_chinh.tra_cuu"]
    booking = registry.get("buu_chinh.tao_van_don")
    assert isinstance(booking, HttpConnector)
    assert registry.get("ly_lich_tu_phap.xac_minh").__class__.__name__ == "FakeJudicialRecords"
    FakeApi.script["tao_van_don"] = [
        (503, {"error": "maintenance"}),
        (200, {"ma_van_don": "EL000000017VN", "cuoc_phi": 25000, "noi_bo": "x"}),
    ]
    sleeps: list[float] = []
    assert call_with_policy(booking, SHIPMENT, sleep=sleeps.append) == {"ma_van_don": "EL000000017VN",
                                                                         "cuoc_phi": 25000}
    assert sleeps == [1.0]  # the 503 was retried, with the fake's declared backoff
    operation, payload, auth = FakeApi.received[-1]
    assert (operation, payload, auth) == ("tao_van_don", SHIPMENT, "Bearer t0k3n")


def test_a_refusal_with_a_reason_maps_to_the_declared_error_code(api: str) -> None:
    registry = default_registry()
    configure(registry, settings(MOTCUA_BUU_CHINH_URL=api))
    FakeApi.script["tao_van_don"] = [(422, {"reason": "invalid_address", "message": "Thôn Đông không tồn tại"})]
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(registry.get("buu_chinh.tao_van_don"), SHIPMENT)
    assert (caught.value.code, caught.value.attempts, caught.value.error.reason) == (
        "buu_chinh_loi", 1, "invalid_address")
    assert "Thôn" not in str(caught.value)  # the body's text may quote personal data: never kept


def test_a_plain_http_url_to_another_host_is_refused() -> None:
    with pytest.raises(ConnectorSettingsError, match="MOTCUA_LLTP_URL must be an https URL"):
        configure(default_registry(), settings(MOTCUA_LLTP_URL="http://lltp.example.vn/api"))


def test_the_national_portal_needs_client_credentials() -> None:
    with pytest.raises(ConnectorSettingsError, match="MOTCUA_DVCQG_CLIENT_ID"):
        configure(default_registry(), settings(MOTCUA_DVCQG_URL="https://dvcqg.example.vn/api"))


def test_without_settings_every_connector_stays_a_fake() -> None:
    registry = default_registry()
    assert configure(registry, settings()) == []


def test_national_portal_over_http_follows_the_protocol_and_renews_a_rejected_token(api: str) -> None:
    registry = default_registry()
    configure(registry, settings(MOTCUA_DVCQG_URL=api, MOTCUA_DVCQG_CLIENT_ID="ninh-binh",
                                 MOTCUA_DVCQG_SECRET="bi-mat", MOTCUA_DVCQG_UNIT="H41"))
    FakeApi.script = {
        "token": [(200, {"access_token": "t1"}), (200, {"access_token": "t2"})],
        "ma-ho-so": [(401, {}), (200, {"ma_ho_so_quoc_gia": "G22.99-0000001"})],
        "ho-so": [(200, {"ma_ho_so_quoc_gia": "G22.99-0000001"})],
    }
    sync = registry.get("cong_dvc_quoc_gia.dong_bo_ho_so")
    dossier = {"ma_ho_so": "H41.15-20260608-0001", "ma_thu_tuc": "2.000488", "ho_ten_nguoi_nop": "Nguyễn Văn An",
               "so_dinh_danh": "001090000001", "ngay_tiep_nhan": "2026-06-08", "han_tra_ket_qua": "2026-06-22",
               "kenh": 2}
    assert call_with_policy(sync, dossier) == {"ma_ho_so_quoc_gia": "G22.99-0000001", "so_tep": 0}
    steps = [(operation, auth) for operation, _, auth in FakeApi.received]
    assert steps == [("token", None), ("ma-ho-so", "Bearer t1"), ("token", None), ("ma-ho-so", "Bearer t2"),
                     ("ho-so", "Bearer t2")]
    assert FakeApi.received[0][1] == {"client_id": "ninh-binh", "client_secret": "bi-mat"}
    assert FakeApi.received[3][1] == {"ma_ho_so": "H41.15-20260608-0001", "ma_don_vi": "H41"}


def test_the_data_store_over_http_fetches_a_document_larger_than_other_answers(api: str) -> None:
    """A fetched document may be megabytes of base64; a listing that large is refused as a bad answer."""
    import base64

    registry = default_registry()
    configure(registry, settings(MOTCUA_KHO_DU_LIEU_URL=api, MOTCUA_KHO_DU_LIEU_TOKEN="kho"))
    content = base64.b64encode(b"%PDF" + b"\0" * 1_500_000).decode()  # about 2 MB once encoded
    entry = {"ma_luu_tru": "KDL-00000001", "ten_giay_to": "Giấy khai sinh", "loai_giay_to": "1.001193",
             "dinh_dang": "pdf", "ma_bam": "0" * 64, "ngay_luu": "2026-11-23T10:00:00+00:00", "kich_thuoc": 1_500_004}
    FakeApi.script = {"tai_giay_to": [(200, {**entry, "noi_dung_base64": content, "noi_bo": "x"})],
                      "lay_giay_to": [(200, {"giay_to": [entry], "padding": content}),
                                      (404, {"reason": "not_found"})]}
    fetched = call_with_policy(registry.get("kho_du_lieu.tai_giay_to"),
                               {"so_dinh_danh": "001090000001", "ma_luu_tru": "KDL-00000001"})
    assert fetched["noi_dung_base64"] == content and "noi_bo" not in fetched
    assert FakeApi.received[-1] == ("tai_giay_to", {"so_dinh_danh": "001090000001", "ma_luu_tru": "KDL-00000001"},
                                    "Bearer kho")
    listing = registry.get("kho_du_lieu.lay_giay_to")
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(listing, {"so_dinh_danh": "001090000001"})
    assert (caught.value.code, caught.value.error.reason, caught.value.attempts) == ("kho_du_lieu_loi", "bad_answer", 1)
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(listing, {"so_dinh_danh": "001090000001"})
    assert caught.value.code == "kho_du_lieu_khong_co"  # the real store's reason picks the same code as the fake's
