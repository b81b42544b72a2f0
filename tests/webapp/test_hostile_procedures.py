"""An attacker with a designer account: the API refuses packages carrying known escapes, and a
script that passes the checks but loops, allocates or writes too much fails its own dossier with
a message, leaks nothing, and leaves the next dossier unharmed."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask import Flask

from engine.messages import render
from tests.conftest import DATA
from tests.engine.test_sandbox import ESCAPES
from tests.hostile import as_zip, package_files
from tests.webapp.conftest import Api
from tests.webapp.test_bad_input import unchanged

DECLARATION = {"so_dinh_danh": "001203004005", "so_ban": 2}
KHAI_SINH = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))


def _upload(api: Api, script: str) -> tuple[int, dict]:
    archive = as_zip(package_files(script))
    return api.post("/procedures", "thietke", content_type="multipart/form-data",
                    data={"package": (io.BytesIO(archive), "thu-doc.zip")})


@pytest.mark.parametrize("script", [s for s, code in ESCAPES.items() if code != "sandbox_attribute_runtime"])
def test_the_api_refuses_every_known_escape_and_stores_nothing(api: Api, app: Flask, script: str) -> None:
    with unchanged(app):
        status, body = _upload(api, script)
    assert status == 422, body
    assert body["error"]["code"] == "package_invalid"
    assert {f["code"] for f in body["error"]["fields"]} & {"script_forbidden", "script_syntax"}


def _run_dossier(api: Api, script: str) -> dict:
    status, version = _upload(api, script)
    assert status == 201, version
    status, body = api.post(f"/procedures/thu-doc/versions/{version['version']}/publish", "thietke")
    assert status == 200, body
    status, dossier = api.post("/dossiers", "an", json={"procedure": "thu-doc", "data": DECLARATION})
    assert status == 201, dossier
    return dossier


HOSTILE_RUNS = {
    "the timeout is caught, then another endless loop":
        ("try:\n    while True:\n        pass\nexcept Exception:\n    pass\nwhile True:\n    pass", "sandbox_timeout"),
    "one long C-level operation": ("x = (((10 ** 100) ** 100) ** 100) ** 100", "sandbox_timeout"),
    "a gigabyte string": ("x = 'a' * 10 ** 9", "sandbox_memory"),
    "a 100 MB value written into the dossier": ("x = 'a' * 10 ** 8", "sandbox_value_too_large"),
    "reading an attribute on no list": ("x = date.today().resolution", "sandbox_attribute"),
}


@pytest.mark.parametrize("name", list(HOSTILE_RUNS))
def test_a_hostile_script_fails_its_dossier_with_a_message_and_leaks_nothing(
    api: Api, app: Flask, name: str, caplog: pytest.LogCaptureFixture,
) -> None:
    script, code = HOSTILE_RUNS[name]
    secret = app.config["SECRET_KEY"]
    with caplog.at_level(logging.DEBUG):
        dossier = _run_dossier(api, script)
        status, seen = api.get(f"/dossiers/{dossier['code']}", "an")
    assert status == 200
    expected = render(code, "vi", seconds=1.0, limit=1_000_000, name="resolution", type="date")
    assert seen["failure"] == f"Hồ sơ dừng ở bước 'Tính phí' vì lỗi: {expected}"
    assert seen["data"] == DECLARATION  # nothing the script made reached the dossier
    for text in (repr(dossier), repr(seen), caplog.text):
        assert secret not in text and "Traceback" not in text
    # the next citizen's dossier, on a library procedure, goes through as usual
    status, fine = api.post("/dossiers", "an", json={"procedure": "khai-sinh", "data": KHAI_SINH})
    assert status == 201 and fine["failure"] is None and fine["current_steps"], fine
