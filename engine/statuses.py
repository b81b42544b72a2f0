"""National dossier status codes (Cổng Dịch vụ công quốc gia) and channels."""

from __future__ import annotations

from enum import IntEnum


class DossierStatus(IntEnum):
    NEW = 1
    RECEIVED = 2
    REFUSED = 3
    PROCESSING = 4
    SUPPLEMENT_REQUESTED = 5
    PAYMENT_REQUESTED = 6
    WITHDRAWAL_REQUESTED = 7
    STOPPED = 8
    RESULT_READY = 9
    RETURNED = 10

    def label(self, lang: str = "vi") -> str:
        vi, en = _LABELS[self]
        return en if lang == "en" else vi


_LABELS = {
    DossierStatus.NEW: ("Mới đăng ký", "New"),
    DossierStatus.RECEIVED: ("Được tiếp nhận", "Received"),
    DossierStatus.REFUSED: ("Không được tiếp nhận", "Refused at intake"),
    DossierStatus.PROCESSING: ("Đang xử lý", "Processing"),
    DossierStatus.SUPPLEMENT_REQUESTED: ("Yêu cầu bổ sung giấy tờ", "Supplement requested"),
    DossierStatus.PAYMENT_REQUESTED: ("Yêu cầu thực hiện nghĩa vụ tài chính", "Payment requested"),
    DossierStatus.WITHDRAWAL_REQUESTED: ("Công dân yêu cầu rút hồ sơ", "Withdrawal requested"),
    DossierStatus.STOPPED: ("Dừng xử lý", "Stopped"),
    DossierStatus.RESULT_READY: ("Đã xử lý xong", "Result ready"),
    DossierStatus.RETURNED: ("Đã trả kết quả", "Result returned"),
}


class Channel(IntEnum):
    IN_PERSON = 1
    ONLINE = 2
    POST = 3
