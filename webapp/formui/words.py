"""The few fixed words of a generated form, Vietnamese first; everything else comes from the schema."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

LANGS = ("vi", "en")

_WORDS: dict[str, tuple[str, str]] = {
    "required": ("(bắt buộc)", "(required)"),
    "yes": ("Có", "Yes"),
    "no": ("Không", "No"),
    "add": ("Thêm {title}", "Add {title}"),
    "remove": ("Xoá {title}", "Remove {title}"),
    "summary": ("Có lỗi cần sửa", "There is a problem"),
    "error": ("Lỗi:", "Error:"),
    "choose": ("— Chọn —", "— Select —"),
    "continue": ("Tiếp tục", "Continue"),
    "or": (" hoặc ", " or "),
    "only_if": ("Chỉ điền khi {field} là {value}", "Only if {field} is {value}"),
    "only_if_not": ("Chỉ điền khi {field} không phải là {value}", "Only if {field} is not {value}"),
    "only_if_filled": ("Chỉ điền khi đã điền {field}", "Only if you filled in {field}"),
    "option": ("Phương án {n}", "Option {n}"),
    "further": ("Thông tin thêm (chỉ điền nếu áp dụng)", "Further details (only if they apply)"),
}


def pick_lang(lang: str) -> str:
    return lang if lang in LANGS else "vi"


def word(key: str, lang: str) -> str:
    vi, en = _WORDS[key]
    return en if lang == "en" else vi


def fmt(key: str, lang: str, **params: Any) -> Markup:
    """A fixed sentence with escaped parameters (pass Markup for already-built parts)."""
    return Markup(word(key, lang)).format(**params)
