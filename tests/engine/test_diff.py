"""Differences between two versions of a procedure, in words."""

from __future__ import annotations

import json

import yaml

from engine.diff import compare
from engine.package import PackageSource
from engine.runtime import Engine
from tests.conftest import library_package

SLUG = "khai-sinh"


def _simplified() -> PackageSource:
    """khai-sinh as a designer simplifies it: one optional component and one field fewer, a shorter
    intake step, a one-day processing time, a lower fee and a renamed step."""
    files = dict(library_package(SLUG).files)
    meta_path, form_path, bpmn_path = (f"bpmn/{SLUG}/procedure.yaml", f"forms/{SLUG}/to-khai.schema.json",
                                       f"bpmn/{SLUG}/process.bpmn")
    meta = yaml.safe_load(files[meta_path])
    meta["components"] = [c for c in meta["components"] if c["key"] != "van_ban_uy_quyen"]
    meta["processing_time"]["amount"] = 1
    meta["fees"][0]["amount"] = 5000
    files[meta_path] = yaml.safe_dump(meta, allow_unicode=True).encode()
    form = json.loads(files[form_path])
    # An optional field nothing else reads (the birth certificate prints "Quê quán", so it stays).
    del form["properties"]["nguoi_lam_chung"]["properties"]["so_dinh_danh"]
    files[form_path] = json.dumps(form, ensure_ascii=False).encode()
    bpmn = files[bpmn_path].replace(b'name="stepDeadline" value="2h"/>', b'name="stepDeadline" value="1h"/>', 1)
    files[bpmn_path] = bpmn.replace('name="Phê duyệt">'.encode(), 'name="Ký duyệt">'.encode(), 1)
    return PackageSource(SLUG, files)


def test_every_kind_of_simplification_is_said_in_words(engine: Engine) -> None:
    changes = compare(engine.load(library_package(SLUG)), engine.load(_simplified()))
    said = {c.vi for c in changes}
    assert said == {
        "Bỏ thành phần hồ sơ “Văn bản ủy quyền”.",
        "Biểu mẫu to-khai: bỏ trường “Số định danh cá nhân của người làm chứng”.",
        "Thời hạn giải quyết: 0 ngày làm việc → 1 ngày làm việc.",
        "“Lệ phí đăng ký khai sinh”, mức thu: 8000 → 5000 đồng.",
        "Hạn của bước “Tiếp nhận hồ sơ”: 2h → 1h.",
        "Đổi tên bước “Phê duyệt” thành “Ký duyệt”.",
    }, said
    assert {(c.kind, c.area) for c in changes} == {
        ("removed", "component"), ("removed", "field"), ("changed", "deadline"), ("changed", "fee"),
        ("changed", "step")}
    assert all(c.en for c in changes)


def test_the_same_version_has_no_change(engine: Engine) -> None:
    procedure = engine.load(library_package(SLUG))
    assert compare(procedure, procedure) == []


def test_a_new_required_field_and_step_are_added(engine: Engine) -> None:
    base = engine.load(library_package(SLUG))
    later = engine.load(library_package("lien-thong-khai-sinh"))
    said = [c.vi for c in compare(base, later)]
    assert "Biểu mẫu to-khai: thêm trường “Đăng ký thường trú cho trẻ” (bắt buộc)." in said
    assert "Thêm bước “Đăng ký thường trú cho trẻ” (cong_an)." in said
