"""`motcua` administration commands on a fresh embedded database."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.cli import main


@pytest.fixture()
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("MOTCUA_DATABASE_URL", "MOTCUA_TEST_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    assert main(["db", "upgrade"]) == 0
    return tmp_path


def test_sqlite_file_lands_in_the_data_dir(fresh: Path) -> None:
    assert (fresh / "motcua.db").exists()


def test_demo_seed_is_idempotent_and_prints_tokens(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "seed"]) == 0
    assert main(["demo", "seed"]) == 0
    out = capsys.readouterr().out
    assert out.count(" an ") == 2 and "mc_" in out
    assert main(["accounts", "list"]) == 0
    listing = capsys.readouterr().out
    assert listing.count("tiepnhan ") == 1 and "tiep_nhan@H41.01.01" in listing


def test_procedures_load_list_publish(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["procedures", "load", "--no-publish"]) == 0
    assert "khai-sinh: version 1 stored" in capsys.readouterr().out
    assert main(["procedures", "list"]) == 0
    assert "draft" in capsys.readouterr().out
    assert main(["procedures", "publish", "khai-sinh", "1"]) == 0
    assert main(["procedures", "list"]) == 0
    assert "current" in capsys.readouterr().out
    assert main(["procedures", "publish", "khai-sinh", "9"]) == 1
    assert main(["procedures", "load"]) == 0
    assert "already stored" in capsys.readouterr().out


def test_units_accounts_grant_and_token(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["units", "add", "X99", "Ủy ban nhân dân xã Thử", "commune"]) == 0
    assert main(["units", "add", "X99", "again", "commune"]) == 1
    assert main(["units", "add", "X98", "Wrong kind", "planet"]) == 1
    assert main(["accounts", "add", "hoa", "Lê Thị Hoa", "officer"]) == 0
    assert main(["accounts", "grant", "hoa", "X99", "tiep_nhan"]) == 0
    assert main(["accounts", "grant", "hoa", "NOPE", "tiep_nhan"]) == 1
    assert main(["accounts", "add", "lan", "Lan", "citizen", "--identity", "123"]) == 1
    capsys.readouterr()
    assert main(["create-token", "--user", "hoa"]) == 0
    assert capsys.readouterr().out.strip().startswith("mc_")
    assert main(["create-token", "--user", "nobody"]) == 1


def test_engine_commands_still_work(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "bpmn/khai-sinh"]) == 0
    assert "khai-sinh: OK" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--lang", "en", "validate", "--paths"], ["validate", "--lang", "en", "--paths"]])
def test_engine_commands_take_lang_before_or_after(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "bpmn/khai-sinh"]) == 0
    assert "khai-sinh: OK, paths: 23/23 flows taken (100%)" in capsys.readouterr().out


def test_officer_password_from_standard_input(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    assert main(["accounts", "add", "hoa", "Lê Thị Hoa", "officer"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("ngan\n"))
    assert main(["accounts", "password", "hoa"]) == 1  # too short
    monkeypatch.setattr("sys.stdin", io.StringIO("mot-mat-khau-du-dai\n"))
    assert main(["accounts", "password", "hoa"]) == 0
    assert main(["accounts", "password", "khong-co"]) == 1


def test_quality_compute_prints_the_province_and_refuses_a_bad_month(fresh: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["quality", "compute", "--month", "2026-06"]) == 0
    out = capsys.readouterr().out
    assert "2026-06: 0 unit(s) and the province computed" in out
    assert "truc_tuyen" in out and "full points at 50%" in out
    assert main(["quality", "compute", "--month", "2026-6"]) == 2
    assert "month must look like 2026-12" in capsys.readouterr().out
