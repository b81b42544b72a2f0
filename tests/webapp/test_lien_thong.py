"""The inter-agency birth bundle through the HTTP API: three units each see only their part,
the citizen sees one dossier."""

from __future__ import annotations

import json

from tests.conftest import DATA
from tests.webapp.conftest import Api

SAMPLES = DATA / "samples" / "lien-thong-khai-sinh"
AGENCY_OFFICERS = ("hotich", "lanhdao", "congan", "bhxh")


def sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text("utf-8"))


def _visible(api: Api, user: str, code: str) -> list[str]:
    status, page = api.get("/worklist", user)
    assert status == 200
    return sorted(i["element_id"] for i in page["items"] if i["dossier"] == code)


def _everyone(api: Api, code: str) -> dict[str, list[str]]:
    return {user: _visible(api, user, code) for user in ("tiepnhan", *AGENCY_OFFICERS)}


def _do(api: Api, user: str, code: str, element_id: str, data: dict) -> dict:
    status, page = api.get("/worklist", user)
    (item,) = [i for i in page["items"] if i["dossier"] == code and i["element_id"] == element_id]
    assert api.post(f"/work-items/{item['id']}/claim", user)[0] == 200
    status, dossier = api.post(f"/work-items/{item['id']}/complete", user, json={"data": data})
    assert status == 200, dossier
    return dossier


def test_three_agencies_each_see_only_their_part(api: Api) -> None:
    status, dossier = api.post("/dossiers", "an", json={"procedure": "lien-thong-khai-sinh",
                                                        "data": sample("to-khai")})
    assert status == 201, dossier
    code = dossier["code"]
    nobody_else = {user: [] for user in AGENCY_OFFICERS}
    assert _everyone(api, code) == {"tiepnhan": ["tiep_nhan_ho_so"], **nobody_else}

    _do(api, "tiepnhan", code, "tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"})
    _do(api, "hotich", code, "tham_dinh_xu_ly", sample("tham-dinh"))
    _do(api, "lanhdao", code, "phe_duyet", {"ket_qua_phe_duyet": "phe_duyet"})
    # The hand-over: the police and social insurance each find their step in their own worklist.
    assert _everyone(api, code) == {"tiepnhan": [], "hotich": [], "lanhdao": [],
                                    "congan": ["dang_ky_thuong_tru"], "bhxh": ["cap_the_bhyt"]}
    # An officer of another unit cannot take someone else's step.
    status, page = api.get("/worklist", "bhxh")
    (insurance,) = [i for i in page["items"] if i["dossier"] == code]
    assert api.post(f"/work-items/{insurance['id']}/claim", "congan")[0] in (403, 404)
    assert api.post(f"/work-items/{insurance['id']}/claim", "hotich")[0] in (403, 404)

    _do(api, "congan", code, "dang_ky_thuong_tru", sample("dang-ky-thuong-tru"))
    assert _everyone(api, code)["tiepnhan"] == []  # the result waits for the insurance card
    after = _do(api, "bhxh", code, "cap_the_bhyt", sample("cap-the-bhyt"))
    assert after["status"] == 9
    assert _everyone(api, code) == {"tiepnhan": ["tra_ket_qua"], **nobody_else}
    done = _do(api, "tiepnhan", code, "tra_ket_qua", sample("tra-ket-qua"))
    assert done["status"] == 10

    # The citizen follows one dossier, with every agency's step in its history.
    status, mine = api.get(f"/dossiers/{code}", "an")
    assert status == 200 and mine["code"] == code and mine["status"] == 10
    assert api.get(f"/dossiers/{code}", "binh")[0] in (403, 404)
