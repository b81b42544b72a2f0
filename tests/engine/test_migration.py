"""Moving a running dossier to a newer version of its procedure: when it is safe, and why not when it is not."""

from __future__ import annotations

import json

import pytest

from engine.compiler import Procedure
from engine.migration import MigrationRefused, migrate, obstacles
from engine.package import PackageSource
from engine.runtime import Engine, Instance
from tests.conftest import library_package
from tests.engine.procedure_runner import MONDAY_9AM, sample
from tests.engine.test_diff import _simplified

SLUG = "khai-sinh"
BPMN = f"bpmn/{SLUG}/process.bpmn"


def _variant(change: dict[str, bytes]) -> PackageSource:
    return PackageSource(SLUG, {**library_package(SLUG).files, **change})


def _waiting_at_processing(engine: Engine) -> Instance:
    """A dossier accepted at the desk, now waiting for the civil-status officer (tham_dinh_xu_ly)."""
    procedure = engine.load(library_package(SLUG))
    instance, _ = engine.start(procedure, sample(SLUG, "to-khai"), now=MONDAY_9AM)
    intake = engine.ready_tasks(instance)[0]
    engine.complete(instance, intake.id, {"ket_qua_tiep_nhan": "tiep_nhan"}, now=MONDAY_9AM)
    instance = engine.deserialize(procedure, engine.serialize(instance))  # as the web service stores it
    assert [t.element_id for t in engine.ready_tasks(instance)] == ["tham_dinh_xu_ly"]
    return instance


def _finish(engine: Engine, instance: Instance) -> tuple[Instance, list[str]]:
    """Complete every step from here to the end: the finished instance and the names of the steps as the
    (new) version calls them."""
    answers = {"tham_dinh_xu_ly": sample(SLUG, "tham-dinh"), "phe_duyet": {"ket_qua_phe_duyet": "phe_duyet"},
               "tra_ket_qua": sample(SLUG, "tra-ket-qua")}
    names = []
    advance = None
    for _ in range(len(answers)):
        instance = engine.deserialize(instance.procedure, engine.serialize(instance))
        task = engine.ready_tasks(instance)[0]
        names.append(task.name)
        advance = engine.complete(instance, task.id, answers[task.element_id], now=MONDAY_9AM)
        assert advance.failure is None, advance.failure.message("en")
    assert advance is not None and advance.completed
    return instance, names


def test_a_safe_move_keeps_the_step_under_way_and_runs_to_the_end_on_the_new_version(engine: Engine) -> None:
    instance = _waiting_at_processing(engine)
    waiting = engine.ready_tasks(instance)[0]
    new = engine.load(_simplified())  # renames "Phê duyệt" to "Ký duyệt", drops an optional form field
    assert obstacles(instance, new) == []
    moved = migrate(engine, instance, new)
    assert moved.procedure is new
    after = engine.ready_tasks(moved)
    assert [(t.id, t.element_id) for t in after] == [(waiting.id, "tham_dinh_xu_ly")]  # same task, same id
    assert moved.data["tre_em"] == instance.data["tre_em"]  # what was submitted travels with it
    assert moved.status == instance.status
    assert _finish(engine, moved)[1] == ["Thẩm định, xử lý", "Ký duyệt", "Trả kết quả"]


def test_the_same_version_and_a_finished_dossier_are_not_moved(engine: Engine) -> None:
    instance = _waiting_at_processing(engine)
    assert [o.code for o in obstacles(instance, instance.procedure)] == ["same_version"]
    finished, _ = _finish(engine, instance)
    assert [o.message() for o in obstacles(finished, engine.load(_simplified()))] == [
        "Hồ sơ đã kết thúc, không cần chuyển."]


def test_a_step_under_way_that_the_new_version_removed_is_said_in_words(engine: Engine) -> None:
    instance = _waiting_at_processing(engine)
    text = library_package(SLUG).files[BPMN].replace(b"tham_dinh_xu_ly", b"tham_dinh_moi")
    new = engine.load(_variant({BPMN: text}))
    found = obstacles(instance, new)
    assert [o.message("vi") for o in found] == [
        "Bước đang thực hiện “Thẩm định, xử lý” không còn trong phiên bản mới."]
    assert found[0].message("en") == "The step under way “Thẩm định, xử lý” is not in the new version."
    with pytest.raises(MigrationRefused):
        migrate(engine, instance, new)


def test_a_step_under_way_moved_to_another_lane_is_refused(engine: Engine) -> None:
    instance = _waiting_at_processing(engine)
    ref = b"        <bpmn:flowNodeRef>tham_dinh_xu_ly</bpmn:flowNodeRef>\n"
    text = library_package(SLUG).files[BPMN]
    assert ref in text
    text = text.replace(ref, b"", 1).replace(b"<bpmn:flowNodeRef>phe_duyet</bpmn:flowNodeRef>\n",
                                             b"<bpmn:flowNodeRef>phe_duyet</bpmn:flowNodeRef>\n" + ref, 1)
    found = obstacles(instance, engine.load(_variant({BPMN: text})))
    assert [o.message() for o in found] == [
        "Bước đang thực hiện “Thẩm định, xử lý” chuyển từ vai trò chuyen_vien_ho_tich sang lanh_dao."]


def test_a_new_required_field_the_submitted_data_lacks_is_refused(engine: Engine) -> None:
    instance = _waiting_at_processing(engine)
    path = f"forms/{SLUG}/to-khai.schema.json"
    form = json.loads(library_package(SLUG).files[path])
    form["properties"]["so_dien_thoai"] = {"type": "string", "title": "Số điện thoại liên hệ"}
    form["required"].append("so_dien_thoai")
    new: Procedure = engine.load(_variant({path: json.dumps(form, ensure_ascii=False).encode()}))
    found = obstacles(instance, new)
    assert [o.code for o in found] == ["data_no_longer_fits"]
    assert "Số điện thoại liên hệ" in found[0].message("vi")
    assert found[0].message("en").startswith("The data submitted at the step")


def test_a_dossier_between_two_parallel_agencies_moves_and_joins_on_the_new_version(engine: Engine) -> None:
    """The police have finished, social insurance has not: the join already waits for one branch."""
    slug = "lien-thong-khai-sinh"
    procedure = engine.load(library_package(slug))
    instance, _ = engine.start(procedure, sample(slug, "to-khai"), now=MONDAY_9AM)
    answers = [("tiep_nhan_ho_so", {"ket_qua_tiep_nhan": "tiep_nhan"}),
               ("tham_dinh_xu_ly", sample(slug, "tham-dinh")), ("phe_duyet", {"ket_qua_phe_duyet": "phe_duyet"}),
               ("dang_ky_thuong_tru", sample(slug, "dang-ky-thuong-tru"))]
    for element_id, data in answers:
        task = next(t for t in engine.ready_tasks(instance) if t.element_id == element_id)
        engine.complete(instance, task.id, data, now=MONDAY_9AM)
    assert [t.element_id for t in engine.ready_tasks(instance)] == ["cap_the_bhyt"]
    files = dict(library_package(slug).files)
    path = f"bpmn/{slug}/process.bpmn"
    old_name = 'id="tra_ket_qua" name="Trả kết quả liên thông"'.encode()
    assert old_name in files[path]
    files[path] = files[path].replace(old_name, 'id="tra_ket_qua" name="Trả ba kết quả"'.encode(), 1)
    new = engine.load(PackageSource(slug, files))
    assert obstacles(instance, new) == []
    moved = migrate(engine, engine.deserialize(procedure, engine.serialize(instance)), new)
    task = engine.ready_tasks(moved)[0]
    assert task.element_id == "cap_the_bhyt"
    engine.complete(moved, task.id, sample(slug, "cap-the-bhyt"), now=MONDAY_9AM)
    after = engine.ready_tasks(moved)
    assert [(t.element_id, t.name) for t in after] == [("tra_ket_qua", "Trả ba kết quả")]
    advance = engine.complete(moved, after[0].id, sample(slug, "tra-ket-qua"), now=MONDAY_9AM)
    assert advance.completed and moved.data["ma_the"] == "TE1350123456789"


def _with_a_second_check(text: bytes) -> bytes:
    """khai-sinh with a new step "Kiểm tra lại" between processing and approval."""
    step = (b'<bpmn:userTask id="kiem_tra_lai" name="Ki\xe1\xbb\x83m tra l\xe1\xba\xa1i">'
            b'<bpmn:extensionElements><spiffworkflow:properties>'
            b'<spiffworkflow:property name="formJsonSchemaFilename" value="bo-sung.schema.json"/>'
            b'</spiffworkflow:properties></bpmn:extensionElements>'
            b'<bpmn:incoming>Flow_tham_dinh_phe_duyet</bpmn:incoming><bpmn:outgoing>Flow_kiem_tra_phe_duyet</bpmn:outgoing>'
            b'</bpmn:userTask>\n    ')
    flow = b'<bpmn:sequenceFlow id="Flow_tham_dinh_phe_duyet" sourceRef="tham_dinh_xu_ly" targetRef="phe_duyet"/>'
    assert flow in text
    added = b'<bpmn:sequenceFlow id="Flow_kiem_tra_phe_duyet" sourceRef="kiem_tra_lai" targetRef="phe_duyet"/>'
    text = text.replace(flow, flow.replace(b'targetRef="phe_duyet"', b'targetRef="kiem_tra_lai"') + added)
    text = text.replace(b'<bpmn:userTask id="phe_duyet"', step + b'<bpmn:userTask id="phe_duyet"', 1)
    text = text.replace(b"<bpmn:incoming>Flow_tham_dinh_phe_duyet</bpmn:incoming>\n",
                        b"<bpmn:incoming>Flow_kiem_tra_phe_duyet</bpmn:incoming>\n", 1)
    return text.replace(b"<bpmn:flowNodeRef>tham_dinh_xu_ly</bpmn:flowNodeRef>",
                        b"<bpmn:flowNodeRef>tham_dinh_xu_ly</bpmn:flowNodeRef><bpmn:flowNodeRef>kiem_tra_lai"
                        b"</bpmn:flowNodeRef>", 1)


def test_a_step_the_new_version_inserts_ahead_is_taken_after_the_move(engine: Engine) -> None:
    instance = _waiting_at_processing(engine)
    new = engine.load(_variant({BPMN: _with_a_second_check(library_package(SLUG).files[BPMN])}))
    assert new.elements["kiem_tra_lai"].lane == "chuyen_vien_ho_tich"
    moved = migrate(engine, instance, new)
    task = engine.ready_tasks(moved)[0]
    engine.complete(moved, task.id, sample(SLUG, "tham-dinh"), now=MONDAY_9AM)
    # The tree ahead was predicted again from the new diagram: the new step comes before the approval.
    assert [t.element_id for t in engine.ready_tasks(moved)] == ["kiem_tra_lai"]
