"""Server-side form validation: every error as {path, message}, in Vietnamese or English."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import forms
from engine.runtime import Engine
from tests.conftest import DATA, library_package

TO_KHAI = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def start_form(engine: Engine) -> forms.CompiledForm:
    form = engine.load(library_package("khai-sinh")).start_form
    assert form is not None
    return form


def _errors(form: forms.CompiledForm, data: dict, lang: str = "vi") -> dict[str, forms.FieldError]:
    return {e.path: e for e in forms.validate(form, data, lang)}


def test_sample_declaration_is_valid(start_form: forms.CompiledForm) -> None:
    assert forms.validate(start_form, TO_KHAI) == []


def test_every_error_is_reported_at_once_with_dotted_paths(start_form: forms.CompiledForm) -> None:
    data = copy.deepcopy(TO_KHAI)
    del data["tre_em"]["ho_ten"]                    # required, inside a nested object
    data["tre_em"]["ngay_sinh"] = "2025-02-30"      # not a real date
    data["me"]["so_dinh_danh"] = "12ab"             # not 12 digits
    data["nguoi_yeu_cau"]["quan_he_voi_tre"] = "hang_xom"  # not in the list
    errors = _errors(start_form, data)
    assert {"tre_em.ho_ten", "tre_em.ngay_sinh", "me.so_dinh_danh", "nguoi_yeu_cau.quan_he_voi_tre"} <= set(errors)
    assert errors["tre_em.ho_ten"].code == "field_required"
    assert errors["tre_em.ngay_sinh"].code == "field_format_date"
    assert errors["me.so_dinh_danh"].code == "field_pattern"
    assert errors["nguoi_yeu_cau.quan_he_voi_tre"].code == "field_enum"


def test_messages_are_vietnamese_by_default_and_english_on_request(start_form: forms.CompiledForm) -> None:
    data = copy.deepcopy(TO_KHAI)
    del data["tre_em"]["ho_ten"]
    vi = _errors(start_form, data)["tre_em.ho_ten"].message
    en = _errors(start_form, data, "en")["tre_em.ho_ten"].message
    assert vi.startswith("Vui lòng nhập") and en.startswith("Enter")
    # The field is named by its title in the form, not by its key.
    assert "ho_ten" not in vi


def test_local_title_wins_over_the_common_fragment_title(start_form: forms.CompiledForm) -> None:
    data = copy.deepcopy(TO_KHAI)
    del data["me"]
    assert "Thông tin người mẹ" in _errors(start_form, data)["me"].message


def test_wrong_types_and_unknown_fields(engine: Engine) -> None:
    form = engine.load(library_package("khai-sinh")).forms["khai-sinh/tiep-nhan.schema.json"]
    errors = _errors(form, {"ket_qua_tiep_nhan": 3, "bi_mat": "x"}, "en")
    assert errors["ket_qua_tiep_nhan"].code == "field_type"
    assert "text" in errors["ket_qua_tiep_nhan"].message or "string" in errors["ket_qua_tiep_nhan"].message
    assert errors["bi_mat"].code == "field_additional"


def test_conditional_requirements_follow_the_decision(engine: Engine) -> None:
    form = engine.load(library_package("khai-sinh")).forms["khai-sinh/tiep-nhan.schema.json"]
    assert forms.validate(form, {"ket_qua_tiep_nhan": "tiep_nhan"}) == []
    errors = _errors(form, {"ket_qua_tiep_nhan": "yeu_cau_bo_sung"})
    assert set(errors) == {"ly_do", "giay_to_can_bo_sung"}


def test_date_time_format_is_checked(engine: Engine) -> None:
    from tests.conftest import test_package

    form = engine.load(test_package("cho-tin")).start_form
    assert form is not None
    assert _errors(form, {"han_cho": "ngày mai"})["han_cho"].code == "field_format"
    assert forms.validate(form, {"han_cho": "2026-06-08T09:00:00+07:00"}) == []


def test_field_error_serialises_as_path_and_message(start_form: forms.CompiledForm) -> None:
    data = copy.deepcopy(TO_KHAI)
    del data["tre_em"]
    (error,) = forms.validate(start_form, data)
    assert error.as_dict() == {"path": "tre_em", "message": error.message}


# The fast Rust validator only answers "valid?"; it must never accept what jsonschema refuses.
_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=15)
    | st.sampled_from(["2025-02-30", "2025-06-02", "036092004567", "nam", "tiep_nhan", ""]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fast_and_full_validators_agree(start_form: forms.CompiledForm, data: st.DataObject) -> None:
    assert start_form.fast is not None
    value = copy.deepcopy(TO_KHAI)
    for _ in range(data.draw(st.integers(0, 3))):
        path = data.draw(st.sampled_from(list(_paths(value))[1:]))
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(_ANY_JSON)
    full_says_valid = not list(start_form.validator.iter_errors(value))
    assert start_form.fast.is_valid(value) == full_says_valid
