"""Who may call what: every endpoint against every kind of caller (allowed, 401, 403 or 404)."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable

import pytest

from tests.conftest import DATA, REPO
from tests.webapp.conftest import Api

ANON = None
USERS = ["an", "binh", "tiepnhan", "hotich", "lanhdao", "sotuphap", "thietke"]
DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _library_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for folder in ("bpmn/khai-sinh", "forms/khai-sinh", "forms/common"):
            for path in sorted((REPO / folder).rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(REPO).as_posix())
    return buffer.getvalue()


def _dossier_of_an(api: Api) -> dict:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": DECLARATION})
    assert status == 201
    return dossier


Call = Callable[[Api, str | None, dict], int]


def _get_dossier(api: Api, user: str | None, d: dict) -> int:
    return api.get(f"/dossiers/{d['code']}", user)[0]


def _claim(api: Api, user: str | None, d: dict) -> int:
    return api.post(f"/work-items/{d['current_steps'][0]['id']}/claim", user)[0]


def _complete(api: Api, user: str | None, d: dict) -> int:
    return api.post(f"/work-items/{d['current_steps'][0]['id']}/complete", user,
                    json={"data": {"ket_qua_tiep_nhan": "tiep_nhan"}})[0]


def _upload(api: Api, user: str | None, d: dict) -> int:
    return api.post(f"/dossiers/{d['code']}/documents", user, content_type="multipart/form-data",
                    data={"component": "giay_chung_sinh", "file": (io.BytesIO(PDF), "giay-chung-sinh.pdf")})[0]


def _submit(api: Api, user: str | None, d: dict) -> int:
    return api.post("/dossiers", user, json={"procedure": "khai-sinh", "data": DECLARATION, "channel": 1,
                                             "applicant": {"identity_number": "001092000002"}})[0]


def _worklist(api: Api, user: str | None, d: dict) -> int:
    return api.get("/worklist", user)[0]


def _catalogue(api: Api, user: str | None, d: dict) -> int:
    return api.get("/procedures?q=khai sinh", user)[0]


def _procedure(api: Api, user: str | None, d: dict) -> int:
    return api.get("/procedures/khai-sinh", user)[0]


def _upload_package(api: Api, user: str | None, d: dict) -> int:
    return api.post("/procedures", user, content_type="multipart/form-data",
                    data={"package": (io.BytesIO(_library_zip()), "khai-sinh.zip")})[0]


def _publish(api: Api, user: str | None, d: dict) -> int:
    return api.post("/procedures/khai-sinh/versions/1/publish", user)[0]


# caller -> expected HTTP status; 200/201 means allowed.
MATRIX: dict[str, tuple[Call, dict[str | None, int]]] = {
    "catalogue": (_catalogue, {ANON: 200, **{u: 200 for u in USERS}}),
    "procedure": (_procedure, {ANON: 200, **{u: 200 for u in USERS}}),
    "upload package": (_upload_package, {ANON: 401, "an": 403, "binh": 403, "tiepnhan": 403, "hotich": 403,
                                         "lanhdao": 403, "sotuphap": 403, "thietke": 200}),
    "publish": (_publish, {ANON: 401, "an": 403, "binh": 403, "tiepnhan": 403, "hotich": 403, "lanhdao": 403,
                           "sotuphap": 403, "thietke": 200}),
    # Officers file at the desk only for their own unit and only as the one-stop desk.
    "submit for someone": (_submit, {ANON: 401, "an": 201, "binh": 201, "tiepnhan": 201, "hotich": 403,
                                     "lanhdao": 403, "sotuphap": 403, "thietke": 403}),
    "read dossier": (_get_dossier, {ANON: 401, "an": 200, "binh": 404, "tiepnhan": 200, "hotich": 200,
                                    "lanhdao": 200, "sotuphap": 404, "thietke": 404}),
    "worklist": (_worklist, {ANON: 401, **{u: 200 for u in USERS}}),
    "claim intake": (_claim, {ANON: 401, "an": 404, "binh": 404, "tiepnhan": 200, "hotich": 404,
                              "lanhdao": 404, "sotuphap": 404, "thietke": 404}),
    "complete intake": (_complete, {ANON: 401, "an": 404, "binh": 404, "tiepnhan": 200, "hotich": 404,
                                    "lanhdao": 404, "sotuphap": 404, "thietke": 404}),
    "upload document": (_upload, {ANON: 401, "an": 201, "binh": 404, "tiepnhan": 201, "hotich": 201,
                                  "lanhdao": 201, "sotuphap": 404, "thietke": 404}),
}


@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_authorization_matrix(api: Api, endpoint: str) -> None:
    call, expected = MATRIX[endpoint]
    actual = {}
    for user in [ANON, *USERS]:
        dossier = _dossier_of_an(api)  # a fresh dossier each time: completing one changes it
        actual[user] = call(api, user, dossier)
    assert actual == expected


def test_a_citizen_reading_someone_elses_dossier_learns_nothing(api: Api) -> None:
    dossier = _dossier_of_an(api)
    other = api.get(f"/dossiers/{dossier['code']}", "binh")
    missing = api.get("/dossiers/H41.01.01-20000101-0000001", "binh")
    assert other == missing


def test_worklist_shows_only_my_role_and_unit(api: Api) -> None:
    _dossier_of_an(api)
    assert api.get("/worklist", "tiepnhan")[1]["total"] == 1
    for user in ("hotich", "lanhdao", "sotuphap", "an", "binh"):
        assert api.get("/worklist", user)[1]["total"] == 0, user


def test_expired_or_revoked_token_is_refused(api: Api, app) -> None:
    import sqlalchemy as sa

    from webapp.accounts.models import ApiToken
    from webapp.extensions import db

    assert api.get("/worklist", "tiepnhan")[0] == 200
    with app.app_context():
        db.session.execute(sa.update(ApiToken).values(revoked=True))
        db.session.commit()
    status, body = api.get("/worklist", "tiepnhan")
    assert status == 401 and body["error"]["code"] == "unauthenticated"
    assert api.get("/worklist", "not-a-token")[0] == 401
