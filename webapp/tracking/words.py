"""Each national status in plain words: what it means for the citizen and what comes next."""

from __future__ import annotations

from typing import Any

from engine.statuses import DossierStatus

_PLAIN = {
    DossierStatus.NEW: (
        "Hồ sơ đã được gửi. Bộ phận Một cửa sẽ kiểm tra và tiếp nhận; bạn chưa cần làm gì.",
        "Your dossier has been sent. The one-stop desk will check and receive it; nothing to do yet."),
    DossierStatus.RECEIVED: (
        "Hồ sơ đã được tiếp nhận và chuyển đến người xử lý.",
        "Your dossier has been received and passed on to be processed."),
    DossierStatus.REFUSED: (
        "Hồ sơ không được tiếp nhận. Lý do được gửi kèm thông báo; bạn có thể nộp hồ sơ mới.",
        "Your dossier was not accepted. The reason comes with the notice; you can submit a new one."),
    DossierStatus.PROCESSING: (
        "Cơ quan đang xem xét, xử lý hồ sơ của bạn; bạn chưa cần làm gì.",
        "The agency is working on your dossier; nothing to do yet."),
    DossierStatus.SUPPLEMENT_REQUESTED: (
        "Hồ sơ còn thiếu giấy tờ hoặc thông tin. Hãy bổ sung theo hướng dẫn; "
        "thời hạn xử lý tạm dừng đến khi bạn bổ sung.",
        "Something is missing. Please supply it as asked; the deadline is paused until you do."),
    DossierStatus.PAYMENT_REQUESTED: (
        "Bạn cần nộp phí, lệ phí hoặc thực hiện nghĩa vụ tài chính để hồ sơ được xử lý tiếp.",
        "Please pay the fee or charge due so that your dossier can go on."),
    DossierStatus.WITHDRAWAL_REQUESTED: (
        "Bạn đã yêu cầu rút hồ sơ. Cơ quan sẽ xem xét và dừng xử lý.",
        "You asked to withdraw the dossier. The agency will review it and stop processing."),
    DossierStatus.STOPPED: (
        "Cơ quan đã dừng xử lý hồ sơ. Lý do được gửi kèm thông báo.",
        "The agency has stopped processing the dossier. The reason comes with the notice."),
    DossierStatus.RESULT_READY: (
        "Đã có kết quả. Bạn nhận kết quả theo hình thức đã chọn khi nộp hồ sơ.",
        "The result is ready. You receive it the way you chose when submitting."),
    DossierStatus.RETURNED: (
        "Kết quả đã được trả cho bạn. Hồ sơ đã hoàn thành.",
        "The result has been handed to you. The dossier is complete."),
}


def plain(status: int | None, lang: str = "vi") -> str:
    """What ``status`` means for the citizen, in their language; empty for an unknown code."""
    if status not in DossierStatus._value2member_map_:
        return ""
    vi, en = _PLAIN[DossierStatus(status)]
    return en if lang == "en" else vi


def label(status: int | None, lang: str = "vi") -> str:
    if status not in DossierStatus._value2member_map_:
        return ""
    return DossierStatus(status).label(lang)


def describe(event: Any, lang: str = "vi") -> str:
    """One timeline line (a tracking.service.Event) in words."""
    if event.kind == "submitted":
        return "Submitted" if lang == "en" else "Nộp hồ sơ"
    if event.kind == "status":
        return label(event.status, lang)
    if event.kind == "apology":  # form 04
        return "Apology for the delay, with a new date" if lang == "en" else "Cơ quan xin lỗi vì chậm trễ và hẹn lại"
    done = "Step done" if lang == "en" else "Hoàn thành bước"
    return f"{done}: {event.name}" if event.name else done


def template_helpers(lang: str) -> dict[str, Any]:
    """What the tracking templates call to put statuses and timeline lines into words."""
    return {"label": lambda code: label(code, lang), "plain": lambda code: plain(code, lang),
            "describe": lambda event: describe(event, lang)}
