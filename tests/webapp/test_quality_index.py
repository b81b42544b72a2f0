"""The service-quality index: counted right from the dossiers, computed by a job, read by leaders."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from engine.runtime import VN_TZ
from engine.statuses import DossierStatus
from tests.conftest import DATA
from tests.webapp import jobs_support
from tests.webapp.conftest import Api
from tests.webapp.jobs_support import Workers, count, run_outbox_jobs, sign_in, wait_for
from tests.webapp.test_workspace import _csrf, _login
from webapp.accounts.models import Account, Unit
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import Document, Dossier, StepRecord
from webapp.extensions import db
from webapp.feedback.models import Rating
from webapp.outbox.models import OutboxMessage
from webapp.payments.models import Payment
from webapp.reports import routes as report_routes
from webapp.reports import service as quality
from webapp.reports.indicators import DossierFacts, Tally, add, scores
from webapp.reports.models import PROVINCE_SCOPE, QualitySnapshot

jobs_app, gateway, workers = jobs_support.jobs_app, jobs_support.gateway, jobs_support.workers  # fixtures

DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
JUNE = quality.Month.parse("2026-06")
COMPUTING = "Một công việc nền đang tính lại số liệu"


def at(day: int, month: int = 6) -> datetime:
    return datetime(2026, month, day, 9, 0, tzinfo=VN_TZ)


def _dossier(api: Api, app: Flask, *, channel: int, submitted: datetime, received: datetime | None,
             due: datetime | None, result: datetime | None = None, finished: datetime | None = None,
             fee: str | None = None, e_result: bool = False, score: int | None = None,
             unit: str | None = None, reused: bool = False) -> str:
    """A khai-sinh dossier, then its history rewritten to the given facts."""
    status, body = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    with app.app_context():
        dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == body["code"]))
        citizen = db.session.scalar(sa.select(Account).where(Account.username == "an"))
        dossier.channel, dossier.submitted_at, dossier.received_at, dossier.due_at = channel, submitted, received, due
        dossier.finished_at, dossier.reused_data = finished, reused
        if unit is not None:
            dossier.handling_unit_id = db.session.scalar(sa.select(Unit.id).where(Unit.code == unit))
        if result is not None:
            db.session.add(StepRecord(dossier_id=dossier.id, at=result, kind="status",
                                      status=DossierStatus.RESULT_READY))
        if fee is not None:
            db.session.add(StepRecord(dossier_id=dossier.id, at=submitted, kind="status",
                                      status=DossierStatus.PAYMENT_REQUESTED))
            db.session.add(Payment(dossier_id=dossier.id, due_task_id="t", element_id="e", fee_key="le_phi",
                                   amount=8000, txn_ref=f"T{dossier.id}", state=fee, requested_by_id=citizen.id))
        if e_result:
            db.session.add(Document(dossier_id=dossier.id, component="ket_qua", filename="kq.pdf",
                                    content_type="application/pdf", size=1, sha256="0" * 64, storage_key="k",
                                    uploaded_by_id=citizen.id))
        if score is not None:
            db.session.add(Rating(dossier_id=dossier.id, account_id=citizen.id, score=score))
        db.session.commit()
    return body["code"]


@pytest.fixture()
def june(api: Api, app: Flask) -> dict[str, str]:
    """Six dossiers whose June figures are worked out by hand below."""
    return {
        # filed online, prefilled, on time (2 days), electronic result, rated 5, paid its fee online
        "A": _dossier(api, app, channel=2, submitted=at(2), received=at(2), due=at(5), result=at(4),
                      fee="paid", e_result=True, score=5, reused=True),
        # filed online, result late (7 days), fee asked and never paid
        "B": _dossier(api, app, channel=2, submitted=at(3), received=at(3), due=at(5), result=at(10),
                      fee="requested"),
        # filed at the desk, still in progress at the month's end, due in July: on time
        "C": _dossier(api, app, channel=1, submitted=at(20), received=at(20), due=at(3, 7)),
        # filed in May, in progress, due mid-June: overdue at the month's end
        "D": _dossier(api, app, channel=1, submitted=at(20, 5), received=at(20, 5), due=at(15)),
        # filed online at another unit, on time (1 day) but rated unsatisfied
        "E": _dossier(api, app, channel=2, submitted=at(25), received=at(25), due=at(30), result=at(26),
                      score=1, unit="H41.CA"),
        # finished in April: not June's concern at all
        "F": _dossier(api, app, channel=2, submitted=at(1, 4), received=at(1, 4), due=at(3, 4), result=at(2, 4),
                      finished=at(3, 4)),
    }


def _compute_and_commit(period: str) -> int:
    written = quality.compute(period)
    db.session.commit()
    return written


def _figures(app: Flask, period: str, scope: str = PROVINCE_SCOPE) -> dict:
    with app.app_context():
        snapshot = db.session.scalar(sa.select(QualitySnapshot).where(
            QualitySnapshot.period == period, QualitySnapshot.scope == scope))
        assert snapshot is not None, f"no {scope} figures for {period}"
        return dict(snapshot.figures, final=snapshot.final)


def test_a_month_is_counted_from_its_dossiers(app: Flask, june: dict[str, str]) -> None:
    with app.app_context():
        assert quality.compute("2026-06") == 3  # the province and the two units that had dossiers
        db.session.commit()
        other_unit = db.session.scalar(sa.select(Unit.id).where(Unit.code == "H41.CA"))
    figures = _figures(app, "2026-06")
    assert figures == {
        "final": True,  # computed after June ended
        "ho_so_nop": 4,  # A, B, C, E
        "ho_so_co_ket_qua": 3,  # A, B, E
        "truc_tuyen": [3, 4],
        "tai_su_dung": [1, 4],  # A
        "thanh_toan_truc_tuyen": [1, 2],  # A paid online; B owed a fee and did not pay
        "dung_han": [3, 5],  # A and E on time, B late; C open and not due, D open and overdue
        "ket_qua_dien_tu": [1, 3],
        "hai_long": [1, 3],  # B late, E unsatisfied
        "thoi_gian_xu_ly_tb_ngay": round((2 + 7 + 1) / 3, 2),
    }
    unit = _figures(app, "2026-06", f"u{other_unit}")
    assert (unit["ho_so_nop"], unit["truc_tuyen"], unit["dung_han"], unit["hai_long"]) == (1, [1, 1], [1, 1], [0, 1])


def test_computing_again_replaces_the_figures(app: Flask, api: Api, june: dict[str, str]) -> None:
    with app.app_context():
        quality.compute("2026-06")
        db.session.commit()
    _dossier(api, app, channel=1, submitted=at(29), received=at(29), due=at(2, 7), result=at(30), e_result=True)
    with app.app_context():
        assert quality.compute("2026-06") == 3
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QualitySnapshot)) == 3
    figures = _figures(app, "2026-06")
    assert (figures["ho_so_nop"], figures["truc_tuyen"], figures["ket_qua_dien_tu"]) == (5, [3, 5], [2, 4])


def test_a_supplement_pause_is_not_late_while_the_month_runs() -> None:
    start, now = JUNE.start, at(20)
    paused = DossierFacts(unit_id=1, channel=2, status=DossierStatus.SUPPLEMENT_REQUESTED, submitted_at=at(2),
                          received_at=at(2), due_at=at(10), finished_at=None, result_at=None, fee_due=False,
                          paid_online=False, electronic_result=False, rated_unsatisfied=False)
    live, closed = Tally(), Tally()
    add(live, paused, start=start, cutoff=now, live=True)
    add(closed, paused, start=start, cutoff=JUNE.end, live=False)  # at the month's end its status is not known
    assert live.counts["dung_han"] == [1, 1]
    assert closed.counts["dung_han"] == [0, 1]


def test_points_are_proportional_below_the_threshold() -> None:
    by_key = {s.indicator.key: s for s in scores({"truc_tuyen": [1, 4], "thanh_toan_truc_tuyen": [9, 10]})}
    assert by_key["truc_tuyen"].points_share == pytest.approx(0.25 / 0.5)
    assert by_key["thanh_toan_truc_tuyen"].points_share == 1.0  # 90% is past the 80% threshold
    assert by_key["dung_han"].rate is None and by_key["dung_han"].points_share is None


def test_beat_finishes_last_month_once_then_keeps_this_month_fresh(app: Flask, june: dict[str, str]) -> None:
    with app.app_context():
        assert quality.refresh(now=at(20)) == ["2026-05", "2026-06"]
        db.session.commit()
        assert quality.refresh(now=at(21)) == ["2026-06"]  # May's figures were final already
        db.session.commit()
    assert _figures(app, "2026-05")["final"] is True
    assert _figures(app, "2026-06")["final"] is False
    with app.app_context():
        assert quality.refresh(now=at(2, 7)) == ["2026-06", "2026-07"]  # June had only live figures
        db.session.commit()
        assert quality.refresh(now=at(3, 7)) == ["2026-07"]
        db.session.commit()
    assert _figures(app, "2026-06")["final"] is True


@pytest.mark.parametrize("period", ["2026-13", "26-06", "june", "", "2026-06; drop"])
def test_a_malformed_month_is_refused(app: Flask, period: str) -> None:
    with app.app_context(), pytest.raises(quality.PeriodError):
        quality.compute(period)


def test_a_month_that_has_not_begun_is_refused(app: Flask) -> None:
    with app.app_context(), pytest.raises(quality.PeriodError, match="not begun"):
        quality.compute("2026-08", now=at(20, 7))


def test_only_leaders_and_administrators_read_the_index(client: FlaskClient, seeded: dict[str, str]) -> None:
    _login(client, "tiepnhan")
    assert client.get("/can-bo/chi-so-chat-luong").status_code == 403
    assert client.post("/can-bo/chi-so-chat-luong/tinh-lai",
                       data={"csrf_token": _csrf(client.get("/can-bo/").get_data(as_text=True)),
                                             "thang": "2026-06"}).status_code == 403
    _login(client, "lanhdao")
    assert client.get("/can-bo/chi-so-chat-luong").status_code == 200
    assert "Chỉ số chất lượng phục vụ" in client.get("/can-bo/").get_data(as_text=True)


def test_a_leader_asks_for_a_recompute_and_the_job_fills_the_page(client: FlaskClient, app: Flask,
                                                                   june: dict[str, str]) -> None:
    _login(client, "lanhdao")
    page = client.get("/can-bo/chi-so-chat-luong?thang=2026-06").get_data(as_text=True)
    assert "Chưa có số liệu cho tháng này." in page
    token = _csrf(page)
    for _click in range(2):  # a double click asks once
        response = client.post("/can-bo/chi-so-chat-luong/tinh-lai", data={"csrf_token": token, "thang": "2026-06"})
        assert response.status_code == 302
    with app.app_context():
        asked = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.job == "stats.compute")).all()
        assert [m.payload for m in asked] == [{"period": "2026-06"}]
        audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "quality.recompute_requested"))
        assert audit is not None and audit.detail == {"period": "2026-06"}
    assert COMPUTING in client.get("/can-bo/chi-so-chat-luong?thang=2026-06").get_data(as_text=True)

    assert run_outbox_jobs(app, "stats.compute", _compute_and_commit) == [3]
    page = client.get("/can-bo/chi-so-chat-luong?thang=2026-06").get_data(as_text=True)
    assert COMPUTING not in page
    assert "75.0% <span class=\"hint\">(3/4)</span>" in page  # filed online
    assert "60.0% <span class=\"hint\">(3/5)</span>" in page  # on time
    assert "3.3 ngày" in page


def test_the_units_are_paginated(client: FlaskClient, app: Flask, june: dict[str, str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        quality.compute("2026-06")
        db.session.commit()
        names = sorted(db.session.scalars(sa.select(Unit.name).join(
            QualitySnapshot, QualitySnapshot.unit_id == Unit.id)))
    monkeypatch.setattr(report_routes, "PER_PAGE", 1)
    _login(client, "lanhdao")
    first = client.get("/can-bo/chi-so-chat-luong?thang=2026-06").get_data(as_text=True)
    second = client.get("/can-bo/chi-so-chat-luong?thang=2026-06&page=2").get_data(as_text=True)
    assert "1/2" in first and names[0] in first and names[1] not in first.split("Theo đơn vị")[1]
    assert "2/2" in second and names[1] in second.split("Theo đơn vị")[1]


@pytest.mark.parametrize(("asked", "message"), [("2026-13", "Tháng không hợp lệ"), ("2999-01", "chưa bắt đầu")])
def test_a_bad_month_on_the_page_says_so_and_shows_this_month(client: FlaskClient, seeded: dict[str, str],
                                                              asked: str, message: str) -> None:
    _login(client, "lanhdao")
    page = client.get(f"/can-bo/chi-so-chat-luong?thang={asked}").get_data(as_text=True)
    this = quality.Month.current().period
    assert message in page and f"tháng {this}" in page


def test_metrics_carry_this_months_rates(client: FlaskClient, app: Flask, api: Api) -> None:
    now = quality.utcnow()
    _dossier(api, app, channel=2, submitted=now - timedelta(minutes=5), received=None, due=None)
    assert "motcua_quality_rate{" not in client.get("/metrics").get_data(as_text=True)
    with app.app_context():
        quality.compute(quality.Month.of(now).period)
        db.session.commit()
    assert 'motcua_quality_rate{indicator="truc_tuyen"} 1.0' in client.get("/metrics").get_data(as_text=True)


def test_a_real_worker_computes_what_the_leader_asked_for(jobs_app: Flask, app: Flask, june: dict[str, str],
                                                           workers: Workers) -> None:
    client = jobs_app.test_client()
    token = sign_in(client, "lanhdao")
    assert client.post("/can-bo/chi-so-chat-luong/tinh-lai",
                       data={"csrf_token": token, "thang": "2026-06"}).status_code == 302
    worker = workers.start()
    wait_for(lambda: count(app, QualitySnapshot, QualitySnapshot.period == "2026-06") == 3,
             "the worker to store June's figures", alive=worker)
    wait_for(lambda: count(app, OutboxMessage, OutboxMessage.job == "stats.compute",
                           OutboxMessage.completed_at.is_not(None)) == 1, "the job's done mark", alive=worker)
    assert _figures(app, "2026-06")["dung_han"] == [3, 5]
    assert COMPUTING not in client.get("/can-bo/chi-so-chat-luong?thang=2026-06").get_data(as_text=True)
