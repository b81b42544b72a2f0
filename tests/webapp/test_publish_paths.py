"""Publishing explores every path first (engine/explore.py): an end never reached or a step nobody can
act on refuses the publication with the problems (422, API and studio); flows never taken are warnings."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient

from engine.package import read_package
from tests.conftest import DATA
from tests.hostile import as_zip
from tests.webapp.conftest import Api

PATHS = DATA / "paths" / "bpmn"


def _store(api: Api, files: dict[str, bytes], name: str) -> int:
    status, body = api.post("/procedures", "thietke", content_type="multipart/form-data",
                            data={"package": (io.BytesIO(as_zip(files)), f"{name}.zip")})
    assert status in (200, 201), body
    return body["version"]


def _publish(api: Api, slug: str, number: int) -> tuple[int, dict]:
    return api.post(f"/procedures/{slug}/versions/{number}/publish", "thietke", headers={"Accept-Language": "en"})


def test_an_end_never_reached_refuses_the_publication(api: Api) -> None:
    number = _store(api, dict(read_package(PATHS / "dieu-kien-sai").files), "dieu-kien-sai")
    status, body = _publish(api, "dieu-kien-sai", number)
    assert status == 422, body
    assert body["error"]["code"] == "package_invalid"
    assert [(f["code"], f["element"]) for f in body["error"]["fields"]] == [("path_end_never_reached", "tu_choi")]
    assert api.get("/procedures/dieu-kien-sai")[0] == 404  # not published


def test_a_step_nobody_can_act_on_refuses_the_publication(api: Api) -> None:
    number = _store(api, dict(read_package(PATHS / "lan-khong-ai").files), "lan-khong-ai")
    status, body = _publish(api, "lan-khong-ai", number)
    assert status == 422, body
    assert [(f["code"], f["element"]) for f in body["error"]["fields"]] == [("path_nobody_can_act", "phe_duyet")]


def test_a_flow_never_taken_is_a_warning_and_the_version_is_published(api: Api) -> None:
    files = dict(read_package(PATHS / "dieu-kien-sai").files)
    path = "bpmn/dieu-kien-sai/process.bpmn"
    bpmn = files[path].decode()
    # the impossible flow now leads to the desk step, and the refusal end is gone: every end is reached
    bpmn = bpmn.replace('sourceRef="loai_gw" targetRef="tu_choi"', 'sourceRef="loai_gw" targetRef="tiep_nhan"')
    bpmn = re.sub(r'\s*<bpmn:endEvent id="tu_choi".*?</bpmn:endEvent>', "", bpmn, flags=re.S)
    bpmn = bpmn.replace("<bpmn:flowNodeRef>tu_choi</bpmn:flowNodeRef>", "")
    bpmn = bpmn.replace("<bpmn:incoming>f_b</bpmn:incoming>", "<bpmn:incoming>f_b</bpmn:incoming>"
                                                             "<bpmn:incoming>f_c</bpmn:incoming>")
    files[path] = bpmn.encode()
    number = _store(api, files, "dieu-kien-sai")
    status, body = _publish(api, "dieu-kien-sai", number)
    assert status == 200, body
    assert body["published"] is True
    assert [(w["code"], w["element"]) for w in body["warnings"]] == [("path_flow_never_taken", "f_c")]
    assert "Loại không có trong tờ khai" in body["warnings"][0]["message"]


def test_the_studio_refuses_to_publish_and_lists_the_problem(api: Api, client: FlaskClient) -> None:
    number = _store(api, dict(read_package(PATHS / "dieu-kien-sai").files), "dieu-kien-sai")
    from tests.webapp.test_studio_forms import _csrf, _login

    _login(client, "thietke")
    token = _csrf(client.get("/thiet-ke/").get_data(as_text=True))
    response = client.post(f"/thiet-ke/dieu-kien-sai/phien-ban/{number}/cong-bo", data={"csrf_token": token})
    assert response.status_code == 422
    assert "Không có cách nào để hồ sơ kết thúc tại &#39;Từ chối&#39;" in response.get_data(as_text=True) \
        or "Không có cách nào để hồ sơ kết thúc tại 'Từ chối'" in response.get_data(as_text=True)
