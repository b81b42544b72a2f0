"""The connector framework (time limit, retries, declared results, BPMN error codes) and the fakes of
public post and the national portal, which must refuse what the real systems refuse."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from engine.compiler import validate_package
from engine.connectors import (
    ConnectorBpmnError,
    ConnectorError,
    ConnectorRegistry,
    ConnectorTimeout,
    RetryPolicy,
    call_with_policy,
)
from engine.connectors.national_portal import (
    PortalClient,
    PortalDossierSync,
    PortalProgress,
    PortalRejected,
    PortalStatus,
    TokenExpired,
)
from engine.connectors.post import PostShipment, PostTracking, is_tracking_number, s10_check_digit, tracking_number
from engine.local_systems import default_registry
from engine.package import PackageSource, read_package
from engine.runtime import Engine
from fakes.controls import FakeControls
from fakes.national_portal import FakeNationalPortal
from fakes.population import FakePopulationRegistry
from fakes.post import FakePostOffice
from tests.conftest import DATA, library_package


@dataclass
class Flaky:
    """A connector whose next calls fail as told; answers with more than it declares."""

    controls: FakeControls = field(default_factory=FakeControls)
    calls: int = 0
    name: str = "thu.nghiem"
    required_params: frozenset[str] = frozenset({"ma"})
    optional_params: frozenset[str] = frozenset()
    result_fields: frozenset[str] = frozenset({"ket_qua"})
    timeout: float | None = None
    retry: RetryPolicy = RetryPolicy(attempts=4, backoff=1.0, max_backoff=3.0)
    error_codes: Mapping[str, str] = field(default_factory=lambda: {"*": "thu_nghiem_loi"})

    def call(self, params: Mapping[str, Any]) -> Any:
        self.calls += 1
        self.controls.before_call()
        return {"ket_qua": f"ok {params['ma']}", "noi_bo": "không được lọt ra ngoài"}


@pytest.fixture
def flaky() -> Iterator[Flaky]:
    connector = Flaky()
    yield connector
    connector.controls.release.set()


def test_retries_with_backoff_and_keeps_only_declared_fields(flaky: Flaky) -> None:
    flaky.controls.fail_next = [ConnectorError("busy", retryable=True), ConnectorTimeout()]
    sleeps: list[float] = []
    assert call_with_policy(flaky, {"ma": "A1"}, sleep=sleeps.append) == {"ket_qua": "ok A1"}
    assert flaky.calls == 3
    assert sleeps == [1.0, 2.0]


def test_a_call_that_hangs_past_its_time_limit_is_a_timeout(flaky: Flaky) -> None:
    flaky.timeout = 0.05
    flaky.controls.hang_next = 4  # every attempt hangs
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(flaky, {"ma": "A1"}, sleep=lambda _: None)
    assert caught.value.code == "thu_nghiem_loi"
    assert caught.value.attempts == 4
    assert caught.value.error.reason == "timeout"


def test_a_permanent_failure_is_not_retried(flaky: Flaky) -> None:
    flaky.controls.fail_next = [ConnectorError("bad request", retryable=False)]
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(flaky, {"ma": "A1"}, sleep=lambda _: pytest.fail("slept before a permanent failure"))
    assert (caught.value.attempts, flaky.calls, caught.value.error.reason) == (1, 1, "rejected")


def test_without_an_error_code_the_connector_error_itself_is_raised(flaky: Flaky) -> None:
    flaky.error_codes = {}
    flaky.controls.fail_next = [ConnectorError("busy", retryable=True) for _ in range(4)]
    with pytest.raises(ConnectorError, match="busy"):
        call_with_policy(flaky, {"ma": "A1"}, sleep=lambda _: None)
    assert flaky.calls == 4


def test_an_uncaught_bpmn_error_fails_the_instance_naming_the_code() -> None:
    fake = FakePopulationRegistry(people={"001090000001": {"ho_ten": "Nguyễn Văn An"}})
    fake.error_codes = {"*": "dan_cu_loi"}  # type: ignore[attr-defined]  # declared on this instance only
    fake.fail_next.append(ConnectorError("invalid request", retryable=False))
    registry = ConnectorRegistry()
    registry.register(fake)
    engine = Engine(connectors=registry)
    package = read_package(DATA / "broken" / "bpmn" / "mau")
    _, advance = engine.start(engine.load(package), {"so_dinh_danh": "001090000001", "so_ban": 2})
    assert advance.failure is not None
    assert advance.failure.element_id == "tra_cuu"
    assert advance.failure.params["error_code"] == "dan_cu_loi"
    assert "dan_cu_loi" in advance.failure.message("en")


def test_validator_refuses_a_boundary_event_catching_a_code_the_connector_never_raises() -> None:
    source = library_package("cap-phieu-ly-lich-tu-phap")
    files = dict(source.files)
    path = "bpmn/cap-phieu-ly-lich-tu-phap/process.bpmn"
    files[path] = files[path].replace(b'errorCode="xac_minh_khong_duoc"', b'errorCode="het_gio"')
    problems = validate_package(PackageSource(source.slug, files), default_registry())
    assert [(p.element, p.code, p.params["error_code"]) for p in problems] == [
        ("xac_minh_khong_duoc", "connector_error_code_unknown", "het_gio")]


def test_validator_refuses_a_missing_required_parameter() -> None:
    source = library_package("cap-phieu-ly-lich-tu-phap")
    files = dict(source.files)
    path = "bpmn/cap-phieu-ly-lich-tu-phap/process.bpmn"
    files[path] = files[path].replace(b'<spiffworkflow:parameter id="so_dien_thoai" type="any" value="so_dien_thoai"/>',
                                      b"")
    problems = validate_package(PackageSource(source.slug, files), default_registry())
    assert [(p.element, p.code, p.params["param"]) for p in problems] == [
        ("gui_buu_chinh", "connector_param_missing", "so_dien_thoai")]


# --- public post -------------------------------------------------------------------------

ADDRESS = {"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Hoa Lư", "dia_chi_chi_tiet": "Thôn Đông, số 21"}
SHIPMENT = {"ma_ho_so": "H41.15-20260608-0001", "nguoi_nhan": "Trần Thị Bình", "dia_chi_nhan": ADDRESS,
            "so_dien_thoai": "0987654321"}


def test_tracking_numbers_carry_the_upu_check_digit() -> None:
    assert s10_check_digit("47312482") == 9  # the worked example of UPU S10: RA 47312482 9 GB
    assert is_tracking_number(tracking_number(1))
    assert not is_tracking_number("EL000000012VN")  # wrong check digit


def test_booking_twice_for_one_dossier_sends_one_parcel() -> None:
    office = FakePostOffice()
    booking = PostShipment(office)
    first = call_with_policy(booking, SHIPMENT)
    again = call_with_policy(booking, SHIPMENT)  # a retry after a lost answer
    assert first == again and len(office.shipments) == 1
    assert call_with_policy(PostTracking(office), {"ma_van_don": first["ma_van_don"]}) == {
        "ma_van_don": first["ma_van_don"], "trang_thai": "da_nhan_gui"}
    office.move(first["ma_van_don"], "da_phat")
    assert call_with_policy(PostTracking(office), {"ma_van_don": first["ma_van_don"]})["trang_thai"] == "da_phat"


def test_post_refuses_an_address_without_a_street_for_good() -> None:
    booking = PostShipment(FakePostOffice())
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(booking, {**SHIPMENT, "dia_chi_nhan": {"tinh_thanh": "Ninh Bình"}})
    assert (caught.value.code, caught.value.attempts, caught.value.error.reason) == (
        "buu_chinh_loi", 1, "invalid_address")


def test_tracking_an_unknown_parcel_is_not_found() -> None:
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(PostTracking(FakePostOffice()), {"ma_van_don": tracking_number(7)})
    assert caught.value.error.reason == "not_found"


def test_the_carrier_keeps_its_parcels_for_every_process_on_its_folder(tmp_path: Path) -> None:
    web, worker, restarted = (FakePostOffice(folder=tmp_path) for _ in range(3))
    number = call_with_policy(PostShipment(worker), SHIPMENT)["ma_van_don"]
    assert call_with_policy(PostTracking(web), {"ma_van_don": number})["trang_thai"] == "da_nhan_gui"
    assert call_with_policy(PostShipment(restarted), SHIPMENT)["ma_van_don"] == number  # one parcel
    assert list(web.parcels()) == [number]
    assert FakePostOffice().parcels() == {}  # no folder: memory only


# --- national portal ---------------------------------------------------------------------

PDF = base64.b64encode(b"%PDF-1.7 to khai").decode()
DOSSIER = {"ma_ho_so": "H41.15-20260608-0001", "ma_thu_tuc": "2.000488", "ho_ten_nguoi_nop": "Nguyễn Văn An",
           "so_dinh_danh": "001090000001", "ngay_tiep_nhan": "2026-06-08", "han_tra_ket_qua": "2026-06-22",
           "kenh": 2, "tep": [{"ten_tep": "to-khai.pdf", "loai": "application/pdf", "noi_dung_base64": PDF}]}


@pytest.fixture
def portal() -> FakeNationalPortal:
    return FakeNationalPortal()


def test_sync_follows_the_six_step_protocol(portal: FakeNationalPortal) -> None:
    client = PortalClient(portal)
    answer = call_with_policy(PortalDossierSync(client), DOSSIER)
    assert answer == {"ma_ho_so_quoc_gia": "G22.99-0000001", "so_tep": 1}
    call_with_policy(PortalProgress(client), {"ma_ho_so_quoc_gia": "G22.99-0000001", "buoc": "Xác minh lý lịch",
                                              "don_vi_xu_ly": "Sở Tư pháp tỉnh Ninh Bình", "ngay": "2026-06-09"})
    call_with_policy(PortalStatus(client), {"ma_ho_so_quoc_gia": "G22.99-0000001", "trang_thai": 4})
    assert portal.calls == ["token", "dossier_code", "upload", "create", "progress", "status"]
    stored = portal.dossiers["G22.99-0000001"]
    assert (stored["trang_thai"], stored["tep"], len(stored["tien_do"])) == (4, ["TEP-000001"], 1)
    assert "token" not in str(answer)  # the access token never reaches the process data


def test_the_portal_keeps_its_records_for_every_process_on_its_folder(tmp_path: Path) -> None:
    before, after = FakeNationalPortal(folder=tmp_path), FakeNationalPortal(folder=tmp_path)
    national = call_with_policy(PortalDossierSync(PortalClient(before)), DOSSIER)["ma_ho_so_quoc_gia"]
    # A worker started again: a new client and fake, the same records (the token too).
    call_with_policy(PortalStatus(PortalClient(after)), {"ma_ho_so_quoc_gia": national, "trang_thai": 4})
    assert after.calls == ["token", "status"]
    assert after.dossiers[national]["trang_thai"] == 4
    assert call_with_policy(PortalDossierSync(PortalClient(after)), DOSSIER)["ma_ho_so_quoc_gia"] == national
    token = next(iter(after.tokens))
    before.expire_tokens()  # for every process on the folder
    with pytest.raises(TokenExpired):
        after.status(token, {"ma_ho_so_quoc_gia": national, "trang_thai": 5})


def test_portal_rejects_a_malformed_dossier_with_the_field_and_reason(portal: FakeNationalPortal) -> None:
    sync = PortalDossierSync(PortalClient(portal))
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(sync, {**DOSSIER, "ma_thu_tuc": "2000488"}, sleep=lambda _: pytest.fail("retried"))
    assert caught.value.code == "dvcqg_tu_choi"
    error = caught.value.error
    assert isinstance(error, PortalRejected)
    assert (error.step, error.field) == ("create", "ma_thu_tuc")
    assert str(error) == "national portal refused create: ma_thu_tuc: must be a national procedure code like 1.001193"
    assert portal.dossiers == {}


@pytest.mark.parametrize(("change", "step", "field_name"), [
    ({"so_dinh_danh": "00109000000"}, "create", "so_dinh_danh"),
    ({"han_tra_ket_qua": "2026-06-01"}, "create", "han_tra_ket_qua"),
    ({"kenh": 5}, "create", "kenh"),
    ({"ngay_tiep_nhan": "08/06/2026"}, "create", "ngay_tiep_nhan"),
    ({"tep": [{"ten_tep": "a.exe", "loai": "application/x-msdownload", "noi_dung_base64": PDF}]}, "upload", "loai"),
    ({"tep": [{"ten_tep": "a.pdf", "loai": "application/pdf", "noi_dung_base64": "không phải base64"}]},
     "upload", "noi_dung_base64"),
])
def test_portal_checks_every_field(portal: FakeNationalPortal, change: dict[str, Any], step: str,
                                   field_name: str) -> None:
    with pytest.raises(PortalRejected) as caught:
        PortalDossierSync(PortalClient(portal)).call({**DOSSIER, **change})
    assert (caught.value.step, caught.value.field) == (step, field_name)


def test_status_outside_the_national_codes_is_rejected(portal: FakeNationalPortal) -> None:
    client = PortalClient(portal)
    PortalDossierSync(client).call(DOSSIER)
    with pytest.raises(PortalRejected, match="trang_thai: a national status code 1-10"):
        PortalStatus(client).call({"ma_ho_so_quoc_gia": "G22.99-0000001", "trang_thai": 11})


def test_an_expired_token_is_fetched_again_once(portal: FakeNationalPortal) -> None:
    client = PortalClient(portal)
    PortalDossierSync(client).call(DOSSIER)
    portal.expire_tokens()
    PortalStatus(client).call({"ma_ho_so_quoc_gia": "G22.99-0000001", "trang_thai": 9})
    assert portal.calls.count("token") == 2
    assert portal.dossiers["G22.99-0000001"]["trang_thai"] == 9


def test_syncing_a_dossier_again_keeps_its_national_code(portal: FakeNationalPortal) -> None:
    sync = PortalDossierSync(PortalClient(portal))
    assert sync.call(DOSSIER)["ma_ho_so_quoc_gia"] == sync.call(DOSSIER)["ma_ho_so_quoc_gia"]
    assert len(portal.dossiers) == 1


def test_wrong_client_credentials_are_refused_for_good(portal: FakeNationalPortal) -> None:
    sync = PortalDossierSync(PortalClient(portal, secret="sai"))
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(sync, DOSSIER)
    assert (caught.value.code, caught.value.error.reason) == ("dvcqg_khong_dong_bo", "unauthorised")


def test_the_verification_answers_yes_or_no_and_never_the_record() -> None:
    registry = default_registry()
    verify = registry.get("dan_cu.xac_thuc")
    match = call_with_policy(verify, {"so_dinh_danh": "001090000001", "ho_ten": "nguyễn  VĂN an",
                                      "ngay_sinh": "1990-03-14"})
    assert match == {"ton_tai": True, "khop_ho_ten": True, "khop_ngay_sinh": True}
    assert call_with_policy(verify, {"so_dinh_danh": "001090000001", "ho_ten": "Nguyễn Văn Ân"})["khop_ho_ten"] is False
    assert call_with_policy(verify, {"so_dinh_danh": "001090000009"}) == {
        "ton_tai": False, "khop_ho_ten": None, "khop_ngay_sinh": None}
    with pytest.raises(ConnectorBpmnError) as refused:  # a malformed number: refused, not retried
        call_with_policy(verify, {"so_dinh_danh": "12345"})
    assert (refused.value.code, refused.value.attempts) == ("dan_cu_khong_xac_thuc", 1)
