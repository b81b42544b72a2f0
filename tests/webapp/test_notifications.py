"""Notifications on every channel: templates as data, e-mail over a real SMTP socket, the SMS
and Zalo fakes with their failures, the portal inbox, the demo mailbox, and a whole birth
registration that tells the citizen each step without writing personal data to the log."""

from __future__ import annotations

import copy
import json
import logging
import shutil
import socket
import time
import urllib.request
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from engine.connectors import ConnectorError
from engine.connectors.messaging import SmtpMailer, SmtpSettings
from fakes.messaging import FakeZaloOa
from tests.conftest import DATA, SECRET
from tests.live_server import LiveServer, embedded_env, free_port, motcua
from tests.webapp.conftest import Api
from webapp.accounts.models import Account
from webapp.extensions import db
from webapp.notifications import sink, templates
from webapp.notifications.jobs import status_changed
from webapp.notifications.models import Notification
from webapp.outbox.models import OutboxMessage

SAMPLES = DATA / "samples" / "khai-sinh"
EMAIL = "hung.tran@example.vn"


def sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text("utf-8"))


def declaration(**delivery: object) -> dict:
    data = copy.deepcopy(sample("to-khai"))
    data["nhan_ket_qua"].update(delivery)
    return data


# --- templates -------------------------------------------------------------------------------

VALUES = {"code": "H41-20260101-0000001", "status": "Được tiếp nhận", "procedure": "Đăng ký khai sinh",
          "due": "05/01/2026", "link": "https://dvc.example/ho-so/H41-20260101-0000001"}


def test_the_shipped_templates_load_and_carry_code_and_link() -> None:
    loaded = templates.load()
    assert {2, 3, 5, 9, 10} <= loaded.notify and 4 not in loaded.notify
    for status in loaded.notify:
        for lang in templates.LANGS:
            message = loaded.render(status, lang, VALUES)
            assert VALUES["code"] in message.short and VALUES["link"] in message.short
            assert VALUES["code"] in message.subject and VALUES["link"] in message.email
    assert loaded.render(5, "en", VALUES).short.startswith("Dossier H41-20260101-0000001 needs more documents")


def _minimal(short: str = "Hồ sơ {code}: {status} {link}") -> dict:
    texts = {"subject": "{code}", "short": short, "email": "{code} {link}"}
    return {"notify": [2], "default": {"vi": dict(texts), "en": dict(texts)}}


def test_an_unknown_placeholder_is_a_clear_error() -> None:
    with pytest.raises(templates.TemplatesInvalid) as caught:
        templates.parse(_minimal("Chào {ho_ten}, hồ sơ {code}"))
    assert "default.vi.short: unknown placeholder {ho_ten}" in str(caught.value)
    assert "{link}" in str(caught.value)  # says what is allowed


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    raw = _minimal()
    raw["notify"] = [2, 11]
    raw["statuses"] = {5: {"vi": {"short": "{code} {so_dien_thoai}"}, "fr": {}}}
    del raw["default"]["en"]["email"]
    path = tmp_path / "templates.yaml"
    path.write_text(json.dumps(raw), "utf-8")  # JSON is YAML
    with pytest.raises(templates.TemplatesInvalid) as caught:
        templates.load(path)
    message = str(caught.value)
    for part in ("notify: 11 is not a dossier status code", "statuses.5.vi.short: unknown placeholder {so_dien_thoai}",
                 "statuses.5: unknown language 'fr'", "default.en.email: missing"):
        assert part in message


def test_a_status_override_replaces_only_its_own_texts() -> None:
    raw = _minimal()
    raw["statuses"] = {9: {"vi": {"short": "Có kết quả {code}"}}}
    loaded = templates.parse(raw)
    assert loaded.render(9, "vi", VALUES).short == f"Có kết quả {VALUES['code']}"
    assert loaded.render(9, "en", VALUES).short.startswith("Hồ sơ H41")  # the default, not the override
    assert loaded.render(2, "vi", VALUES).short.startswith("Hồ sơ H41")


# --- e-mail over real SMTP -----------------------------------------------------------------------


@pytest.fixture()
def mail_sink(app: Flask) -> Iterator[sink.RunningSink]:
    """The local SMTP sink on a free port, writing where the demo mailbox page reads."""
    directory = app.config["MOTCUA_SETTINGS"].mailbox_dir
    shutil.rmtree(directory, ignore_errors=True)
    running = sink.start(directory, port=0)
    yield running
    running.stop()


@pytest.fixture()
def connectors(app: Flask, mail_sink: sink.RunningSink) -> Iterator[dict]:
    """The app's connectors, with e-mail pointed at the sink and a fresh Zalo fake."""
    registry = app.extensions["motcua_engine"].connectors
    before = dict(registry.connectors)
    registry.register(SmtpMailer(SmtpSettings(port=mail_sink.port, timeout=10)))
    registry.register(FakeZaloOa())
    yield {"sms": registry.get("sms.gui"), "zalo": registry.get("zalo.gui"), "email": registry.get("email.gui")}
    registry.connectors.clear()
    registry.connectors.update(before)


def received(directory: Path) -> list:
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(p.read_bytes()) for p in sorted(directory.glob("*.eml"))]


def test_an_email_goes_through_a_real_smtp_server(mail_sink: sink.RunningSink, tmp_path: Path) -> None:
    mailer = SmtpMailer(SmtpSettings(port=mail_sink.port, timeout=10))
    mailer.call({"dia_chi_email": EMAIL, "tieu_de": "Hồ sơ X: Được tiếp nhận", "noi_dung": "Tra cứu: https://x/ho-so/X"})
    [mail] = received(mail_sink.handler.directory)
    assert mail["To"] == EMAIL and mail["Subject"] == "Hồ sơ X: Được tiếp nhận"
    assert mail.get_body().get_content().strip() == "Tra cứu: https://x/ho-so/X"


@pytest.mark.parametrize(("address", "retryable"), [
    (f"an@{sink.TEMPORARY_DOMAIN}", True), (f"an@{sink.PERMANENT_DOMAIN}", False), ("not an address", False)])
def test_smtp_refusals_say_whether_to_retry(mail_sink: sink.RunningSink, address: str, retryable: bool) -> None:
    mailer = SmtpMailer(SmtpSettings(port=mail_sink.port, timeout=10))
    with pytest.raises(ConnectorError) as caught:
        mailer.call({"dia_chi_email": address, "tieu_de": "t", "noi_dung": "n"})
    assert caught.value.retryable is retryable
    assert address not in str(caught.value)  # errors end up in logs and rows
    assert received(mail_sink.handler.directory) == []


def test_an_unreachable_smtp_server_is_retryable() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    mailer = SmtpMailer(SmtpSettings(port=port, timeout=5))  # nothing listens there any more
    with pytest.raises(ConnectorError) as caught:
        mailer.call({"dia_chi_email": EMAIL, "tieu_de": "t", "noi_dung": "n"})
    assert caught.value.retryable


# --- fan-out, once per channel, failures -------------------------------------------------------


def _submit(api: Api, data: dict) -> tuple[dict, OutboxMessage]:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": data})
    assert status == 201, dossier
    row = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.job == "notify.status_changed")
                            .order_by(OutboxMessage.id.desc()))
    return dossier, row


def _states(outbox_id: int) -> dict[str, str]:
    return {n.channel: n.state for n in db.session.scalars(
        sa.select(Notification).where(Notification.outbox_id == outbox_id).order_by(Notification.id))}


def test_every_channel_the_applicant_gave_gets_one_message(api: Api, app: Flask, connectors: dict) -> None:
    with app.app_context():
        dossier, row = _submit(api, declaration(email=EMAIL, nhan_qua_zalo=True))
        sms_before = len(connectors["sms"].sent)
        status_changed(outbox_id=row.id, **row.payload)
        status_changed(outbox_id=row.id, **row.payload)  # the job delivered twice
        assert _states(row.id) == {"portal": "sent", "email": "sent", "sms": "sent", "zalo": "sent"}
    assert len(received(app.config["MOTCUA_SETTINGS"].mailbox_dir)) == 1
    assert len(connectors["sms"].sent) == sms_before + 1 and len(connectors["zalo"].sent) == 1
    assert connectors["zalo"].sent[0]["noi_dung"].startswith(f"Hồ sơ {dossier['code']}: Mới đăng ký")


def test_without_opt_in_no_zalo_and_without_address_no_email(api: Api, app: Flask, connectors: dict) -> None:
    with app.app_context():
        _, row = _submit(api, declaration(nhan_qua_zalo=False))
        status_changed(outbox_id=row.id, **row.payload)
        assert _states(row.id) == {"portal": "sent", "sms": "sent"}
    assert connectors["zalo"].sent == []


def test_smtp_4xx_is_retried_and_then_sent_without_resending_the_rest(api: Api, app: Flask, connectors: dict,
                                                                     mail_sink: sink.RunningSink) -> None:
    mail_sink.handler.fail_next.append("451 4.3.0 Try again later")
    with app.app_context():
        _, row = _submit(api, declaration(email=EMAIL, nhan_qua_zalo=True))
        sms_before = len(connectors["sms"].sent)
        with pytest.raises(ConnectorError) as caught:
            status_changed(outbox_id=row.id, **row.payload)
        assert caught.value.retryable
        assert _states(row.id) == {"portal": "sent", "email": "pending", "sms": "sent", "zalo": "sent"}
        assert received(mail_sink.handler.directory) == []
        status_changed(outbox_id=row.id, **row.payload)  # the job's retry
        assert set(_states(row.id).values()) == {"sent"}
    assert len(received(mail_sink.handler.directory)) == 1
    assert len(connectors["sms"].sent) == sms_before + 1 and len(connectors["zalo"].sent) == 1


def test_smtp_5xx_marks_email_failed_and_the_others_still_go(api: Api, app: Flask, connectors: dict) -> None:
    with app.app_context():
        _, row = _submit(api, declaration(email=f"hung@{sink.PERMANENT_DOMAIN}", nhan_qua_zalo=True))
        status_changed(outbox_id=row.id, **row.payload)  # no exception: nothing worth retrying
        assert _states(row.id) == {"portal": "sent", "email": "failed", "sms": "sent", "zalo": "sent"}
        note = db.session.scalar(sa.select(Notification).where(Notification.outbox_id == row.id,
                                                               Notification.channel == "email"))
        assert note.error == "recipient refused: 550"
        status_changed(outbox_id=row.id, **row.payload)  # a failed channel is not tried again
        assert _states(row.id)["email"] == "failed"


def test_sms_and_zalo_fakes_told_to_fail(api: Api, app: Flask, connectors: dict) -> None:
    connectors["zalo"].fail_next.append(ConnectorError("OA quota exceeded", retryable=True))
    connectors["sms"].fail_next.append(ConnectorError("brandname not registered", retryable=False))
    with app.app_context():
        _, row = _submit(api, declaration(email=EMAIL, nhan_qua_zalo=True))
        with pytest.raises(ConnectorError):
            status_changed(outbox_id=row.id, **row.payload)
        assert _states(row.id) == {"portal": "sent", "email": "sent", "sms": "failed", "zalo": "pending"}
        status_changed(outbox_id=row.id, **row.payload)
        assert _states(row.id) == {"portal": "sent", "email": "sent", "sms": "failed", "zalo": "sent"}
    assert len(connectors["zalo"].sent) == 1


def test_the_zalo_fake_rejects_what_zalo_rejects() -> None:
    zalo = FakeZaloOa(not_on_zalo={"0900000000"})
    for params, reason in [({"so_dien_thoai": "0900000000", "noi_dung": "x"}, "user not found on Zalo"),
                           ({"so_dien_thoai": "12345", "noi_dung": "x"}, "invalid phone number"),
                           ({"so_dien_thoai": "0912345678", "noi_dung": "x" * 2001}, "message empty or too long")]:
        with pytest.raises(ConnectorError, match=reason) as caught:
            zalo.call(params)
        assert not caught.value.retryable
    assert zalo.sent == []
    assert zalo.call({"so_dien_thoai": "0912345678", "noi_dung": "x" * 2000}) == {"message_id": "zalo-fake-1"}


# --- a whole birth registration ----------------------------------------------------------------


def _run_jobs(app: Flask, after: int) -> int:
    """What the worker does, in order and in this process: every outbox row after ``after``."""
    with app.app_context():
        rows = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.id > after,
                                                                 OutboxMessage.job == "notify.status_changed")
                                  .order_by(OutboxMessage.id)).all()
        for row in rows:
            assert row.job == "notify.status_changed"
            status_changed(outbox_id=row.id, **row.payload)
        return rows[-1].id if rows else after


def _step(api: Api, user: str, element_id: str, data: dict) -> dict:
    items = [i for i in api.get("/worklist", user)[1]["items"] if i["element_id"] == element_id]
    assert len(items) == 1
    assert api.post(f"/work-items/{items[0]['id']}/claim", user)[0] == 200
    status, dossier = api.post(f"/work-items/{items[0]['id']}/complete", user, json={"data": data})
    assert status == 200, dossier
    return dossier


def test_a_birth_registration_tells_the_citizen_each_step_on_every_channel(
        api: Api, app: Flask, connectors: dict, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    data = declaration(email=EMAIL, nhan_qua_zalo=True)
    with app.app_context():
        last = db.session.scalar(sa.select(sa.func.max(OutboxMessage.id))) or 0
    sms_before = len(connectors["sms"].sent)
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": data})
    assert status == 201
    code = dossier["code"]
    last = _run_jobs(app, last)
    _step(api, "tiepnhan", "tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"})
    last = _run_jobs(app, last)
    _step(api, "hotich", "tham_dinh_xu_ly", sample("tham-dinh"))
    _step(api, "lanhdao", "phe_duyet", {"ket_qua_phe_duyet": "phe_duyet"})
    last = _run_jobs(app, last)
    _step(api, "tiepnhan", "tra_ket_qua", sample("tra-ket-qua"))
    _run_jobs(app, last)

    link = f"http://127.0.0.1:5000/ho-so/{code}"
    # Statuses 1, 2, 9 and 10 notify; 4 (processing) only changes the page.
    expected = [f"Hồ sơ {code}: Mới đăng ký. Tra cứu: {link}", f"Hồ sơ {code}: Được tiếp nhận. Tra cứu: {link}",
                f"Hồ sơ {code} đã có kết quả. Xem cách nhận: {link}", f"Hồ sơ {code}: Đã trả kết quả. Tra cứu: {link}"]
    assert [m["noi_dung"] for m in connectors["sms"].sent[sms_before:]] == expected
    assert [m["noi_dung"] for m in connectors["zalo"].sent] == expected
    mails = received(app.config["MOTCUA_SETTINGS"].mailbox_dir)
    assert [m["Subject"] for m in mails] == [f"Hồ sơ {code}: {s}" for s in
                                             ("Mới đăng ký", "Được tiếp nhận", "Đã xử lý xong", "Đã trả kết quả")]
    for mail in mails:
        body = mail.get_body().get_content()
        assert link in body and "Đăng ký khai sinh" in body and "Birth registration" in body
    with app.app_context():
        inbox = list(db.session.scalars(sa.select(Notification.body).where(Notification.channel == "portal")
                                        .order_by(Notification.id)))
    assert inbox == expected

    personal = [data["nguoi_yeu_cau"]["ho_ten"], data["nguoi_yeu_cau"]["so_dinh_danh"], data["tre_em"]["ho_ten"],
                data["tre_em"]["ngay_sinh"], data["me"]["ho_ten"], data["me"]["so_dinh_danh"],
                data["nguoi_yeu_cau"]["dia_chi"]["dia_chi_chi_tiet"], data["nhan_ket_qua"]["so_dien_thoai"], EMAIL]
    everything_sent = json.dumps([connectors["sms"].sent, connectors["zalo"].sent, inbox], ensure_ascii=False)
    everything_sent += "".join(m.get_body().get_content() + m["Subject"] for m in mails)
    assert caplog.records  # the log was captured at DEBUG level, so the check below means something
    for value in personal:
        assert value not in caplog.text, "personal data in the log"
        if value not in (EMAIL, data["nhan_ket_qua"]["so_dien_thoai"]):  # a channel's own address is its field
            assert value not in everything_sent


# --- pages -------------------------------------------------------------------------------------


def _sign_in(app: Flask, client: FlaskClient, username: str) -> None:
    with app.app_context():
        account_id = db.session.scalar(sa.select(Account.id).where(Account.username == username))
    with client.session_transaction() as session:
        session["citizen_id"] = account_id


def test_the_inbox_needs_a_signed_in_citizen(client: FlaskClient, seeded: dict) -> None:
    response = client.get("/thong-bao")
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


def test_the_inbox_lists_my_notifications_newest_first_in_pages(api: Api, app: Flask, client: FlaskClient,
                                                                connectors: dict) -> None:
    with app.app_context():
        codes = []
        for _ in range(23):
            dossier, row = _submit(api, declaration())
            status_changed(outbox_id=row.id, **row.payload)
            codes.append(dossier["code"])
    _sign_in(app, client, "an")
    first = client.get("/thong-bao").get_data(as_text=True)
    assert first.index(codes[-1]) < first.index(codes[-2])  # newest first
    assert codes[2] not in first and "trang=2" in first
    second = client.get("/thong-bao?trang=2").get_data(as_text=True)
    assert all(code in second for code in codes[:3]) and codes[3] not in second
    assert client.get("/thong-bao?trang=abc").status_code == 200  # nonsense is the first page
    _sign_in(app, client, "binh")
    assert codes[-1] not in client.get("/thong-bao").get_data(as_text=True)  # only one's own


def test_the_demo_mailbox_shows_what_was_sent(api: Api, app: Flask, client: FlaskClient, connectors: dict) -> None:
    with app.app_context():
        dossier, row = _submit(api, declaration(email=EMAIL))
        status_changed(outbox_id=row.id, **row.payload)
    page = client.get("/hop-thu-gia-lap")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert EMAIL in html and f"Hồ sơ {dossier['code']}: Mới đăng ký" in html
    [name] = [p.name for p in app.config["MOTCUA_SETTINGS"].mailbox_dir.glob("*.eml")]
    message = client.get(f"/hop-thu-gia-lap/{name}").get_data(as_text=True)
    assert f"/ho-so/{dossier['code']}" in message
    assert client.get("/hop-thu-gia-lap/..%2Fmotcua.db").status_code == 404
    assert client.get("/hop-thu-gia-lap/20260101T000000-deadbeef.eml").status_code == 404


def test_the_demo_mailbox_is_off_outside_the_embedded_default(tmp_path: Path) -> None:
    from webapp import create_app
    from webapp.settings import Settings

    settings = Settings.from_env({**SECRET, "MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_SMTP_HOST": "smtp.tinh.gov.vn"})
    assert not settings.demo_mailbox and settings.smtp.port == 587 and settings.smtp.starttls
    production = create_app({"TESTING": True}, settings=settings)
    assert production.test_client().get("/hop-thu-gia-lap").status_code == 404
    assert production.extensions["motcua_engine"].connectors.get("email.gui").settings.host == "smtp.tinh.gov.vn"
    with production.app_context():
        db.engine.dispose()


# --- the embedded default, for real ------------------------------------------------------------


def test_motcua_serve_delivers_email_to_its_demo_mailbox(tmp_path: Path) -> None:
    """`motcua serve` runs the worker and the SMTP sink; a submission's e-mail shows up on the page."""
    env = embedded_env(tmp_path / "data")
    server = LiveServer(env, free_port(), tmp_path / "server.log").start()
    try:
        citizen = motcua(env, "create-token", "--user", "an").strip()
        status, dossier = server.api("POST", "/dossiers", citizen,
                                     {"procedure": "khai-sinh", "data": declaration(email=EMAIL)})
        assert status == 201, dossier
        subject = f"Hồ sơ {dossier['code']}: Mới đăng ký"
        deadline = time.monotonic() + 90
        page = ""
        while subject not in page and time.monotonic() < deadline:
            time.sleep(0.5)
            with urllib.request.urlopen(f"{server.url}/hop-thu-gia-lap", timeout=10) as response:
                page = response.read().decode("utf-8")
        assert subject in page, server.log.read_text()
    finally:
        server.stop()
    log = server.log.read_text()
    assert "local SMTP sink" in log and "Traceback" not in log
    assert EMAIL not in log and "0912345678" not in log


def test_the_birth_form_asks_for_email_and_zalo(app: Flask, client: FlaskClient, seeded: dict) -> None:
    _sign_in(app, client, "an")
    html = client.get("/thu-tuc/khai-sinh/nop?buoc=5").get_data(as_text=True)
    assert 'type="email"' in html and 'name="f.nhan_ket_qua.email"' in html
    assert 'type="checkbox"' in html and 'name="f.nhan_ket_qua.nhan_qua_zalo"' in html
    from engine import forms
    from webapp.procedures import service as procedures

    with app.app_context():
        form = procedures.compiled(procedures.published_version("khai-sinh")).start_form
        bad = forms.validate(form, declaration(email="khong-phai-email"), "vi")
        assert [e.path for e in bad] == ["nhan_ket_qua.email"]
        assert forms.validate(form, declaration(email=EMAIL, nhan_qua_zalo=True), "vi") == []
