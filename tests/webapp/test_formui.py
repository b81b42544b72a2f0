"""Server-side forms from JSON Schema + UI schema: what a browser without JavaScript, a keyboard user and a
screen reader get, and the round trip from the posted fields back to the JSON data."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from engine import forms
from engine.compiler import Procedure
from engine.forms import CompiledForm
from engine.package import read_package
from engine.runtime import Engine
from webapp.formui import apply_array_action, array_action, error_summary, parse_form, render_form
from webapp.formui.schema import apply_order
from webapp.formui.steps import Step, errors_in, step_of, steps

REPO = Path(__file__).resolve().parents[2]
SAMPLE = json.loads((REPO / "tests/data/samples/khai-sinh/to-khai.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def procedure() -> Procedure:
    return Engine().load(read_package(REPO / "bpmn" / "khai-sinh"))


@pytest.fixture(scope="module")
def to_khai(procedure: Procedure) -> CompiledForm:
    assert procedure.start_form is not None
    return procedure.start_form


@pytest.fixture(scope="module")
def tiep_nhan(procedure: Procedure) -> CompiledForm:
    return procedure.forms["khai-sinh/tiep-nhan.schema.json"]


def compile_schema(schema: dict[str, Any], ui: dict[str, Any] | None = None) -> CompiledForm:
    path = "thu-nghiem/bieu-mau.schema.json"
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
    forms.Draft202012Validator.check_schema(schema)
    return forms.compile_form(path, forms.build_registry({path: schema}), ui or {})


def parse_html(html: Markup | str) -> lxml.html.HtmlElement:
    assert isinstance(html, Markup)
    return lxml.html.fragment_fromstring(str(html), create_parent="div")


def posted(root: lxml.html.HtmlElement) -> list[tuple[str, str]]:
    """What a browser submits for these fields (without any button): inputs, checked boxes, selects, textareas."""
    pairs = []
    for el in root.iter("input", "select", "textarea"):
        name = el.get("name")
        if not name or el.get("disabled") is not None:
            continue
        if el.tag == "input":
            kind = (el.get("type") or "text").lower()
            if kind in ("radio", "checkbox"):
                if el.get("checked") is not None:
                    pairs.append((name, el.get("value", "on")))
            elif kind not in ("submit", "button", "image", "reset", "file"):
                pairs.append((name, el.get("value") or ""))
        elif el.tag == "textarea":
            text = el.text or ""
            pairs.append((name, text[1:] if text.startswith("\n") else text))  # as browsers parse it
        else:
            options = el.findall(".//option")
            chosen = [o for o in options if o.get("selected") is not None] or options[:1]
            if chosen:
                pairs.append((name, chosen[0].get("value", chosen[0].text_content())))
    return pairs


def replace(pairs: list[tuple[str, str]] | MultiDict, name: str, value: str | None) -> MultiDict:
    items = pairs.items(multi=True) if isinstance(pairs, MultiDict) else pairs
    out = [(k, v) for k, v in items if k != name]
    if value is not None:
        out.append((name, value))
    return MultiDict(out)


def leaves(data: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaves(value, f"{path}.{key}" if path else key)
    else:
        yield path, data


def one(root: lxml.html.HtmlElement, xpath: str, **params: str) -> lxml.html.HtmlElement:
    found = root.xpath(xpath, **params)
    assert len(found) == 1, (xpath, params, len(found))
    return found[0]


def label_of(root: lxml.html.HtmlElement, control: lxml.html.HtmlElement) -> str:
    return one(root, "//label[@for=$i]", i=control.get("id")).text_content().strip()


def legend_of(control: lxml.html.HtmlElement) -> str:
    return control.xpath("ancestor::fieldset[1]/legend")[0].text_content().strip()


def no_script(root: lxml.html.HtmlElement) -> None:
    assert not root.xpath("//script | //img | //iframe | //style")
    for el in root.iter():
        for name, value in el.attrib.items():
            assert not name.lower().startswith("on"), (el.tag, name)
            assert "javascript:" not in value.lower()


# --- the declaration (tờ khai) as a citizen gets it -------------------------------------------------------------

def test_every_leaf_of_the_sample_has_one_labelled_control(to_khai: CompiledForm) -> None:
    root = parse_html(render_form(to_khai, SAMPLE))
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids)), "ids must be unique"
    for path, _ in leaves(SAMPLE):
        controls = [el for el in root.xpath("//*[@name=$n]", n=f"f.{path}") if el.get("type") != "hidden"]
        assert controls, path
        if all(c.get("type") == "radio" for c in controls):
            assert len(controls) >= 2, path
            assert all(label_of(root, c) for c in controls), path
            assert legend_of(controls[0]), path
            assert controls[0].get("id") == "f-" + path.replace(".", "-")
        else:
            assert len(controls) == 1, path
            assert controls[0].get("id") == "f-" + path.replace(".", "-")
            assert label_of(root, controls[0]), path
    no_script(root)


def test_required_fields_say_so_in_words(to_khai: CompiledForm) -> None:
    root = parse_html(render_form(to_khai, SAMPLE))
    assert label_of(root, one(root, "//input[@name='f.tre_em.ho_ten']")) == "Họ, chữ đệm và tên của trẻ (bắt buộc)"
    assert label_of(root, one(root, "//*[@name='f.tre_em.que_quan']")) == "Quê quán"
    assert label_of(root, one(root, "//input[@name='f.nguoi_yeu_cau.ngay_sinh']")) == "Ngày, tháng, năm sinh"
    assert legend_of(root.xpath("//input[@name='f.tre_em.gioi_tinh']")[0]) == "Giới tính (bắt buộc)"
    # required by case only: the mother unless the child was abandoned, the father unless unknown
    assert one(root, "//fieldset[@id='f-me']/legend").text_content() == "Thông tin người mẹ"
    assert one(root, "//fieldset[@id='f-cha']/legend").text_content() == "Thông tin người cha"
    assert legend_of(root.xpath("//input[@name='f.truong_hop']")[0]) == "Trường hợp đăng ký khai sinh (bắt buộc)"
    # a tick box always has an answer: not marked
    assert label_of(root, one(root, "//input[@type='checkbox'][@name='f.doi_tuong_uu_tien']")) \
        == "Trẻ thuộc đối tượng được miễn lệ phí"
    assert "*" not in root.text_content()


def test_ui_order_is_followed_with_star_for_the_rest(to_khai: CompiledForm) -> None:
    root = parse_html(render_form(to_khai, SAMPLE))
    names = list(dict.fromkeys(el.get("name") for el in root.iter("input", "select", "textarea")
                               if el.get("name") and not el.get("name").endswith("._count")))
    top = list(dict.fromkeys(n.split(".")[1] for n in names))
    assert top == ["truong_hop", "nguoi_yeu_cau", "uy_quyen", "tre_em", "giay_to_ve_viec_sinh", "nguoi_lam_chung",
                   "bien_ban_bo_roi", "me", "chua_xac_dinh_cha", "cha", "van_ban_mang_thai_ho", "doi_tuong_uu_tien",
                   "doi_tuong_mien_le_phi", "nhan_ket_qua"]
    requester = [n.removeprefix("f.nguoi_yeu_cau.") for n in names if n.startswith("f.nguoi_yeu_cau.")]
    assert requester == ["ho_ten", "ngay_sinh", "gioi_tinh", "so_dinh_danh", "quan_he_voi_tre", "to_chuc_nuoi_duong",
                         "giay_to.loai", "giay_to.so", "giay_to.ngay_cap", "giay_to.noi_cap",
                         "dia_chi.tinh_thanh", "dia_chi.xa_phuong", "dia_chi.dia_chi_chi_tiet",
                         "dan_toc", "quoc_tich"]  # the "*" slot: fields the order does not name


def test_apply_order_never_drops_a_field() -> None:
    assert apply_order(["a", "b", "c", "d"], ["c", "*", "a"]) == ["c", "b", "d", "a"]
    assert apply_order(["a", "b", "c"], ["c", "x"]) == ["c", "a", "b"]
    assert apply_order(["a", "b"], None) == ["a", "b"]


def test_widgets_follow_the_schema_and_ui_schema(to_khai: CompiledForm) -> None:
    root = parse_html(render_form(to_khai, SAMPLE))

    def control(name: str) -> lxml.html.HtmlElement:
        return one(root, "//*[@name=$n][not(@type='hidden')]", n=name)

    assert control("f.tre_em.ngay_sinh").get("type") == "date"
    assert control("f.nhan_ket_qua.so_dien_thoai").get("type") == "tel"
    cccd = control("f.me.so_dinh_danh")
    assert (cccd.get("type"), cccd.get("inputmode"), cccd.get("autocomplete")) == ("text", "numeric", "off")
    year = control("f.me.nam_sinh")
    assert (year.get("type"), year.get("inputmode"), year.get("value")) == ("text", "numeric", "1995")
    assert control("f.tre_em.ho_ten").get("maxlength") == "100"
    assert control("f.tre_em.ho_ten").get("placeholder") == "Ví dụ: Trần Minh An"
    assert control("f.tre_em.noi_sinh").tag == "textarea" and control("f.tre_em.noi_sinh").get("rows") == "2"
    assert control("f.tre_em.que_quan").tag == "textarea"  # maxLength 250 > 200
    assert control("f.nguoi_yeu_cau.dia_chi.dia_chi_chi_tiet").tag == "input"  # maxLength 200
    # enum as radios with the UI schema's labels, the posted value as it is in the schema
    relation = root.xpath("//input[@name='f.nguoi_yeu_cau.quan_he_voi_tre']")
    assert [r.get("value") for r in relation] == ["cha", "me", "ong_ba", "nguoi_than", "nguoi_nuoi_duong",
                                                  "nguoi_duoc_uy_quyen"]
    assert [label_of(root, r) for r in relation] == ["Cha", "Mẹ", "Ông, bà", "Người thân thích khác",
                                                    "Cá nhân, tổ chức đang nuôi dưỡng trẻ", "Người được ủy quyền"]
    assert [r.get("value") for r in relation if r.get("checked") is not None] == ["cha"]
    # booleans with ui:widget checkbox: one tick box (plus the hidden "answered, not ticked")
    box = control("f.chua_xac_dinh_cha")
    assert box.get("type") == "checkbox" and box.get("checked") is None and box.get("value") == "true"


def test_enum_select_and_boolean_yes_no() -> None:
    form = compile_schema({
        "type": "object",
        "properties": {
            "tinh": {"type": "string", "title": "Tỉnh", "enum": ["a", "b", "c", "d", "e", "f"]},
            "muc": {"type": "string", "title": "Mức", "oneOf": [{"const": "cao", "title": "Cao"},
                                                              {"const": "thap", "title": "Thấp"}]},
            "nhom": {"type": "integer", "title": "Nhóm", "enum": [1, 2], "x-enumNames": ["Một", "Hai"]},
            "dong_y": {"type": "boolean", "title": "Đồng ý"},
        },
        "required": ["tinh"],
    }, {"tinh": {"ui:enumNames": ["An Giang", "Bắc Ninh", "Cà Mau", "Đắk Lắk", "Điện Biên", "Gia Lai"]}})
    root = parse_html(render_form(form, {"tinh": "c", "muc": "thap", "nhom": 2, "dong_y": False}))
    select = one(root, "//select[@name='f.tinh']")
    assert label_of(root, select) == "Tỉnh (bắt buộc)"
    assert [o.text_content() for o in select.iter("option")] == ["— Chọn —", "An Giang", "Bắc Ninh", "Cà Mau",
                                                                 "Đắk Lắk", "Điện Biên", "Gia Lai"]
    assert [o.get("value") for o in select.iter("option") if o.get("selected") is not None] == ["c"]
    assert [label_of(root, r) for r in root.xpath("//input[@name='f.muc']")] == ["Cao", "Thấp"]
    assert [label_of(root, r) for r in root.xpath("//input[@name='f.nhom']")] == ["Một", "Hai"]
    yes_no = root.xpath("//input[@name='f.dong_y']")
    assert [(r.get("type"), r.get("value"), label_of(root, r)) for r in yes_no] == [
        ("radio", "true", "Có"), ("radio", "false", "Không")]
    assert yes_no[1].get("checked") is not None and yes_no[0].get("checked") is None
    assert parse_form(form, MultiDict(posted(root))) == {"tinh": "c", "muc": "thap", "nhom": 2, "dong_y": False}


def test_nested_fieldsets_with_legends_and_local_titles_over_fragments(to_khai: CompiledForm) -> None:
    root = parse_html(render_form(to_khai, SAMPLE))
    papers = one(root, "//fieldset[@id='f-nguoi_yeu_cau-giay_to']")
    assert papers.xpath("ancestor::fieldset[1]/@id") == ["f-nguoi_yeu_cau"]
    # the local title next to $ref wins over the fragment's "Giấy tờ tùy thân"
    assert papers.find("legend").text_content() == "Giấy tờ tùy thân của người yêu cầu (bắt buộc)"
    residence = one(root, "//fieldset[@id='f-me-noi_cu_tru']")
    assert residence.find("legend").text_content() == "Nơi cư trú"
    assert residence.xpath("ancestor::fieldset[1]/@id") == ["f-me"]
    # the fragment's description is the hint when there is no local one
    hint = one(root, "//*[@id=$i]", i=residence.get("aria-describedby"))
    assert "Nơi thường trú" in hint.text_content()
    # a field's own title, with the fragment's leaf properties one level down
    assert label_of(root, one(root, "//*[@name='f.me.noi_cu_tru.tinh_thanh']")) == "Tỉnh, thành phố (bắt buộc)"


def test_hints_are_linked_by_aria_describedby(to_khai: CompiledForm) -> None:
    root = parse_html(render_form(to_khai, SAMPLE))
    described = root.xpath("//*[@aria-describedby]")
    assert len(described) > 10
    for el in described:
        for ref in el.get("aria-describedby").split():
            assert len(root.xpath("//*[@id=$i]", i=ref)) == 1, ref
    name = one(root, "//input[@name='f.tre_em.ho_ten']")
    assert name.get("aria-describedby") == "f-tre_em-ho_ten-hint"
    assert "theo họ của cha hoặc mẹ" in one(root, "//*[@id='f-tre_em-ho_ten-hint']").text_content()
    number = one(root, "//*[@id='f-nguoi_yeu_cau-so_dinh_danh-hint']").text_content()
    assert "12 chữ số" in number and "Số in trên thẻ căn cước" in number  # description and ui:help
    radios = one(root, "//input[@id='f-nguoi_yeu_cau-quan_he_voi_tre']").xpath("ancestor::fieldset[1]")[0]
    assert radios.get("aria-describedby") == "f-nguoi_yeu_cau-quan_he_voi_tre-hint"
    assert one(root, "//input[@name='f.tre_em.dan_toc']").get("aria-describedby") is None


# --- the round trip and typed parsing ------------------------------------------------------------------------

def test_round_trip_render_then_parse_gives_the_sample_back(to_khai: CompiledForm) -> None:
    root = parse_html(render_form(to_khai, SAMPLE))
    data = parse_form(to_khai, MultiDict(posted(root)))
    assert data == SAMPLE
    assert forms.validate(to_khai, data) == []


def test_round_trip_with_another_prefix_and_the_intake_form(tiep_nhan: CompiledForm) -> None:
    sample = json.loads((REPO / "tests/data/samples/khai-sinh/tiep-nhan.json").read_text(encoding="utf-8"))
    root = parse_html(render_form(tiep_nhan, sample, prefix="tn"))
    assert all(el.get("name").startswith("tn.") for el in root.xpath("//*[@name]"))
    assert parse_form(tiep_nhan, MultiDict(posted(root)), prefix="tn") == sample
    assert parse_form(tiep_nhan, MultiDict(posted(root)), prefix="f") == {}


def test_integers_parse_and_bad_ones_stay_strings_for_a_type_error(to_khai: CompiledForm) -> None:
    pairs = posted(parse_html(render_form(to_khai, SAMPLE)))
    assert parse_form(to_khai, replace(pairs, "f.me.nam_sinh", " 1 996 "))["me"]["nam_sinh"] == 1996
    data = parse_form(to_khai, replace(pairs, "f.me.nam_sinh", "199x"))
    assert data["me"]["nam_sinh"] == "199x"
    errors = forms.validate(to_khai, data)
    assert [(e.path, e.code) for e in errors] == [("me.nam_sinh", "field_type")]
    assert "Năm sinh" in errors[0].message
    # identity numbers typed with spaces are tidied; text is trimmed and NFC-normalised
    data = parse_form(to_khai, replace(replace(pairs, "f.me.so_dinh_danh", "036 195 001 234"),
                                       "f.tre_em.ho_ten", " Tra\u0302\u0300n Minh An "))
    assert data["me"]["so_dinh_danh"] == "036195001234"
    assert data["tre_em"]["ho_ten"] == "Trần Minh An"


def test_empty_inputs_are_left_out_so_required_fires(to_khai: CompiledForm) -> None:
    pairs = posted(parse_html(render_form(to_khai, SAMPLE)))
    data = parse_form(to_khai, replace(pairs, "f.tre_em.ho_ten", "   "))
    assert "ho_ten" not in data["tre_em"]
    assert [(e.path, e.code) for e in forms.validate(to_khai, data)] == [("tre_em.ho_ten", "field_required")]
    # a required group left empty comes back as {} so each of its fields is reported
    blank_requester = MultiDict([(k, "" if k.startswith("f.nguoi_yeu_cau.giay_to.") else v) for k, v in pairs])
    data = parse_form(to_khai, blank_requester)
    assert data["nguoi_yeu_cau"]["giay_to"] == {}
    assert {e.path for e in forms.validate(to_khai, data)} == {
        "nguoi_yeu_cau.giay_to.loai", "nguoi_yeu_cau.giay_to.so", "nguoi_yeu_cau.giay_to.ngay_cap",
        "nguoi_yeu_cau.giay_to.noi_cap"}
    # the mother's group is required by case (not for an abandoned child): left empty, the group is named
    blank_mother = MultiDict([(k, "" if k.startswith("f.me.") else v) for k, v in pairs])
    data = parse_form(to_khai, blank_mother)
    assert "me" not in data
    assert [(e.path, e.code) for e in forms.validate(to_khai, data)] == [("me", "field_required")]
    # an optional group left empty is left out: "father unknown" ticked and no father is valid
    no_father = MultiDict([(k, "" if k.startswith("f.cha.") else v) for k, v in pairs]
                          + [("f.chua_xac_dinh_cha", "true")])
    data = parse_form(to_khai, no_father)
    assert "cha" not in data and data["chua_xac_dinh_cha"] is True
    assert forms.validate(to_khai, data) == []


def test_fresh_form_shows_defaults_but_not_inside_optional_groups(to_khai: CompiledForm) -> None:
    root = parse_html(render_form(to_khai))
    assert one(root, "//input[@name='f.tre_em.quoc_tich']").get("value") == "Việt Nam"
    assert one(root, "//input[@name='f.cha.quoc_tich']").get("value") in (None, "")
    chosen = root.xpath("//input[@name='f.nhan_ket_qua.hinh_thuc'][@checked]")
    assert [c.get("value") for c in chosen] == ["truc_tuyen"]
    data = parse_form(to_khai, MultiDict(posted(root)))
    assert "cha" not in data  # the untouched optional group posts nothing
    assert data["chua_xac_dinh_cha"] is False and data["tre_em"] == {"quoc_tich": "Việt Nam"}


def test_booleans_and_numbers_from_posted_text() -> None:
    form = compile_schema({"type": "object", "properties": {
        "co": {"type": "boolean", "title": "Có con nhỏ"},
        "ty_le": {"type": "number", "title": "Tỷ lệ"},
        "so": {"type": "integer", "title": "Số"},
    }})
    assert parse_form(form, MultiDict({"f.co": "true", "f.ty_le": "1,5", "f.so": "-3"})) == {
        "co": True, "ty_le": 1.5, "so": -3}
    assert parse_form(form, MultiDict({"f.co": "false", "f.ty_le": "2"})) == {"co": False, "ty_le": 2}
    data = parse_form(form, MultiDict({"f.co": "maybe", "f.ty_le": "1e999", "f.so": "1.5", "f.khac": "x"}))
    assert data == {"co": "maybe", "ty_le": "1e999", "so": "1.5"}  # unknown names are never read
    assert {(e.path, e.code) for e in forms.validate(form, data)} == {
        ("co", "field_type"), ("ty_le", "field_type"), ("so", "field_type")}
    root = parse_html(render_form(form, {"ty_le": 1.5}))
    assert one(root, "//input[@name='f.ty_le']").get("inputmode") == "decimal"


# --- errors ----------------------------------------------------------------------------------------------------

def _broken_sample() -> dict[str, Any]:
    data = copy.deepcopy(SAMPLE)
    data["me"]["nam_sinh"] = "199x"
    del data["tre_em"]["ho_ten"]
    del data["tre_em"]["gioi_tinh"]
    del data["cha"]  # required while the father is known
    return data


def test_errors_are_rendered_before_their_fields(to_khai: CompiledForm) -> None:
    data = _broken_sample()
    errors = forms.validate(to_khai, data)
    assert {e.path for e in errors} == {"me.nam_sinh", "tre_em.ho_ten", "tre_em.gioi_tinh", "cha"}
    root = parse_html(render_form(to_khai, data, errors))
    for path in ("me.nam_sinh", "tre_em.ho_ten"):
        control = one(root, "//input[@name=$n]", n=f"f.{path}")
        fid = control.get("id")
        assert control.get("aria-invalid") == "true"
        assert control.get("aria-describedby").split()[-1] == f"{fid}-error"
        message = one(root, "//p[@class='field-error'][@id=$i]", i=f"{fid}-error")
        assert message.getnext() is control or control in message.itersiblings()  # before the input
        expected = next(e.message for e in errors if e.path == path)
        assert message.text_content() == f"Lỗi: {expected}"
    assert one(root, "//input[@name='f.me.nam_sinh']").get("value") == "199x"  # what was typed is kept
    radios = root.xpath("//input[@name='f.tre_em.gioi_tinh']")
    assert all(r.get("aria-invalid") == "true" for r in radios)
    group = radios[0].xpath("ancestor::fieldset[1]")[0]
    assert "f-tre_em-gioi_tinh-error" in group.get("aria-describedby").split()
    father = one(root, "//fieldset[@id='f-cha']")
    assert father.get("aria-describedby") == "f-cha-hint f-cha-error"
    assert father.xpath("./p[@class='field-error']")[0].get("id") == "f-cha-error"
    assert one(root, "//input[@name='f.tre_em.dan_toc']").get("aria-invalid") is None


def test_error_summary_links_to_existing_fields(to_khai: CompiledForm) -> None:
    data = _broken_sample()
    errors = forms.validate(to_khai, data)
    errors.append(forms.FieldError(path="", message="Hồ sơ không hợp lệ.", code="field_invalid"))
    fields = parse_html(render_form(to_khai, data, errors))
    summary = parse_html(error_summary(errors))[0]
    assert summary.get("role") == "alert" and summary.get("tabindex") == "-1"
    assert summary.get("class") == "error-summary"
    heading = one(summary, ".//h2")
    assert heading.text_content() == "Có lỗi cần sửa" and summary.get("aria-labelledby") == heading.get("id")
    links = summary.xpath(".//ul/li/a")
    assert [a.text_content() for a in links] == [e.message for e in errors]
    for link in links:
        target = link.get("href").removeprefix("#")
        assert len(fields.xpath("//*[@id=$i]", i=target)) == 1, target
    assert {a.get("href") for a in links} >= {"#f-me-nam_sinh", "#f-tre_em-gioi_tinh", "#f-cha", "#f"}
    # the error that matches no field is shown at the top, under the id the summary links to
    top = fields[0]
    assert top.get("class") == "field" and one(top, ".//p").get("id") == "f"
    assert error_summary([]) == Markup("")


def test_errors_in_the_officer_form_and_dict_errors(tiep_nhan: CompiledForm) -> None:
    data = {"ket_qua_tiep_nhan": "yeu_cau_bo_sung"}
    errors = forms.validate(tiep_nhan, data)
    assert {e.path for e in errors} == {"ly_do", "giay_to_can_bo_sung"}
    root = parse_html(render_form(tiep_nhan, data, [e.as_dict() for e in errors]))
    assert [t.get("name") for t in root.xpath("//textarea[@aria-invalid='true']")] == ["f.ly_do",
                                                                                       "f.giay_to_can_bo_sung"]
    assert [label_of(root, r) for r in root.xpath("//input[@name='f.ket_qua_tiep_nhan']")] == [
        "Tiếp nhận hồ sơ", "Yêu cầu bổ sung, hoàn thiện hồ sơ", "Từ chối tiếp nhận"]


# --- conditional parts -----------------------------------------------------------------------------------------

def test_conditional_fields_are_all_reachable_in_their_own_fieldsets() -> None:
    form = compile_schema({
        "type": "object",
        "properties": {
            "loai": {"type": "string", "title": "Người nộp", "enum": ["ca_nhan", "to_chuc"],
                     "x-enumNames": ["Cá nhân", "Tổ chức"]},
            "co_uy_quyen": {"type": "boolean", "title": "Có ủy quyền"},
        },
        "required": ["loai"],
        "allOf": [{"properties": {"email": {"type": "string", "format": "email", "title": "Thư điện tử"}},
                   "required": ["email"]}],
        "if": {"properties": {"loai": {"const": "to_chuc"}}, "required": ["loai"]},
        "then": {"properties": {"ten_to_chuc": {"type": "string", "title": "Tên tổ chức"}},
                 "required": ["ten_to_chuc"]},
        "else": {"properties": {"ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"}}},
        "anyOf": [{"title": "Nhận qua bưu điện", "properties": {"dia_chi": {"type": "string", "title": "Địa chỉ"}}},
                  {"properties": {"quay": {"type": "string", "title": "Quầy nhận"}}}],
        "dependentSchemas": {"co_uy_quyen": {"properties": {"nguoi_uy_quyen": {"type": "string",
                                                                                "title": "Người ủy quyền"}}}},
        "dependentRequired": {"email": ["so_dien_thoai"]},
    }, {"ui:order": ["loai", "ten_to_chuc", "*"]})
    root = parse_html(render_form(form, {}))
    assert label_of(root, one(root, "//input[@name='f.email']")) == "Thư điện tử (bắt buộc)"  # allOf merged
    assert one(root, "//input[@name='f.email']").get("type") == "email"
    legends = {}
    for name in ("ten_to_chuc", "ngay_sinh", "dia_chi", "quay", "nguoi_uy_quyen", "so_dien_thoai"):
        control = one(root, "//input[@name=$n]", n=f"f.{name}")
        assert label_of(root, control), name
        legends[name] = legend_of(control)
    assert legends == {
        "ten_to_chuc": "Chỉ điền khi “Người nộp” là “Tổ chức”",
        "ngay_sinh": "Chỉ điền khi “Người nộp” không phải là “Tổ chức”",
        "dia_chi": "Nhận qua bưu điện",
        "quay": "Phương án 2",
        "nguoi_uy_quyen": "Chỉ điền khi đã điền “Có ủy quyền”",
        "so_dien_thoai": "Chỉ điền khi đã điền “Thư điện tử”",
    }
    # conditional fields are not marked required (the server decides), and ui:order places their group
    assert label_of(root, one(root, "//input[@name='f.ten_to_chuc']")) == "Tên tổ chức"
    names = [el.get("name") for el in root.xpath("//input[@type!='radio'] | //input[@type='radio'][1]")]
    assert names.index("f.ten_to_chuc") < names.index("f.email")
    data = parse_form(form, MultiDict({"f.loai": "to_chuc", "f.ten_to_chuc": "Công ty A", "f.quay": "Số 3",
                                       "f.so_dien_thoai": "0912345678"}))
    assert data == {"loai": "to_chuc", "ten_to_chuc": "Công ty A", "quay": "Số 3", "so_dien_thoai": "0912345678"}


# --- arrays without JavaScript ---------------------------------------------------------------------------------

CHILDREN = {
    "type": "object",
    "properties": {
        "nguoi_khai": {"type": "string", "title": "Người khai"},
        "con": {
            "type": "array", "title": "Các con", "minItems": 1, "maxItems": 3,
            "items": {"type": "object", "title": "Người con", "required": ["ho_ten"], "properties": {
                "ho_ten": {"type": "string", "title": "Họ tên"},
                "nam_sinh": {"type": "integer", "title": "Năm sinh"},
                "gioi_tinh": {"type": "string", "title": "Giới tính", "enum": ["nam", "nu"]},
            }},
        },
        "dien_thoai": {"type": "array", "title": "Số điện thoại", "items": {"type": "string"}},
    },
    "required": ["nguoi_khai", "con"],
}


def _submit_buttons(root: lxml.html.HtmlElement) -> list[tuple[str | None, str | None]]:
    return [(b.get("name"), b.get("value")) for b in root.xpath("//button[@type='submit']")]


def test_array_of_objects_renders_groups_and_buttons() -> None:
    form = compile_schema(CHILDREN)
    root = parse_html(render_form(form, {"nguoi_khai": "Lan", "con": [{"ho_ten": "An", "nam_sinh": 2015}]}))
    group = one(root, "//fieldset[@id='f-con']")
    assert group.find("legend").text_content() == "Các con (bắt buộc)"
    item = one(root, "//fieldset[@id='f-con-0']")
    assert item.find("legend").text_content() == "Người con 1"
    assert label_of(root, one(item, ".//input[@name='f.con.0.ho_ten']")) == "Họ tên (bắt buộc)"
    # one child is the minimum: no remove button; add is a plain submit that skips browser validation
    assert _submit_buttons(root) == [(None, None), ("_add", "f.con"), ("_add", "f.dien_thoai")]
    add = one(root, "//button[@name='_add'][@value='f.con']")
    assert add.get("formnovalidate") is not None and add.text_content() == "Thêm Người con"
    # the first submit button (what Enter presses) is a nameless ordinary submit, hidden from sight and AT
    guard = root.xpath("//button")[0]
    assert guard.get("name") is None and guard.get("aria-hidden") == "true" and guard.get("tabindex") == "-1"
    # a required array with no item yet shows one empty group
    empty = parse_html(render_form(form, {"nguoi_khai": "Lan"}))
    assert one(empty, "//fieldset[@id='f-con-0']") is not None
    assert not empty.xpath("//fieldset[starts-with(@id, 'f-dien_thoai-')]")  # optional: none until added


def test_add_and_remove_items_keep_the_other_answers() -> None:
    form = compile_schema(CHILDREN)
    start = {"nguoi_khai": "Lan", "con": [{"ho_ten": "An", "nam_sinh": 2015, "gioi_tinh": "nam"}]}
    pairs = posted(parse_html(render_form(form, start)))
    post = MultiDict([*pairs, ("_add", "f.con")])
    action = array_action(post)
    assert action == ("add", "con", 1)
    data = apply_array_action(parse_form(form, post), action)
    assert data == {"nguoi_khai": "Lan", "con": [start["con"][0], None]}
    root = parse_html(render_form(form, data))
    assert one(root, "//input[@name='f.con.0.ho_ten']").get("value") == "An"
    assert one(root, "//input[@name='f.con.1.ho_ten']").get("value") == ""
    assert one(root, "//input[@name='f.nguoi_khai']").get("value") == "Lan"
    removes = root.xpath("//button[@name='_remove']")
    assert [b.get("value") for b in removes] == ["f.con:0", "f.con:1"]
    assert all(b.get("formnovalidate") is not None for b in removes)
    assert removes[1].text_content() == "Xoá Người con 2"
    # add again while the second group is still blank (only radios there: nothing posted for it)
    pairs = [(k, v) for k, v in posted(root) if not k.startswith("f.con.1.")]
    data = apply_array_action(parse_form(form, MultiDict([*pairs, ("_add", "f.con")])), ("add", "con", 2))
    assert data["con"] == [start["con"][0], {}, None]
    root = parse_html(render_form(form, data))
    assert len(root.xpath("//fieldset[starts-with(@id, 'f-con-')]")) == 3
    assert not root.xpath("//button[@name='_add'][@value='f.con']")  # maxItems 3 reached
    # fill the third, remove the first: the others move up with their answers
    post = replace(posted(root), "f.con.2.ho_ten", "Bình")
    post.add("_remove", "f.con:0")
    assert array_action(post) == ("remove", "con", 0)
    data = apply_array_action(parse_form(form, post), array_action(post))
    assert data == {"nguoi_khai": "Lan", "con": [{}, {"ho_ten": "Bình"}]}
    # an ordinary submission drops wholly blank groups
    root = parse_html(render_form(form, data))
    assert parse_form(form, MultiDict(posted(root))) == {"nguoi_khai": "Lan", "con": [{"ho_ten": "Bình"}]}


def test_array_of_plain_values_and_round_trip() -> None:
    form = compile_schema(CHILDREN)
    data = {"nguoi_khai": "Lan", "con": [{"ho_ten": "An"}], "dien_thoai": ["0912345678", "0987654321"]}
    root = parse_html(render_form(form, data))
    phones = root.xpath("//input[starts-with(@name, 'f.dien_thoai.')][@type='text']")
    assert [label_of(root, p) for p in phones] == ["Số điện thoại 1", "Số điện thoại 2"]
    assert [b.get("value") for b in root.xpath("//button[@name='_remove']")] == ["f.dien_thoai:0", "f.dien_thoai:1"]
    assert parse_form(form, MultiDict(posted(root))) == data
    removed = apply_array_action(data, ("remove", "dien_thoai", 0))
    assert removed["dien_thoai"] == ["0987654321"] and data["dien_thoai"] == ["0912345678", "0987654321"]


@pytest.mark.parametrize("pairs", [
    [("_remove", "g.con:0")], [("_remove", "f.con:x")], [("_remove", "f.con")], [("_add", "f.")],
    [("_add", "con")], [("_add", "f.con x")], [],
])
def test_foreign_or_malformed_actions_are_ignored(pairs: list[tuple[str, str]]) -> None:
    assert array_action(MultiDict(pairs)) is None


def test_array_actions_cannot_blow_up() -> None:
    form = compile_schema(CHILDREN)
    data = parse_form(form, MultiDict({"f.nguoi_khai": "Lan", "f.con._count": "999999", "f.con.5000000.ho_ten": "x"}))
    assert data == {"nguoi_khai": "Lan"}  # blank groups dropped, and only the first 100 looked at
    assert len(parse_form(form, MultiDict({"f.con._count": "999999", "_add": "f.con"}))["con"]) == 100
    assert apply_array_action({"a": "text"}, ("add", "a.b", -1)) == {"a": "text"}
    assert apply_array_action({"con": [1]}, ("remove", "con", 7)) == {"con": [1]}
    assert apply_array_action(None, ("add", "x.y", -1)) == {"x": {"y": [None]}}


# --- safety and languages --------------------------------------------------------------------------------------

def test_everything_is_escaped() -> None:
    evil = '<script>alert("x")</script>'
    form = compile_schema({
        "type": "object",
        "properties": {
            "a": {"type": "string", "title": evil, "description": '"><img src=x onerror=alert(1)>'},
            "b": {"type": "string", "title": "B", "enum": ["<x>", "y"]},
        },
        "required": ["a"],
    }, {"a": {"ui:placeholder": '" autofocus onfocus="alert(1)'}, "b": {"ui:enumNames": ["<b>bold</b>", "Y"]}})
    errors = [forms.FieldError(path="a", message="<i>sai</i>", code="field_invalid")]
    html = render_form(form, {"a": '"><script>alert(2)</script>', "b": "<x>"}, errors)
    root = parse_html(html)
    no_script(root)
    assert not root.xpath("//b | //i")
    assert label_of(root, one(root, "//input[@name='f.a']")) == f"{evil} (bắt buộc)"
    control = one(root, "//input[@name='f.a']")
    assert control.get("value") == '"><script>alert(2)</script>'
    assert control.get("placeholder") == '" autofocus onfocus="alert(1)' and control.get("autofocus") is None
    assert [label_of(root, r) for r in root.xpath("//input[@name='f.b']")] == ["<b>bold</b>", "Y"]
    assert one(root, "//input[@name='f.b'][@checked]").get("value") == "<x>"
    summary = parse_html(error_summary(errors))
    no_script(summary)
    assert one(summary, "//a").text_content() == "<i>sai</i>"
    assert "<script>" not in str(html) and "&lt;script&gt;" in str(html)


def test_english_switches_the_fixed_words_and_marks_vietnamese_titles(to_khai: CompiledForm) -> None:
    form = compile_schema({
        "type": "object",
        "properties": {
            "dong_y": {"type": "boolean", "title": "Đồng ý", "x-title-en": "Agree"},
            "con": {"type": "array", "title": "Các con", "items": {"type": "string", "title": "Con"}},
        },
        "required": ["dong_y"],
    })
    root = parse_html(render_form(form, {"con": ["An", "Bình"]}, lang="en"))
    assert legend_of(root.xpath("//input[@name='f.dong_y']")[0]) == "Agree (required)"
    assert [label_of(root, r) for r in root.xpath("//input[@name='f.dong_y']")] == ["Yes", "No"]
    assert one(root, "//button[@name='_add']").text_content() == "Add Con"
    assert root.xpath("//button[@name='_remove']")[0].text_content() == "Remove Con 1"
    assert one(root, "//button[@name='_add']/span").get("lang") == "vi"  # Vietnamese inside English words
    sample_root = parse_html(render_form(to_khai, SAMPLE, lang="en"))
    label = one(sample_root, "//label[@for='f-tre_em-ho_ten']")
    assert label.text_content() == "Họ, chữ đệm và tên của trẻ (required)"
    assert one(label, "./span").get("lang") == "vi"
    summary = parse_html(error_summary([forms.FieldError("me.nam_sinh", "Year of birth must be a number.",
                                                         "field_type")], lang="en"))
    assert one(summary, "//h2").text_content() == "There is a problem"
    errors = [forms.FieldError("dong_y", "Answer yes or no.", "field_required")]
    assert "Error: Answer yes or no." in parse_html(render_form(form, {}, errors, lang="en")).text_content()
    vietnamese = parse_html(render_form(form, {}, errors))
    assert not vietnamese.xpath("//*[@lang]")  # Vietnamese page: nothing to mark
    assert legend_of(vietnamese.xpath("//input[@name='f.dong_y']")[0]) == "Đồng ý (bắt buộc)"
    assert [label_of(vietnamese, r) for r in vietnamese.xpath("//input[@name='f.dong_y']")] == ["Có", "Không"]


# --- steps (ui:steps) -------------------------------------------------------------------

def test_steps_follow_the_ui_schema(to_khai: CompiledForm) -> None:
    assert steps(to_khai) == [
        Step("Trường hợp khai sinh và người yêu cầu", ("truong_hop", "nguoi_yeu_cau", "uy_quyen")),
        Step("Thông tin của trẻ", ("tre_em", "giay_to_ve_viec_sinh", "nguoi_lam_chung", "bien_ban_bo_roi")),
        Step("Thông tin người mẹ", ("me",)),
        Step("Thông tin người cha", ("chua_xac_dinh_cha", "cha", "van_ban_mang_thai_ho")),
        Step("Lệ phí và nhận kết quả", ("doi_tuong_uu_tien", "doi_tuong_mien_le_phi", "nhan_ket_qua")),
    ]


def test_unlisted_fields_go_last_and_no_steps_is_one_step() -> None:
    schema = {"type": "object", "title": "Biểu mẫu", "properties": {n: {"type": "string"} for n in "abcd"}}
    ui = {"ui:steps": [{"title": "Một", "fields": ["b", "khong_co"]}, {"title": {"vi": "Hai", "en": "Two"},
                                                                       "fields": ["a", "b"]}, {"fields": []}]}
    form = compile_schema(schema, ui)
    assert steps(form) == [Step("Một", ("b",)), Step("Hai", ("a", "c", "d"))]
    assert steps(form, "en")[1].title == "Two"
    assert steps(compile_schema(schema)) == [Step("Biểu mẫu", ("a", "b", "c", "d"))]
    assert step_of(steps(form), "a.x") == 1 and step_of(steps(form), "") == 1 and step_of(steps(form), "b") == 0


def test_render_and_parse_one_step(to_khai: CompiledForm) -> None:
    only = steps(to_khai)[3].fields
    root = parse_html(render_form(to_khai, SAMPLE, [{"path": "tre_em.ho_ten", "message": "x"},
                                                    {"path": "cha.ho_ten", "message": "Thiếu"}], only=only))
    names = {name.split(".")[1] for name, _ in posted(root)}
    assert names == {"chua_xac_dinh_cha", "cha", "van_ban_mang_thai_ho"}
    assert [e.text_content() for e in root.cssselect(".field-error")] == ["Lỗi: Thiếu"]
    # Parsing that step keeps the other steps' answers from the draft and replaces this step's.
    base = {**SAMPLE, "cha": {"ho_ten": "Cũ"}}
    data = parse_form(to_khai, MultiDict(posted(root)), only=only, base=base)
    assert data == SAMPLE
    assert data["tre_em"] is not base["tre_em"]  # a copy: changing the result leaves the draft alone
    ticked = MultiDict([("f.chua_xac_dinh_cha", "true")])
    data = parse_form(to_khai, ticked, only=only, base=SAMPLE)
    assert data["chua_xac_dinh_cha"] is True and "cha" not in data and data["me"] == SAMPLE["me"]
    assert parse_form(to_khai, MultiDict(posted(root)), only=only) == {k: SAMPLE[k] for k in only if k in SAMPLE}


def test_errors_of_one_step(to_khai: CompiledForm) -> None:
    data = {k: v for k, v in SAMPLE.items() if k != "me"}
    data["tre_em"] = {**SAMPLE["tre_em"], "noi_sinh": ""}
    errors = forms.validate(to_khai, data)
    form_steps = steps(to_khai)
    assert [e.path for e in errors_in(errors, form_steps, 1)] == ["tre_em.noi_sinh"]
    assert [e.path for e in errors_in(errors, form_steps, 2)] == ["me"]
    assert errors_in(errors, form_steps, 0) == []
