"""The citizen data store connectors (kho_du_lieu.*) against their file-backed fake: idempotent
pushes, listings and fetches per owner, refusals that are not retried, outages that are, and one
store shared by separate processes pointed at the same folder."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from engine.connectors import ConnectorBpmnError, ConnectorError, ConnectorTimeout, call_with_policy
from engine.connectors.data_store import StoreFetch, StoreList, StorePush, data_store_connectors
from engine.local_systems import default_registry
from fakes.controls import FakeControls
from fakes.data_store import FakeDataStore

OWNER = "001090000001"
OTHER = "001092000002"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
REPO = Path(__file__).resolve().parents[2]


def document(data: bytes = PDF, *, owner: str = OWNER, dossier: str = "H41.01-20261123-0000001",
             kind: str = "1.001193", **extra: Any) -> dict[str, Any]:
    return {"so_dinh_danh": owner, "ma_ho_so": dossier, "ten_giay_to": "Giấy khai sinh", "loai_giay_to": kind,
            "ma_bam": hashlib.sha256(data).hexdigest(), "noi_dung_base64": base64.b64encode(data).decode(),
            **extra}


@pytest.fixture
def store(tmp_path: Path) -> FakeDataStore:
    return FakeDataStore(tmp_path / "kho")


def connectors(store: FakeDataStore) -> tuple[StorePush, StoreList, StoreFetch]:
    push, listing, fetch = data_store_connectors(store)
    assert isinstance(push, StorePush) and isinstance(listing, StoreList) and isinstance(fetch, StoreFetch)
    return push, listing, fetch


def test_pushing_the_same_result_twice_stores_it_once(store: FakeDataStore) -> None:
    push, listing, _ = connectors(store)
    first = call_with_policy(push, document())
    again = call_with_policy(push, document())  # a job retried after a lost answer
    assert set(first) == {"ma_luu_tru", "ngay_luu"} and first == again
    assert store.count() == 1
    # The same bytes for another dossier are another document of the store.
    other = call_with_policy(push, document(dossier="H41.01-20261123-0000002"))
    assert other["ma_luu_tru"] != first["ma_luu_tru"] and store.count() == 2
    listed = call_with_policy(listing, {"so_dinh_danh": OWNER})["giay_to"]
    assert [d["ma_luu_tru"] for d in listed] == [other["ma_luu_tru"], first["ma_luu_tru"]]  # newest first


def test_an_owner_lists_and_fetches_only_their_own_documents(store: FakeDataStore) -> None:
    push, listing, fetch = connectors(store)
    mine = call_with_policy(push, document())["ma_luu_tru"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    call_with_policy(push, document(png, dossier="H41.01-20261123-0000009", kind="2.000488", dinh_dang="png"))
    theirs = call_with_policy(push, document(b"%PDF-1.4 theirs", owner=OTHER))["ma_luu_tru"]

    listed = call_with_policy(listing, {"so_dinh_danh": OWNER})["giay_to"]
    assert [(d["loai_giay_to"], d["dinh_dang"]) for d in listed] == [("2.000488", "png"), ("1.001193", "pdf")]
    assert set(listed[1]) == {"ma_luu_tru", "ten_giay_to", "loai_giay_to", "dinh_dang", "ma_bam", "ngay_luu",
                              "kich_thuoc"}  # metadata only: no content in a listing
    assert listed[1]["kich_thuoc"] == len(PDF) and listed[1]["ma_bam"] == hashlib.sha256(PDF).hexdigest()
    only = call_with_policy(listing, {"so_dinh_danh": OWNER, "loai_giay_to": "1.001193"})["giay_to"]
    assert [d["ma_luu_tru"] for d in only] == [mine]

    fetched = call_with_policy(fetch, {"so_dinh_danh": OWNER, "ma_luu_tru": mine})
    assert base64.b64decode(fetched["noi_dung_base64"]) == PDF and fetched["ten_giay_to"] == "Giấy khai sinh"
    with pytest.raises(ConnectorBpmnError) as caught:  # another owner's document is as good as missing
        call_with_policy(fetch, {"so_dinh_danh": OWNER, "ma_luu_tru": theirs})
    assert (caught.value.code, caught.value.attempts) == ("kho_du_lieu_khong_co", 1)


@pytest.mark.parametrize(("change", "code"), [
    ({"so_dinh_danh": "00109000000"}, "kho_du_lieu_sai_dinh_danh"),
    ({"so_dinh_danh": "00109000000A"}, "kho_du_lieu_sai_dinh_danh"),
    ({"ma_bam": "00" * 32}, "kho_du_lieu_sai_ma_bam"),
    ({"ma_bam": "not-a-hash"}, "kho_du_lieu_sai_ma_bam"),
    ({"noi_dung_base64": "***"}, "kho_du_lieu_loi"),
    ({"loai_giay_to": "../../etc"}, "kho_du_lieu_loi"),
    ({"dinh_dang": "exe"}, "kho_du_lieu_loi"),
])
def test_a_bad_request_is_refused_at_once_without_retries(store: FakeDataStore, change: dict, code: str) -> None:
    push, _, _ = connectors(store)
    sleeps: list[float] = []
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(push, {**document(), **change}, sleep=sleeps.append)
    assert (caught.value.code, caught.value.attempts, sleeps) == (code, 1, [])
    assert not caught.value.error.retryable and store.count() == 0
    assert "001090000001" not in str(caught.value)  # the id number never reaches an error message (or a log)


def test_an_oversized_document_is_refused(store: FakeDataStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fakes.data_store.MAX_CONTENT_BYTES", 1024)
    push, _, _ = connectors(store)
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(push, document(b"%PDF" + b"x" * 2000))
    assert caught.value.error.reason == "too_large" and store.count() == 0


def test_an_outage_is_retried_with_backoff_and_the_document_stored_once(store: FakeDataStore) -> None:
    push, _, _ = connectors(store)
    store.controls.fail_next = [ConnectorTimeout(), ConnectorError("503 maintenance", retryable=True)]
    sleeps: list[float] = []
    answer = call_with_policy(push, document(), sleep=sleeps.append)
    assert sleeps == [1.0, 2.0] and store.calls == ["luu_giay_to"] * 3
    assert store.count() == 1 and answer["ma_luu_tru"] == "KDL-00000001"


def test_a_store_down_for_every_try_ends_in_the_bpmn_error(store: FakeDataStore) -> None:
    push, _, _ = connectors(store)
    store.controls.fail_next = [ConnectorError("unavailable", retryable=True) for _ in range(3)]
    with pytest.raises(ConnectorBpmnError) as caught:
        call_with_policy(push, document(), sleep=lambda _: None)
    assert (caught.value.code, caught.value.attempts, caught.value.error.retryable) == ("kho_du_lieu_loi", 3, True)
    assert store.count() == 0


def test_a_hung_store_is_abandoned_after_the_time_limit_then_tried_again(store: FakeDataStore) -> None:
    store.controls = FakeControls(hang_next=1, max_hang=5.0)
    push, _, _ = connectors(store)
    push.timeout = 0.2
    try:
        answer = call_with_policy(push, document(), sleep=lambda _: None)
    finally:
        store.controls.release.set()  # let the abandoned call end (it pushes the same document: idempotent)
    assert answer["ma_luu_tru"] == "KDL-00000001" and store.calls == ["luu_giay_to"] * 2


def test_two_fakes_on_one_folder_are_one_store(tmp_path: Path) -> None:
    web, worker = FakeDataStore(tmp_path / "kho"), FakeDataStore(tmp_path / "kho")
    pushed = call_with_policy(connectors(worker)[0], document())
    assert call_with_policy(connectors(web)[0], document()) == pushed  # idempotent across processes too
    fetched = call_with_policy(connectors(web)[2], {"so_dinh_danh": OWNER, "ma_luu_tru": pushed["ma_luu_tru"]})
    assert base64.b64decode(fetched["noi_dung_base64"]) == PDF
    assert FakeDataStore(tmp_path / "kho").count() == 1  # a restart finds it still there


PUSHER = textwrap.dedent("""
    import base64, hashlib, json, sys
    from pathlib import Path
    from fakes.data_store import FakeDataStore
    store = FakeDataStore(Path(sys.argv[1]))
    ids = []
    for n in range(int(sys.argv[3])):
        data = f"%PDF-1.4 {sys.argv[2]} {n}".encode()
        ids.append(store.store({"so_dinh_danh": "001090000001", "ma_ho_so": f"{sys.argv[2]}-{n}",
                                "ten_giay_to": "x", "loai_giay_to": "ket_qua",
                                "ma_bam": hashlib.sha256(data).hexdigest(),
                                "noi_dung_base64": base64.b64encode(data).decode()})["ma_luu_tru"])
    print(json.dumps(ids))
""")


def test_separate_processes_pushing_at_once_lose_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "kho"
    runs = [subprocess.Popen([sys.executable, "-c", PUSHER, str(folder), name, "15"], cwd=REPO,
                             stdout=subprocess.PIPE, text=True) for name in ("web", "worker-1", "worker-2")]
    ids = []
    for run in runs:
        out, _ = run.communicate(timeout=60)
        assert run.returncode == 0
        ids += json.loads(out)
    assert len(ids) == len(set(ids)) == 45  # no id given twice, no push lost to a concurrent writer
    assert FakeDataStore(folder).count() == 45


def test_the_default_registry_has_the_store_on_a_folder_of_its_own() -> None:
    registry = default_registry()
    names = [n for n in registry.names() if n.startswith("kho_du_lieu.")]
    assert names == ["kho_du_lieu.lay_giay_to", "kho_du_lieu.luu_giay_to", "kho_du_lieu.tai_giay_to"]
    push = registry.get("kho_du_lieu.luu_giay_to")
    assert call_with_policy(push, document())["ma_luu_tru"] == "KDL-00000001"
    assert push.store is registry.get("kho_du_lieu.tai_giay_to").store  # one store behind the three
