"""The inter-agency bundles through the HTTP API: three units each see only their part, the
citizen sees one dossier."""

from __future__ import annotations

import json

import pytest

from tests.conftest import DATA
from tests.webapp.conftest import Api

AGENCY_OFFICERS = ("hotich", "lanhdao", "congan", "bhxh")
# bundle -> (police step and its sample, social insurance step and its sample)
BUNDLES = {
    "lien-thong-khai-sinh": (("dang_ky_thuong_tru", "dang-ky-thuong-tru"), ("cap_the_bhyt", "cap-the-bhyt")),
    "lien-thong-khai-tu": (("xoa_dang_ky_thuong_tru", "xoa-thuong-tru"), ("giai_quyet_mai_tang_phi", "mai-tang-phi")),
}


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


@pytest.mark.parametrize("slug", sorted(BUNDLES))
def test_three_agencies_each_see_only_their_part(api: Api, slug: str) -> None:
    def sample(name: str) -> dict:
        return json.loads((DATA / "samples" / slug / f"{name}.json").read_text("utf-8"))

    (police, police_sample), (insurance_step, insurance_sample) = BUNDLES[slug]
    status, dossier = api.post("/dossiers", "an", json={"procedure": slug, "data": sample("to-khai")})
    assert status == 201, dossier
    code = dossier["code"]
    nobody_else = {user: [] for user in AGENCY_OFFICERS}
    assert _everyone(api, code) == {"tiepnhan": ["tiep_nhan_ho_so"], **nobody_else}

    _do(api, "tiepnhan", code, "tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"})
    _do(api, "hotich", code, "tham_dinh_xu_ly", sample("tham-dinh"))
    _do(api, "lanhdao", code, "phe_duyet", {"ket_qua_phe_duyet": "phe_duyet"})
    # The hand-over: the police and social insurance each find their step in their own worklist.
    assert _everyone(api, code) == {"tiepnhan": [], "hotich": [], "lanhdao": [],
                                    "congan": [police], "bhxh": [insurance_step]}
    # An officer of another unit cannot take someone else's step.
    status, page = api.get("/worklist", "bhxh")
    (insurance,) = [i for i in page["items"] if i["dossier"] == code]
    assert api.post(f"/work-items/{insurance['id']}/claim", "congan")[0] in (403, 404)
    assert api.post(f"/work-items/{insurance['id']}/claim", "hotich")[0] in (403, 404)

    _do(api, "congan", code, police, sample(police_sample))
    assert _everyone(api, code)["tiepnhan"] == []  # the result waits for social insurance
    after = _do(api, "bhxh", code, insurance_step, sample(insurance_sample))
    assert after["status"] == 9
    assert _everyone(api, code) == {"tiepnhan": ["tra_ket_qua"], **nobody_else}
    done = _do(api, "tiepnhan", code, "tra_ket_qua", sample("tra-ket-qua"))
    assert done["status"] == 10

    # The citizen follows one dossier, with every agency's step in its history.
    status, mine = api.get(f"/dossiers/{code}", "an")
    assert status == 200 and mine["code"] == code and mine["status"] == 10
    assert api.get(f"/dossiers/{code}", "binh")[0] in (403, 404)


def test_control_slip_records_each_hand_over_and_the_audit_view_who_did_what(api: Api, client) -> None:  # noqa: ANN001
    from tests.webapp.test_workspace import _login

    def sample(name: str) -> dict:
        return json.loads((DATA / "samples" / "lien-thong-khai-sinh" / f"{name}.json").read_text("utf-8"))

    code = api.post("/dossiers", "an", json={"procedure": "lien-thong-khai-sinh", "data": sample("to-khai")})[1]["code"]
    _do(api, "tiepnhan", code, "tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"})
    _do(api, "hotich", code, "tham_dinh_xu_ly", sample("tham-dinh"))
    _do(api, "lanhdao", code, "phe_duyet", {"ket_qua_phe_duyet": "phe_duyet"})
    _do(api, "congan", code, "dang_ky_thuong_tru", sample("dang-ky-thuong-tru"))
    _login(client, "tiepnhan")
    slip = client.get(f"/can-bo/ho-so/{code}/phieu-kiem-soat")
    text = " ".join(slip.get_data(as_text=True).split())
    assert slip.status_code == 200
    assert "Phiếu kiểm soát quá trình giải quyết hồ sơ" in text
    from_commune = '<br><span class="hint">nhận bàn giao từ Ủy ban nhân dân phường Nam Định'
    assert "Công an tỉnh Ninh Bình" + from_commune in text
    assert "Bảo hiểm xã hội tỉnh Ninh Bình" + from_commune in text
    assert text.count("Đúng hạn") == 4 and "đang xử lý" in text  # the insurance card is still being made
    audit = " ".join(client.get(f"/can-bo/ho-so/{code}/nhat-ky").get_data(as_text=True).split())
    assert audit.count("Hoàn thành bước") == 4 and "Ngô Quang Huy (công an, cư trú)" in audit
    assert "work_item.completed" not in audit  # words, not codes
    assert "Trần Minh An" not in audit  # the child's name is form data, never in the audit log
    _login(client, "sotuphap")  # another unit, not involved: sees nothing
    assert client.get(f"/can-bo/ho-so/{code}/phieu-kiem-soat").status_code == 404
    assert client.get(f"/can-bo/ho-so/{code}/nhat-ky").status_code == 404
