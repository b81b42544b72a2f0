"""Province overlays: a province changes fees, deadlines, components and units of a library
procedure without editing it, and only within what a province may change."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from engine import cli
from engine.package import PackageSource, read_package
from engine.problems import PackageInvalid
from engine.runtime import Engine
from tests.conftest import REPO, library_package
from tests.engine import procedure_runner as runner
from tests.engine.procedure_runner import MONDAY_9AM

HKD = "dang-ky-ho-kinh-doanh"


def _overlay(slug: str = HKD, **changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "procedure": slug,
        "province": {"code": "T99", "name": {"vi": "tỉnh Thử Nghiệm"}},
        "legal_basis": [{"ref": "01/2026/NQ-HĐND", "title": "Nghị quyết thử nghiệm"}],
    }
    return {**base, **changes}


def _with_overlay(overlay: dict[str, Any] | bytes, slug: str = HKD, path: str | None = None) -> PackageSource:
    files = dict(library_package(slug).files)
    data = overlay if isinstance(overlay, bytes) else yaml.safe_dump(overlay, allow_unicode=True).encode()
    files[path or f"overlays/T99/{slug}.yaml"] = data
    return PackageSource(slug, files)


def _problems(engine: Engine, source: PackageSource) -> list[tuple[str, dict[str, Any]]]:
    with pytest.raises(PackageInvalid) as caught:
        engine.load(source)
    return [(p.code, p.params) for p in caught.value.problems]


def _fee(engine: Engine, source: PackageSource, channel: str) -> int:
    data = runner.sample(HKD, "to-khai")
    data["kenh_nop"] = channel
    instance, _ = engine.start(engine.load(source), data, now=MONDAY_9AM)
    return instance.data["le_phi"]


def test_fee_and_deadline_changes_reach_the_catalogue_and_the_charge(engine: Engine) -> None:
    source = _with_overlay(_overlay(
        fees={"le_phi_dang_ky_ho_kinh_doanh": {"amount": 80_000, "online_amount": 0}},
        processing_time={"amount": 2}))
    metadata = engine.load(source).metadata
    (fee,) = metadata["fees"]
    assert (fee["amount"], fee["online_amount"]) == (80_000, 0)
    assert metadata["processing_time"]["amount"] == 2
    assert metadata["processing_time"]["unit"] == "working_days"  # untouched parts stay
    assert metadata["overlay"]["province"]["code"] == "T99"
    assert metadata["legal_basis"][-1]["ref"] == "01/2026/NQ-HĐND"
    # The decision table reads the amounts, so the province's amounts are what is charged.
    assert _fee(engine, source, "truc_tuyen") == 0
    assert _fee(engine, source, "truc_tiep") == 80_000
    assert _fee(engine, library_package(HKD), "truc_tuyen") == 50_000  # the shared package is unchanged


def test_the_overlay_is_part_of_the_version(engine: Engine) -> None:
    plain = library_package(HKD)
    one = _with_overlay(_overlay(processing_time={"amount": 2}))
    other = _with_overlay(_overlay(processing_time={"amount": 1}))
    assert len({plain.content_hash, one.content_hash, other.content_hash}) == 3


def test_optional_components_can_be_dropped_and_lanes_rerouted(engine: Engine) -> None:
    source = _with_overlay(_overlay(
        "chung-thuc-ban-sao", omit_components=["ban_chup"],
        lanes={"tiep_nhan": {"unit": "unit_code", "unit_code": "T99.01"}}), slug="chung-thuc-ban-sao")
    metadata = engine.load(source).metadata
    assert "ban_chup" not in [c["key"] for c in metadata["components"]]
    assert "ban_chinh" in [c["key"] for c in metadata["components"]]
    lane = metadata["lanes"]["tiep_nhan"]
    assert (lane["unit"], lane["unit_code"], lane["role"]) == ("unit_code", "T99.01", "tiep_nhan")


def test_what_a_province_may_not_do_is_reported_all_at_once(engine: Engine) -> None:
    source = _with_overlay(_overlay(
        fees={"le_phi_khong_co": {"amount": 1}, "le_phi_dang_ky_ho_kinh_doanh": {"online_amount": 200_000}},
        processing_time={"amount": 10},
        omit_components=["giay_de_nghi", "khong_co"],
        lanes={"cong_an": {"unit": "receiving"}}))
    codes = sorted(code for code, _ in _problems(engine, source))
    assert codes == sorted([
        "overlay_unknown_fee", "overlay_online_above_amount", "overlay_longer_deadline",
        "overlay_required_component", "overlay_unknown_component", "overlay_unknown_lane"])


def test_an_overlay_must_name_its_procedure_and_sit_in_its_province_folder(engine: Engine) -> None:
    wrong = _with_overlay(_overlay(procedure="khai-sinh"), path="overlays/X00/dang-ky-ho-kinh-doanh.yaml")
    codes = {code for code, _ in _problems(engine, wrong)}
    assert codes == {"overlay_wrong_procedure", "overlay_wrong_folder"}


@pytest.mark.parametrize(("data", "code"), [
    (b"procedure: [unclosed", "overlay_unreadable"),
    (b"- a list\n", "overlay_unreadable"),
    (b"a: &x 1\nb: *x\n", "overlay_unreadable"),  # no YAML aliases (billion-laughs bombs)
    (yaml.safe_dump(_overlay(legal_basis=[])).encode(), "overlay_invalid"),  # every change cites a decision
    (yaml.safe_dump(_overlay(fees={"le_phi_dang_ky_ho_kinh_doanh": {"amount": -5}})).encode(), "overlay_invalid"),
    (yaml.safe_dump(_overlay(deadline=3)).encode(), "overlay_invalid"),  # an unknown key is not ignored
])
def test_a_malformed_overlay_is_refused_with_a_clear_problem(engine: Engine, data: bytes, code: str) -> None:
    problems = _problems(engine, _with_overlay(data))
    assert problems and {c for c, _ in problems} == {code}


def test_two_overlays_in_one_package_are_refused(engine: Engine) -> None:
    source = _with_overlay(_overlay())
    files = dict(source.files)
    files["overlays/T98/dang-ky-ho-kinh-doanh.yaml"] = files["overlays/T99/dang-ky-ho-kinh-doanh.yaml"]
    assert [code for code, _ in _problems(engine, PackageSource(HKD, files))] == ["overlay_several"]


def test_reading_for_a_province_picks_up_its_overlay_only() -> None:
    folder = REPO / "bpmn" / HKD
    assert "overlays/H41/dang-ky-ho-kinh-doanh.yaml" in read_package(folder, "H41").files
    assert not [p for p in read_package(folder).files if p.startswith("overlays/")]
    assert not [p for p in read_package(folder, "X00").files if p.startswith("overlays/")]


def test_the_shipped_demo_overlays_apply(engine: Engine) -> None:
    metadata = engine.load(read_package(REPO / "bpmn" / HKD, "H41")).metadata
    assert metadata["fees"][0]["online_amount"] == 0
    assert metadata["processing_time"]["amount"] == 2


def _library_copy(tmp_path: Path, overlay: dict[str, Any]) -> Path:
    for folder in ("bpmn", "forms"):
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and (folder == "forms" or path.parent.name == HKD):
                target = tmp_path / path.relative_to(REPO)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
    target = tmp_path / "overlays" / "T99" / f"{HKD}.yaml"
    target.parent.mkdir(parents=True)
    target.write_text(yaml.safe_dump(overlay, allow_unicode=True), "utf-8")
    return tmp_path / "bpmn"


def test_validate_checks_every_province_overlay(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    library = _library_copy(tmp_path, _overlay(processing_time={"amount": 9}))
    assert cli.main(["validate", str(library)]) == 1
    out = capsys.readouterr().out
    assert f"{HKD}: OK" in out
    assert f"{HKD}@T99: 1 problem(s)" in out
    assert "overlays/T99/dang-ky-ho-kinh-doanh.yaml" in out
