"""The ``motcua`` command: validate and play, with their exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from engine.cli import main
from tests.conftest import DATA, REPO

SAMPLES = sorted(str(p) for p in (DATA / "samples" / "khai-sinh").glob("*.json"))


def test_validate_the_library_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(REPO / "bpmn")]) == 0
    assert "khai-sinh: OK" in capsys.readouterr().out


def test_validate_a_broken_package_exits_1_with_every_problem(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(DATA / "broken" / "bpmn" / "ngo-cut")]) == 1
    out = capsys.readouterr().out
    assert "2 problem(s)" in out and "[tiep_nhan]" in out and "[xong]" in out


def test_validate_json_output_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "en", "validate", str(DATA / "broken" / "bpmn" / "connector-la"), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    (problem,) = report["connector-la"]
    assert problem["element"] == "tra_cuu" and problem["code"] == "connector_unknown"
    assert "connector" in problem["message"]


def test_validate_a_folder_that_does_not_exist_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(REPO / "bpmn" / "khong-co")]) == 1
    assert "error:" in capsys.readouterr().out


def test_play_khai_sinh_prints_each_step_and_finishes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["play", str(REPO / "bpmn" / "khai-sinh"), "--data", *SAMPLES]) == 0
    out = capsys.readouterr().out
    steps = [line.split("]")[0].split("[")[1] for line in out.splitlines() if line.startswith("→")]
    assert steps == ["tiep_nhan", "chuyen_vien_ho_tich", "lanh_dao", "tiep_nhan"]
    assert "status 10" in out and "hoàn thành" in out


def test_play_pays_a_fee_when_the_procedure_waits_for_one(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    late = tmp_path / "to-khai.json"
    late.write_text(json.dumps({**json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8")),
                                "doi_tuong_uu_tien": False}), "utf-8")
    others = [s for s in SAMPLES if not s.endswith("to-khai.json")]
    assert main(["play", str(REPO / "bpmn" / "khai-sinh"), "--data", str(late), *others]) == 0
    out = capsys.readouterr().out
    assert "→ [cong_dan] Nộp lệ phí: 8.000 đ" in out
    assert out.index("status 6") < out.index("[chuyen_vien_ho_tich]") and "hoàn thành" in out


def test_play_stops_with_exit_2_when_data_runs_out(capsys: pytest.CaptureFixture[str]) -> None:
    start_only = [s for s in SAMPLES if s.endswith("to-khai.json")]
    assert main(["play", str(REPO / "bpmn" / "khai-sinh"), "--data", *start_only]) == 2
    assert "Tiếp nhận hồ sơ [tiep_nhan]" in capsys.readouterr().out


def test_play_reports_invalid_sample_data(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "to-khai.json"
    bad.write_text(json.dumps({"tre_em": {}}), "utf-8")
    assert main(["play", str(REPO / "bpmn" / "khai-sinh"), "--data", str(bad)]) == 1
    assert "tre_em.ho_ten" in capsys.readouterr().out


def test_lang_goes_before_or_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    broken = str(DATA / "broken" / "bpmn" / "connector-la")
    outputs = {}
    for name, argv in {"before": ["--lang", "en", "validate", broken], "after": ["validate", "--lang", "en", broken],
                       "default": ["validate", broken]}.items():
        assert main(argv) == 1
        outputs[name] = capsys.readouterr().out
    assert outputs["before"] == outputs["after"] != outputs["default"]
    assert "calls the connector" in outputs["after"] or "connector 'ngan_hang" in outputs["after"]
    assert "Tác vụ dịch vụ gọi kết nối" in outputs["default"]



def test_play_takes_lang_before_or_after_the_command(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "to-khai.json"
    bad.write_text(json.dumps({"tre_em": {}}), "utf-8")
    for argv in (["--lang", "en", "play"], ["play", "--lang", "en"]):
        assert main([*argv, str(REPO / "bpmn" / "khai-sinh"), "--data", str(bad)]) == 1
        assert "  ! doi_tuong_uu_tien: Enter " in capsys.readouterr().out
    assert main(["play", str(REPO / "bpmn" / "khai-sinh"), "--data", str(bad)]) == 1
    assert "  ! doi_tuong_uu_tien: Vui lòng nhập " in capsys.readouterr().out


def test_validate_paths_prints_the_coverage_and_the_flow_never_taken(capsys: pytest.CaptureFixture[str]) -> None:
    folder = DATA / "paths" / "bpmn" / "dieu-kien-sai"
    assert main(["validate", "--paths", "--lang", "en", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "dieu-kien-sai: 1 problem(s), paths: 4/5 flows taken (80%)" in out
    assert "  - bpmn/dieu-kien-sai/process.bpmn [tu_choi]: No dossier can ever finish at 'Từ chối'." in out
    assert "  ~ bpmn/dieu-kien-sai/process.bpmn [f_c]: The flow 'Loại không có trong tờ khai'" in out
    assert main(["validate", "--paths", str(folder)]) == 1
    assert "đường đi: 4/5 luồng đã đi qua (80%)" in capsys.readouterr().out


def test_validate_paths_refuses_a_step_nobody_can_act_on(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "en", "validate", "--paths", str(DATA / "paths" / "bpmn" / "lan-khong-ai")]) == 1
    out = capsys.readouterr().out
    assert "[phe_duyet]: A dossier would wait at 'Phê duyệt' with nobody able to act" in out


def test_validate_paths_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--paths", "--json", str(DATA / "paths" / "bpmn")]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["dieu-kien-sai"]["coverage"] == {"taken": 4, "total": 5}
    assert [w["element"] for w in report["dieu-kien-sai"]["warnings"]] == ["f_c"]
    assert [p["code"] for p in report["lan-khong-ai"]["problems"]] == ["path_nobody_can_act"]


def test_validate_paths_on_the_library_covers_every_flow(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--paths", "--lang", "en", str(REPO / "bpmn")]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line and not line.startswith(" ")]
    assert lines and all(line.endswith("flows taken (100%)") and ": OK, paths: " in line for line in lines)


def test_console_script_is_installed() -> None:
    exe = REPO / ".venv" / "bin" / "motcua"
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "engine.cli"]
    result = subprocess.run([*command, "validate", str(REPO / "bpmn" / "khai-sinh")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
