"""Criminal record certificate (Sở Tư pháp) through every branch: verification by connector, its
retries and time limit, the manual-verification path, and the result online, at the desk or by post."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from engine.connectors import ConnectorError, ConnectorTimeout
from engine.connectors.post import is_tracking_number
from engine.local_systems import default_registry
from engine.runtime import Engine
from fakes.judicial_records import FakeJudicialRecords
from fakes.post import FakePostOffice
from tests.engine import procedure_runner as runner
from tests.engine.procedure_runner import Run

SLUG = "cap-phieu-ly-lich-tu-phap"
CODE = "H41.15-20260608-0001"


def sample(name: str) -> dict[str, Any]:
    return runner.sample(SLUG, name)


@dataclass
class World:
    """An engine with its own fakes, and the waits between retries it asked for."""

    engine: Engine
    records: FakeJudicialRecords
    post: FakePostOffice
    sleeps: list[float] = field(default_factory=list)

    def play(self, answers: list[tuple[str, dict[str, Any]]], start: str = "to-khai") -> Run:
        return runner.play(self.engine, SLUG, answers, start=sample(start), context={"ma_ho_so": CODE, "kenh": 2})


@pytest.fixture
def world() -> Iterator[World]:
    registry = default_registry()
    records = registry.get("ly_lich_tu_phap.xac_minh")
    shipment = registry.get("buu_chinh.tao_van_don")
    assert isinstance(records, FakeJudicialRecords)
    sleeps: list[float] = []
    w = World(Engine(connectors=registry, sleep=sleeps.append), records, shipment.office, sleeps)  # type: ignore[union-attr]
    yield w
    records.controls.release.set()  # let a call the engine gave up on finish
    w.post.controls.release.set()


ACCEPT = ("tiep_nhan_ho_so", sample("tiep-nhan"))
REFUSE = ("tiep_nhan_ho_so", sample("tiep-nhan.tu-choi"))
DRAW_UP = ("lap_phieu", sample("lap-phieu"))
SIGN = ("ky_phieu", sample("ky-phieu"))
SEND_BACK = ("ky_phieu", {"ket_qua_ky": "tra_lai", "y_kien": "Ghi sai ngày sinh của người được cấp Phiếu."})
VERIFY_BY_HAND = ("xac_minh_thu_cong", sample("xac-minh-thu-cong"))
HAND_OVER = ("tra_tai_quay", sample("tra-ket-qua"))


def test_online_request_is_verified_by_connector_and_returned_online(world: World) -> None:
    run = world.play([ACCEPT, DRAW_UP, SIGN])
    assert run.statuses == [1, 2, 4, 9, 10]
    assert run.completed
    assert [(element, lane) for element, lane, _ in run.steps] == [
        ("tiep_nhan_ho_so", "tiep_nhan"), ("lap_phieu", "chuyen_vien"), ("ky_phieu", "lanh_dao")]
    assert world.records.calls == [CODE]
    assert world.sleeps == []
    # Only the declared result fields: the judgments the agency sends stay out of the dossier data.
    assert run.data["xac_minh"] == {"ket_qua": "khong_co_an_tich", "so_ban_an": 0, "ma_tra_loi": "LLTP-000001"}
    assert run.data["phi_ly_lich_tu_phap"] == 200000
    assert "van_don" not in run.data


def test_a_conviction_on_record_reaches_the_officer_without_the_judgments(world: World) -> None:
    world.records.convictions["001090000001"] = [
        {"toa_an": "Tòa án nhân dân tỉnh Ninh Bình", "ban_an": "12/2015/HS-ST", "toi_danh": "Trộm cắp tài sản"}]
    run = world.play([ACCEPT, ("lap_phieu", {"so_phieu": "1533/2026/LLTP",
                                            "noi_dung_an_tich": "Bản án số 12/2015/HS-ST, Trộm cắp tài sản"}), SIGN])
    assert run.completed
    assert run.data["xac_minh"] == {"ket_qua": "co_an_tich", "so_ban_an": 1, "ma_tra_loi": "LLTP-000001"}


def test_refused_request_never_reaches_the_judicial_record_database(world: World) -> None:
    run = world.play([REFUSE])
    assert run.statuses == [1, 3]
    assert run.completed
    assert world.records.calls == []
    assert "phi_ly_lich_tu_phap" not in run.data


def test_verification_times_out_then_fails_three_times_then_succeeds(world: World) -> None:
    world.records.timeout = 0.05  # the first call hangs until the test ends: the engine stops waiting
    world.records.controls.hang_next = 1
    world.records.controls.fail_next = [ConnectorError("agency busy", retryable=True) for _ in range(3)]
    run = world.play([ACCEPT, DRAW_UP, SIGN])
    assert run.statuses == [1, 2, 4, 9, 10]
    assert run.completed
    assert world.records.calls == [CODE] * 5
    assert world.sleeps == [2.0, 4.0, 8.0, 15.0]  # doubling from 2 s, capped at 15 s
    assert run.data["xac_minh"] == {"ket_qua": "khong_co_an_tich", "so_ban_an": 0, "ma_tra_loi": "LLTP-000005"}
    assert "loi_xac_minh" not in run.data


def test_permanent_failure_takes_the_manual_verification_path(world: World) -> None:
    world.records.controls.fail_next = [ConnectorError("request not understood", retryable=False)]
    run = world.play([ACCEPT, VERIFY_BY_HAND, DRAW_UP, SIGN])
    assert run.statuses == [1, 2, 4, 9, 10]
    assert run.completed
    assert [element for element, _, _ in run.steps] == ["tiep_nhan_ho_so", "xac_minh_thu_cong", "lap_phieu",
                                                        "ky_phieu"]
    assert world.records.calls == [CODE]  # not worth retrying
    assert world.sleeps == []
    assert run.data["loi_xac_minh"] == {"ma_loi": "xac_minh_khong_duoc", "ket_noi": "ly_lich_tu_phap.xac_minh",
                                        "so_lan_thu": 1, "ly_do": "rejected"}
    assert run.data["xac_minh"]["so_van_ban_tra_loi"] == "152/PC06-HSNV"


def test_retries_exhausted_take_the_manual_verification_path(world: World) -> None:
    world.records.controls.fail_next = [ConnectorTimeout() for _ in range(5)]
    run = world.play([ACCEPT, VERIFY_BY_HAND, DRAW_UP, SIGN])
    assert run.completed
    assert world.records.calls == [CODE] * 5
    assert run.data["loi_xac_minh"]["so_lan_thu"] == 5
    assert run.data["loi_xac_minh"]["ly_do"] == "timeout"


def test_signer_sends_back_then_signs(world: World) -> None:
    run = world.play([ACCEPT, DRAW_UP, SEND_BACK, DRAW_UP, SIGN])
    assert run.statuses == [1, 2, 4, 9, 10]
    assert [element for element, _, _ in run.steps] == ["tiep_nhan_ho_so", "lap_phieu", "ky_phieu", "lap_phieu",
                                                        "ky_phieu"]
    assert world.records.calls == [CODE]  # sending back does not verify again


def test_result_by_post_records_the_tracking_number(world: World) -> None:
    run = world.play([ACCEPT, DRAW_UP, SIGN], start="to-khai.buu-chinh")
    assert run.statuses == [1, 2, 4, 9, 10]
    assert run.completed
    number = run.data["van_don"]["ma_van_don"]
    assert is_tracking_number(number)
    assert run.data["van_don"] == {"ma_van_don": number, "cuoc_phi": 25000}
    shipment = world.post.shipments[number]
    assert shipment["nguoi_nhan"] == "Trần Thị Bình"
    assert shipment["dia_chi_nhan"]["dia_chi_chi_tiet"] == "Thôn Đông, số 21"
    # A student: 100,000 đồng, and 4 certificates add 2 x 5,000 for the third and fourth.
    assert run.data["phi_ly_lich_tu_phap"] == 110000
    tracking = world.engine.connectors.get("buu_chinh.tra_cuu")
    assert tracking is not None and tracking.call({"ma_van_don": number})["trang_thai"] == "da_nhan_gui"


def test_post_refusing_the_parcel_hands_the_result_over_at_the_desk(world: World) -> None:
    world.post.controls.fail_next = [ConnectorError("address outside the service area", retryable=False)]
    run = world.play([ACCEPT, DRAW_UP, SIGN, HAND_OVER], start="to-khai.buu-chinh")
    assert run.statuses == [1, 2, 4, 9, 10]
    assert run.completed
    assert run.steps[-1][:2] == ("tra_tai_quay", "tiep_nhan")
    assert run.data["loi_buu_chinh"]["ma_loi"] == "buu_chinh_loi"
    assert "van_don" not in run.data
    assert world.post.shipments == {}


def test_result_at_the_desk(world: World) -> None:
    data = sample("to-khai")
    world_start = {**data, "nhan_ket_qua": {"hinh_thuc": "tai_quay"}, "doi_tuong_phi": "mien_phi"}
    run = runner.play(world.engine, SLUG, [ACCEPT, DRAW_UP, SIGN, HAND_OVER], start=world_start,
                      context={"ma_ho_so": CODE, "kenh": 2})
    assert run.statuses == [1, 2, 4, 9, 10]
    assert run.completed
    assert run.data["phi_ly_lich_tu_phap"] == 0
    assert run.data["so_bien_lai"] == "LLTP-0000871"
