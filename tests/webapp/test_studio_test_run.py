"""The studio's test run: a designer plays khai-sinh as each lane on a scratch copy; no dossier appears."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import orjson
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import DATA
from tests.webapp.test_portal import _posted
from tests.webapp.test_workspace import _login
from webapp.audit.models import AuditEntry
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.studio.diagram import read_layout

REPO = Path(__file__).resolve().parents[2]


def _remember_samples(app: Flask) -> None:
    """As if the designer had typed the sample answers in an earlier test run of khai-sinh."""
    folder = app.config["MOTCUA_SETTINGS"].data_dir / "studio-runs"
    folder.mkdir(parents=True, exist_ok=True)
    samples = {f"khai-sinh/{path.name.split('.')[0]}.schema.json": json.loads(path.read_text("utf-8"))
               for path in (DATA / "samples" / "khai-sinh").glob("*.json") if path.name.count(".") == 1}
    (folder / "samples-khai-sinh.json").write_bytes(orjson.dumps(samples))


def _dossier_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Dossier))


def test_only_designers_run_tests(client: FlaskClient, seeded: dict) -> None:
    _login(client, "tiepnhan")
    assert client.get("/thiet-ke/khai-sinh/phien-ban/1/chay-thu").status_code == 403


def test_a_designer_plays_every_lane_to_the_end_without_touching_dossiers(
        app: Flask, client: FlaskClient, seeded: dict) -> None:
    _remember_samples(app)
    dossiers_before = _dossier_count(app)
    _login(client, "thietke")
    start = client.get("/thiet-ke/khai-sinh/phien-ban/1/chay-thu").get_data(as_text=True)
    assert "Trần Minh An" in start  # the declaration starts from the remembered sample
    response = client.post("/thiet-ke/khai-sinh/phien-ban/1/chay-thu", data=_posted(start))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    run_url = response.headers["Location"]

    page = client.get(run_url).get_data(as_text=True)
    doc = lxml.html.fromstring(page)
    assert doc.cssselect("svg.bpmn-diagram .bpmn-node.is-done")  # the start event is behind us
    current = doc.cssselect("svg.bpmn-diagram .bpmn-node.is-current")
    assert current, "the step waiting now is marked on the diagram"
    lanes_seen: list[str] = []
    for _ in range(12):
        doc = lxml.html.fromstring(page)
        if doc.cssselect("button[name=thanh_toan]"):
            token = doc.cssselect("input[name=csrf_token]")[0].get("value")
            assert client.post(run_url, data={"csrf_token": token, "thanh_toan": "1"}).status_code == 302
        elif doc.cssselect("input[name=buoc]"):
            lanes_seen.append(doc.cssselect("h3")[0].text_content())
            answer = client.post(run_url, data=_posted(page))
            assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]
        else:
            break
        page = client.get(run_url).get_data(as_text=True)
    assert "Quy trình đã chạy đến cuối." in page
    assert len(lanes_seen) >= 3  # desk, specialist, leader at least, each as its own role
    assert lxml.html.fromstring(page).cssselect("svg.bpmn-diagram .bpmn-node.is-done")
    assert _dossier_count(app) == dossiers_before  # a scratch copy, never a dossier
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "studio.test_run_started")) >= 1


def test_a_bad_answer_is_shown_and_changes_nothing(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _remember_samples(app)
    _login(client, "thietke")
    start = client.get("/thiet-ke/khai-sinh/phien-ban/1/chay-thu").get_data(as_text=True)
    run_url = client.post("/thiet-ke/khai-sinh/phien-ban/1/chay-thu", data=_posted(start)).headers["Location"]
    page = client.get(run_url).get_data(as_text=True)
    fields = {k: v for k, v in _posted(page).items() if not k.startswith("f.")}
    wrong = client.post(run_url, data=fields)  # the step's required answers left out
    assert wrong.status_code == 422
    assert lxml.html.fromstring(wrong.get_data(as_text=True)).cssselect(".error-summary a")
    assert client.get(run_url).get_data(as_text=True).count('name="buoc"') == 1  # still the same step


def test_someone_elses_or_unknown_run_is_not_found(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _remember_samples(app)
    _login(client, "thietke")
    start = client.get("/thiet-ke/khai-sinh/phien-ban/1/chay-thu").get_data(as_text=True)
    run_url = client.post("/thiet-ke/khai-sinh/phien-ban/1/chay-thu", data=_posted(start)).headers["Location"]
    token = run_url.rsplit("/", 1)[-1]
    path = app.config["MOTCUA_SETTINGS"].data_dir / "studio-runs" / f"{token}.json"
    run = orjson.loads(path.read_bytes())
    path.write_bytes(orjson.dumps({**run, "owner": run["owner"] + 999}))
    assert client.get(run_url).status_code == 404
    assert client.get("/thiet-ke/chay-thu/../../etc").status_code == 404
    assert client.get("/thiet-ke/chay-thu/khong-co").status_code == 404


def test_the_diagram_layout_is_read_from_bpmn_di() -> None:
    shapes, edges = read_layout((REPO / "bpmn" / "khai-sinh" / "process.bpmn").read_bytes())
    kinds = {s.kind for s in shapes}
    assert {"lane", "userTask", "startEvent", "endEvent"} <= kinds
    assert all(len(e.points) >= 2 for e in edges) and edges
