"""The field list of the form editor: JSON Schema + UI schema to rows and back, without losing what it does not show."""

from __future__ import annotations

from webapp.studio.fieldlist import Row, apply, apply_action, build, make_key, parse_options, rows_from_schema

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "ho_ten": {"type": "string", "title": "Họ tên", "maxLength": 100, "x-prefill": "dan_cu.ho_ten"},
        "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "gioi_tinh": {"type": "string", "title": "Giới tính", "oneOf": [{"const": "nam", "title": "Nam"},
                                                                         {"const": "nu", "title": "Nữ"}]},
        "dia_chi": {"$ref": "../common/dia-chi.schema.json", "title": "Địa chỉ"},
        "uu_tien": {"type": "boolean", "title": "Ưu tiên", "description": "Nếu có giấy tờ."},
    },
    "required": ["ho_ten", "dia_chi"],
}
UI = {"ui:order": ["ngay_sinh", "ho_ten"], "ui:steps": [{"title": "A", "fields": ["ho_ten", "uu_tien"]}],
      "ho_ten": {"ui:help": "Như trên căn cước.", "ui:placeholder": "Ví dụ: An"}}


def test_rows_read_kinds_order_help_and_fragments() -> None:
    rows = rows_from_schema(SCHEMA, UI)
    assert [(r.key, r.kind, r.required) for r in rows] == [
        ("ngay_sinh", "date", False), ("ho_ten", "text", True), ("gioi_tinh", "select", False),
        ("dia_chi", "group", True), ("uu_tien", "yesno", False)]
    assert rows[1].help == "Như trên căn cước." and rows[4].help == "Nếu có giấy tờ."
    assert rows[2].options == "nam = Nam\nnu = Nữ"
    assert rows[3].note == "common/dia-chi.schema.json"


def test_unchanged_rows_give_back_an_equivalent_form_and_keep_hidden_rules() -> None:
    schema, ui = apply(SCHEMA, UI, build(SCHEMA, UI, rows_from_schema(SCHEMA, UI)).rows)
    assert schema["properties"]["ho_ten"] == SCHEMA["properties"]["ho_ten"]
    assert schema["properties"]["dia_chi"] == SCHEMA["properties"]["dia_chi"]
    assert schema["additionalProperties"] is False
    assert ui["ho_ten"]["ui:placeholder"] == "Ví dụ: An"
    assert rows_from_schema(schema, ui) == rows_from_schema(SCHEMA, UI)


def test_renaming_changing_kind_and_removing() -> None:
    rows = rows_from_schema(SCHEMA, UI)
    rows[1].key, rows[1].kind = "ten_day_du", "longtext"
    rows[4].kind = "text"
    rows = apply_action(rows, ("remove", 2))
    schema, ui = apply(SCHEMA, UI, build(SCHEMA, UI, rows).rows)
    assert list(schema["properties"]) == ["ngay_sinh", "ten_day_du", "dia_chi", "uu_tien"]
    assert schema["required"] == ["ten_day_du", "dia_chi"]
    assert "maxLength" not in schema["properties"]["ten_day_du"]  # a new kind starts clean
    assert schema["properties"]["ten_day_du"]["x-prefill"] == "dan_cu.ho_ten"  # what is not about the kind stays
    assert ui["ten_day_du"]["ui:widget"] == "textarea" and "ho_ten" not in ui
    assert schema["properties"]["uu_tien"]["type"] == "string"
    assert ui["ui:steps"][0]["fields"] == ["ten_day_du", "uu_tien"]
    assert ui["ui:order"] == ["ngay_sinh", "ten_day_du", "dia_chi", "uu_tien"]


def test_required_names_defined_elsewhere_are_kept() -> None:
    schema = {**SCHEMA, "required": ["ho_ten", "ly_do"], "then": {"properties": {"ly_do": {"type": "string"}}}}
    rows = rows_from_schema(schema, UI)
    assert apply(schema, UI, build(schema, UI, rows).rows)[0]["required"] == ["ho_ten", "ly_do"]
    for row in rows:
        row.required = False
    assert apply(schema, UI, build(schema, UI, rows).rows)[0]["required"] == ["ly_do"]


def test_moves_stay_inside_the_list() -> None:
    rows = [Row(key=k, label=k) for k in "abc"]
    assert [r.key for r in apply_action(rows, ("up", 0))] == ["a", "b", "c"]
    assert [r.key for r in apply_action(rows, ("down", 0))] == ["b", "a", "c"]
    assert [r.key for r in apply_action(rows, ("down", 2))] == ["a", "b", "c"]
    assert [r.key for r in apply_action(rows, ("remove", 9))] == ["a", "b", "c"]
    assert len(apply_action(rows, ("add", -1))) == 4


def test_keys_and_options_are_made_from_vietnamese_labels() -> None:
    assert make_key("Số điện thoại", set()) == "so_dien_thoai"
    assert make_key("Số điện thoại", {"so_dien_thoai"}) == "so_dien_thoai_2"
    assert make_key("123 Đường", set()) == "truong_123_duong"
    assert parse_options("a = Một\nHai\n = Ba\n") == ([("a", "Một"), ("hai", "Hai")], ["= Ba"])


def test_wrong_rows_are_each_explained() -> None:
    rows = [Row(key="", label=""), Row(key="x", label="X"), Row(key="x", label="Y"),
            Row(key="c", label="C", kind="select", options=""), Row(key="g", kind="group", original="khong_co")]
    said = [(p.index, p.vi) for p in build(SCHEMA, UI, rows).problems]
    assert said == [
        (0, "Dòng 1: nhập tên trường (nhãn người dân đọc)."),
        (0, "Dòng 1: mã trường “” chỉ gồm chữ thường không dấu, số và dấu _, bắt đầu bằng chữ."),
        (2, "Dòng 3: mã trường “x” bị trùng."),
        (3, "Dòng 4: trường chọn cần ít nhất một lựa chọn."),
        (4, "Dòng 5: nhóm trường “g” không còn trong biểu mẫu."),
    ]


def test_a_removed_field_leaves_the_conditions_that_ask_for_it() -> None:
    schema = {
        **SCHEMA,
        "allOf": [
            {"if": {"properties": {"gioi_tinh": {"const": "nu"}}},
             "then": {"required": ["uu_tien", "ngay_sinh"]},
             "else": {"properties": {"uu_tien": {"not": {}}}}},
            {"if": {"properties": {"uu_tien": {"const": True}}}, "then": {"required": ["ngay_sinh"]}},
        ],
        "dependentRequired": {"uu_tien": ["ngay_sinh"], "ngay_sinh": ["uu_tien", "ho_ten"]},
    }
    rows = [r for r in rows_from_schema(schema, UI) if r.key != "uu_tien"]
    new, _ = apply(schema, UI, build(schema, UI, rows).rows)
    first, second = new["allOf"]
    assert first["then"] == {"required": ["ngay_sinh"]} and first["else"] == {"properties": {}}
    assert second == schema["allOf"][1]  # a rule that tests the field is left for a person to change
    assert new["dependentRequired"] == {"ngay_sinh": ["ho_ten"]}
    assert schema["allOf"][0]["then"] == {"required": ["uu_tien", "ngay_sinh"]}  # the input is not changed
