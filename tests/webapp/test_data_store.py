"""The citizen data store (kho dữ liệu) in the web app: the issued result is pushed once by the job
``result.store``; the attachments page offers what the store holds and copies a chosen document
like an upload; a store that fails or hangs costs the page nothing but a notice."""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Iterator
from typing import Any

import lxml.html
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from engine.connectors import ConnectorError, RetryPolicy
from engine.connectors.http import HttpConnector
from fakes.controls import FakeControls
from fakes.data_store import FakeDataStore
from tests.conftest import SECRET
from tests.webapp import jobs_support
from tests.webapp.conftest import Api
from tests.webapp.jobs_support import Workers, wait_for
from tests.webapp.test_attachments import _with_draft
from tests.webapp.test_portal import PDF, _token, attach
from tests.webapp.test_result_pdf import _approved, _run_signing_jobs
from webapp.audit.models import AuditEntry
from webapp.connectors import configure
from webapp.dossiers import documents
from webapp.dossiers.models import Document
from webapp.extensions import db
from webapp.outbox.failures import record_failure
from webapp.outbox.models import FailedJob, OutboxMessage
from webapp.portal.models import DraftAttachment
from webapp.results import store as result_store
from webapp.results.jobs import store_result
from webapp.settings import Settings

jobs_app, gateway, workers = jobs_support.jobs_app, jobs_support.gateway, jobs_support.workers  # fixtures
AN, BINH = "001090000001", "001092000002"
PAGE = "/thu-tuc/khai-sinh/giay-to"


@pytest.fixture
def kho(app: Flask, seeded: dict) -> Iterator[FakeDataStore]:
    """The app's fake store, empty, answering normally; as it was after the test."""
    connectors = app.extensions["motcua_engine"].connectors
    fake = connectors.get("kho_du_lieu.luu_giay_to").store
    assert fake.folder == app.config["MOTCUA_SETTINGS"].data_store_dir  # files every process shares
    assert all(connectors.get(n).store is fake for n in ("kho_du_lieu.lay_giay_to", "kho_du_lieu.tai_giay_to"))
    fake.controls = FakeControls()
    fake.clear()
    fake.calls.clear()
    yield fake
    fake.controls.release.set()  # a call a test left hanging ends now
    fake.controls = FakeControls()


def _put(kho: FakeDataStore, data: bytes, *, owner: str = AN, name: str = "Giấy khai sinh",
         form: str = "pdf", dossier: str = "H41.01-20250101-0000001") -> str:
    return kho.store({"so_dinh_danh": owner, "ma_ho_so": dossier, "ten_giay_to": name, "loai_giay_to": "1.001193",
                      "dinh_dang": form, "ma_bam": hashlib.sha256(data).hexdigest(),
                      "noi_dung_base64": base64.b64encode(data).decode()})["ma_luu_tru"]


def _store_jobs(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.job == "result.store")
                                  .order_by(OutboxMessage.id)).all()
        db.session.expunge_all()
        return list(rows)


def _push(app: Flask, job: OutboxMessage) -> str | None:
    """What the worker does for a ``result.store`` row, here and now: the job's own body."""
    with app.app_context():
        return store_result.run(outbox_id=job.id, **job.payload)


def _issued(api: Api, app: Flask) -> tuple[str, int, OutboxMessage]:
    code = _approved(api)
    (document_id,) = _run_signing_jobs(app)
    assert _run_signing_jobs(app) == [document_id]  # the signing job delivered twice enqueues no second push
    (job,) = _store_jobs(app)
    assert job.payload["document_id"] == document_id
    return code, document_id, job


def test_the_issued_result_is_pushed_once_even_when_the_job_runs_twice(api: Api, app: Flask,
                                                                      kho: FakeDataStore) -> None:
    code, document_id, job = _issued(api, app)
    first = _push(app, job)
    again = _push(app, job)  # delivered again, e.g. after a lost ack
    assert first == again and first is not None
    assert kho.count() == 1 and kho.calls.count("luu_giay_to") == 1  # the second run found it done, asked nothing
    listed = kho.list_({"so_dinh_danh": AN})["giay_to"]
    with app.app_context():
        document = db.session.get(Document, document_id)
        assert [(d["ma_luu_tru"], d["ma_bam"], d["kich_thuoc"]) for d in listed] == [
            (first, document.sha256, document.size)]
        assert code in listed[0]["ten_giay_to"] and listed[0]["loai_giay_to"] == "1.001193"
        stored = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "dossier.result_stored")).all()
        assert [(e.object_id, e.detail["ma_luu_tru"], e.actor_id) for e in stored] == [(str(document_id), first, None)]
        assert AN not in str(stored[0].detail)  # the audit names the document, never its owner's number
        assert result_store.pushed(document_id) == first
    assert base64.b64decode(kho.fetch({"so_dinh_danh": AN, "ma_luu_tru": first})["noi_dung_base64"]).startswith(b"%PDF")


def test_a_push_whose_answer_was_lost_is_not_stored_twice(api: Api, app: Flask, kho: FakeDataStore,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The store took the document, but the job died before recording it: the rerun gets the same id."""
    _, document_id, job = _issued(api, app)

    def die(*args: object, **kwargs: object) -> None:
        raise RuntimeError("worker killed after the store answered")

    with monkeypatch.context() as patched:  # the audit log is append-only: the record never commits instead
        patched.setattr(result_store, "record", die)
        with pytest.raises(RuntimeError):
            _push(app, job)
    with app.app_context():
        db.session.rollback()
        assert result_store.pushed(document_id) is None
    first = _push(app, job)
    assert first is not None and _push(app, job) == first
    assert kho.count() == 1 and kho.calls.count("luu_giay_to") == 2


def test_an_unavailable_store_is_retried_by_the_job(api: Api, app: Flask, kho: FakeDataStore,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    _, document_id, job = _issued(api, app)
    monkeypatch.setattr(app.extensions["motcua_engine"].connectors.get("kho_du_lieu.luu_giay_to"), "retry",
                        RetryPolicy(attempts=2, backoff=0.0))  # the test does not wait out the backoff
    kho.controls.fail_next = [ConnectorError("HTTP 503 from luu_giay_to", retryable=True) for _ in range(2)]
    with pytest.raises(ConnectorError) as caught:
        _push(app, job)
    assert caught.value.retryable and ConnectorError in store_result.autoretry_for  # Celery's backoff takes over
    assert kho.count() == 0
    with app.app_context():
        assert result_store.pushed(document_id) is None
    assert _push(app, job) is not None and kho.count() == 1


def test_a_refusal_fails_the_job_for_good_with_a_redacted_message(api: Api, app: Flask,
                                                                   kho: FakeDataStore) -> None:
    _, document_id, job = _issued(api, app)
    kho.controls.fail_next = [ConnectorError(f"so_dinh_danh {AN} unknown", retryable=False, reason="invalid_id")]
    with pytest.raises(result_store.StoreRefused) as caught:
        _push(app, job)
    assert not isinstance(caught.value, ConnectorError)  # so Celery does not retry it
    assert "kho_du_lieu_sai_dinh_danh" in str(caught.value) and AN not in str(caught.value)
    with app.app_context():
        db.session.rollback()
        record_failure(outbox_id=job.id, job="result.store", error=caught.value, attempts=1)
        db.session.commit()
        failed = db.session.scalar(sa.select(FailedJob).where(FailedJob.outbox_id == job.id))
        assert failed.error_class == "StoreRefused" and "sai_dinh_danh" in failed.error_message
        assert AN not in failed.error_message and result_store.pushed(document_id) is None
    assert kho.count() == 0 and kho.calls == ["luu_giay_to"]  # one try: a refusal is not retried


def test_a_result_of_an_applicant_without_identity_number_is_not_pushed(api: Api, app: Flask,
                                                                       kho: FakeDataStore) -> None:
    from webapp.accounts.models import Account

    _, _, job = _issued(api, app)
    with app.app_context():
        db.session.execute(sa.update(Account).where(Account.username == "an").values(identity_number=None))
        db.session.commit()
    assert _push(app, job) is None and kho.calls == []


def test_a_real_worker_pushes_into_the_store_this_process_reads(app: Flask, jobs_app: Flask, seeded: dict,
                                                               kho: FakeDataStore, workers: Workers) -> None:
    """The worker is another process: what it pushes, the web app's fake finds in the shared folder."""
    from webapp.outbox import service as jobs

    code = _approved(Api(jobs_app.test_client(), seeded))  # its jobs go to the workers' broker
    worker = workers.start()

    def pushed() -> bool:
        with jobs_app.app_context():
            jobs.relay()  # result.sign, then the result.store it enqueues (a job enqueues without a request)
        return kho.count() == 1 and jobs_support.count(jobs_app, OutboxMessage, OutboxMessage.job == "result.store",
                                                       OutboxMessage.completed_at.is_not(None)) == 1

    wait_for(pushed, "the result in the data store", timeout=90, alive=worker)
    (listed,) = kho.list_({"so_dinh_danh": AN})["giay_to"]
    assert code in listed["ten_giay_to"] and kho.calls == ["lay_giay_to"]  # this process only read
    with app.app_context():
        assert result_store.pushed(int(_store_jobs(app)[0].payload["document_id"])) == listed["ma_luu_tru"]


# ---- the attachments page ------------------------------------------------------------------------

def _options(client: FlaskClient, component: str = "giay_chung_sinh") -> dict[str, str]:
    page = lxml.html.fromstring(client.get(PAGE).get_data(as_text=True))
    return {o.get("value"): o.text_content() for o in page.cssselect(f"select#chon-{component} option")}


def test_the_page_offers_the_stores_documents_the_component_accepts(app: Flask, client: FlaskClient,
                                                                     kho: FakeDataStore) -> None:
    mine = _put(kho, PDF)
    photo = _put(kho, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, name="Ảnh giấy chứng sinh", form="png",
                 dossier="H41.01-20250101-0000002")
    declaration = _put(kho, b"<to-khai/>", name="Tờ khai", form="xml", dossier="H41.01-20250101-0000003")
    theirs = _put(kho, b"%PDF-1.4 binh", owner=BINH, dossier="H41.01-20250101-0000004")
    _with_draft(app, client)
    options = _options(client)
    assert f"kho:{mine}" in options and f"kho:{photo}" in options
    assert "Giấy khai sinh" in options[f"kho:{mine}"] and "PDF" in options[f"kho:{mine}"]
    assert f"kho:{declaration}" not in options  # an XML file: not a format this component accepts
    assert f"kho:{theirs}" not in options  # another citizen's
    page = lxml.html.fromstring(client.get(PAGE).get_data(as_text=True))
    assert not page.cssselect("select#chon-van_ban_uy_quyen")  # not reusable: not offered
    assert not page.cssselect("p.notice")


def test_choosing_a_stored_document_copies_it_into_the_draft_like_an_upload(app: Flask, client: FlaskClient,
                                                                            kho: FakeDataStore) -> None:
    # Labelled PNG by the store, but the content is a PDF: the content decides.
    mine = _put(kho, PDF, form="png")
    _with_draft(app, client)
    chosen = client.post(PAGE, data={"csrf_token": _token(client, PAGE), "tiep": "1",
                                     "chon.giay_chung_sinh": f"kho:{mine}"})
    assert chosen.status_code == 303 and chosen.headers["Location"].endswith("/thu-tuc/khai-sinh/kiem-tra")
    with app.app_context():
        row = db.session.scalar(sa.select(DraftAttachment))
        assert (row.component, row.filename, row.content_type, row.size) == (
            "giay_chung_sinh", "Giấy khai sinh.pdf", "application/pdf", len(PDF))
        assert documents.blob_path(row.storage_key).read_bytes() == PDF and row.source_document_id is None
        assert row.reused is True  # from the store, not an upload: the quality index counts it
    assert kho.calls == ["luu_giay_to", "lay_giay_to", "tai_giay_to"]  # put, the page, the copy


def test_a_stored_document_is_checked_like_an_upload_and_only_the_owners(app: Flask, client: FlaskClient,
                                                                         kho: FakeDataStore) -> None:
    not_a_pdf = _put(kho, b"hello, not a PDF", name="Ghi chú")
    theirs = _put(kho, b"%PDF-1.4 binh", owner=BINH, dossier="H41.01-20250101-0000004")
    _with_draft(app, client)
    wrong = client.post(PAGE, data={"csrf_token": _token(client, PAGE), "chon.giay_chung_sinh": f"kho:{not_a_pdf}"})
    assert wrong.status_code == 422 and "nội dung tệp này không phải" in wrong.get_data(as_text=True)
    stolen = client.post(PAGE, data={"csrf_token": _token(client, PAGE), "chon.giay_chung_sinh": f"kho:{theirs}"})
    assert stolen.status_code == 422 and "Không tìm thấy giấy tờ đã chọn" in stolen.get_data(as_text=True)
    unreachable = _put(kho, PDF, dossier="H41.01-20250101-0000005")
    token = _token(client, PAGE)
    kho.controls.fail_next = [ConnectorError("HTTP 502 from tai_giay_to", retryable=True)]
    failed = client.post(PAGE, data={"csrf_token": token, "chon.giay_chung_sinh": f"kho:{unreachable}"})
    assert failed.status_code == 422 and "Không kết nối được kho dữ liệu" in failed.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DraftAttachment)) == 0


def test_the_page_survives_a_store_that_does_not_answer(app: Flask, client: FlaskClient, kho: FakeDataStore,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    _put(kho, PDF)
    monkeypatch.setattr(app.extensions["motcua_engine"].connectors.get("kho_du_lieu.lay_giay_to"), "timeout", 0.3)
    kho.controls = FakeControls(hang_next=1, max_hang=10.0)
    _with_draft(app, client)
    caplog.set_level(logging.INFO)
    response = client.get(PAGE)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    notice = lxml.html.fromstring(page).cssselect("p.notice")[0].text_content()
    assert "Không kết nối được kho dữ liệu điện tử" in notice
    assert "kho:" not in page  # nothing offered from it, and the rest of the page is there
    assert AN not in caplog.text and "timeout" in caplog.text
    kho.controls.release.set()
    # Uploading still works while the store is down.
    kho.controls = FakeControls(fail_next=[ConnectorError("unavailable", retryable=True) for _ in range(2)])
    uploaded = attach(client, "giay_chung_sinh", PDF, name="chung-sinh.pdf")  # (its form: the first failure)
    assert uploaded.status_code == 303
    with app.app_context():
        assert db.session.scalar(sa.select(DraftAttachment.filename)) == "chung-sinh.pdf"
    assert "Không kết nối được kho dữ liệu" in client.get(PAGE).get_data(as_text=True)  # the second
    assert "kho:" in client.get(PAGE).get_data(as_text=True)  # and it is offered again once the store is back


def test_a_result_already_offered_from_an_earlier_dossier_is_not_offered_twice(
        api: Api, app: Flask, client: FlaskClient, kho: FakeDataStore) -> None:
    code, document_id, job = _issued(api, app)
    store_id = _push(app, job)
    _with_draft(app, client, slug="lien-thong-khai-sinh")
    page = lxml.html.fromstring(client.get("/thu-tuc/lien-thong-khai-sinh/giay-to").get_data(as_text=True))
    values = [o.get("value") for o in page.cssselect("select#chon-giay_chung_sinh option")]
    assert str(document_id) in values and f"kho:{store_id}" not in values  # one content, offered once


# ---- settings --------------------------------------------------------------------------------------

def test_settings_point_the_store_at_the_real_system(tmp_path: Any) -> None:
    from engine.local_systems import default_registry

    registry = default_registry()
    replaced = configure(registry, Settings.from_env({**SECRET, "MOTCUA_DATA_DIR": str(tmp_path),
                                                      "MOTCUA_KHO_DU_LIEU_URL": "https://kho.example.gov.vn/api",
                                                      "MOTCUA_KHO_DU_LIEU_TOKEN": "t0k3n"}))
    assert replaced == ["kho_du_lieu.luu_giay_to", "kho_du_lieu.lay_giay_to", "kho_du_lieu.tai_giay_to"]
    fetch = registry.get("kho_du_lieu.tai_giay_to")
    assert isinstance(fetch, HttpConnector) and fetch.operation == "tai_giay_to"
    assert fetch.endpoint.token == "t0k3n" and fetch.max_answer_bytes > 13 * 1024 * 1024  # a 10 MB document fits
    assert registry.get("kho_du_lieu.lay_giay_to").max_answer_bytes == 1024 * 1024
    local = default_registry()
    configure(local, Settings.from_env({**SECRET, "MOTCUA_DATA_DIR": str(tmp_path)}))
    assert local.get("kho_du_lieu.luu_giay_to").store.folder == tmp_path.resolve() / "fakes" / "kho-du-lieu"
    assert not (tmp_path / "fakes").exists()  # made on first use only


def test_the_largest_document_fits_the_fetch_answer_limit(tmp_path: Any) -> None:
    """The fetch answer of the largest document the store keeps fits the HTTP twin's limit."""
    from engine.connectors.data_store import MAX_CONTENT_BYTES, StoreFetch

    encoded = len(base64.b64encode(b"\0" * MAX_CONTENT_BYTES))
    assert encoded + 4096 < StoreFetch(FakeDataStore(tmp_path)).max_answer_bytes
