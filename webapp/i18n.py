"""Vietnamese first, English on request: ``?lang=en`` (remembered in a cookie) or the cookie."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, g, request

LANGS = ("vi", "en")
COOKIE = "lang"


def current_lang() -> str:
    if "lang" not in g:
        asked = request.args.get("lang") or request.cookies.get(COOKIE) or "vi"
        g.lang = asked if asked in LANGS else "vi"
    return g.lang


def text(value: Any, lang: str | None = None) -> str:
    """A ``{vi, en}`` text from metadata in the current language (Vietnamese when missing)."""
    lang = lang or current_lang()
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("vi") or next(iter(value.values()), ""))
    return "" if value is None else str(value)


def init_i18n(app: Flask) -> None:
    @app.context_processor
    def _helpers() -> dict[str, Any]:
        lang = current_lang()
        return {"lang": lang, "t": lambda vi, en: en if lang == "en" else vi, "text": text}

    @app.after_request
    def _remember(response: Response) -> Response:
        asked = request.args.get("lang")
        if asked in LANGS and request.cookies.get(COOKIE) != asked:
            response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
        return response


_LEVELS = {"province": ("Cấp tỉnh", "Province"), "district": ("Cấp huyện", "District"),
           "commune": ("Cấp xã", "Commune"), "central": ("Cấp trung ương", "Central")}
_SERVICE_LEVELS = {"toan_trinh": ("Toàn trình (nộp và nhận trực tuyến)", "Fully online"),
                   "mot_phan": ("Một phần (cần đến nộp bản gốc)", "Partly online (originals shown at the desk)")}
_DELIVERY = {"online": ("Trực tuyến", "Online"), "desk": ("Tại bộ phận một cửa", "At the desk"),
             "post": ("Qua bưu chính công ích", "By public post")}
_KINDS = {"electronic": ("Bản điện tử", "Electronic"), "copy": ("Bản sao", "Copy"),
          "certified_copy": ("Bản sao chứng thực", "Certified copy"), "original": ("Bản chính", "Original")}


def _pick(table: dict[str, tuple[str, str]], key: str | None) -> str:
    vi, en = table.get(key or "", (key or "", key or ""))
    return en if current_lang() == "en" else vi


def deadline_text(timing: dict[str, Any] | None) -> str:
    if not timing:
        return ""
    amount, unit = int(timing.get("amount", 0)), timing.get("unit", "working_days")
    english = current_lang() == "en"
    if amount == 0 and unit == "working_days":
        return "The same working day" if english else "Trong ngày làm việc"
    word = {"working_days": ("ngày làm việc", "working days"), "working_hours": ("giờ làm việc", "working hours")}
    vi, en = word.get(unit, (unit, unit))
    return f"{amount} {en if english else vi}"


def local_time(moment: Any) -> str:
    """A timestamp as officers read it: Vietnam time, day/month/year."""
    if moment is None:
        return ""
    return moment.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%H:%M %d/%m/%Y")


def money(amount: Any) -> str:
    try:
        value = int(amount)
    except (TypeError, ValueError):
        return str(amount)
    return f"{value:,}".replace(",", ".") + " đ"


def register_filters(app: Flask) -> None:
    app.jinja_env.globals.update(
        level_name=lambda key: _pick(_LEVELS, key), service_level_name=lambda key: _pick(_SERVICE_LEVELS, key),
        component_kind=lambda key: _pick(_KINDS, key), deadline_text=deadline_text, money=money, local=local_time)
    app.jinja_env.filters["delivery_name"] = lambda key: _pick(_DELIVERY, key)
