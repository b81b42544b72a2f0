"""One error shape everywhere under /api: {"error": {"code", "message", "fields"?}}. Never a traceback."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Messages in Vietnamese first; the API also accepts Accept-Language: en.
MESSAGES: dict[str, tuple[str, str]] = {
    "unauthenticated": ("Cần đăng nhập (thiếu hoặc sai mã truy cập).",
                        "Authentication required (missing or invalid token)."),
    "forbidden": ("Tài khoản không có quyền thực hiện thao tác này.", "This account may not do this."),
    "not_found": ("Không tìm thấy.", "Not found."),
    "not_eligible": ("Cán bộ này không giữ vai trò của bước này tại đơn vị.",
                     "That officer does not hold this step's role in this unit."),
    "withdrawal_pending": ("Người nộp đã yêu cầu rút hồ sơ: Bộ phận Một cửa cần quyết định trước.",
                           "The applicant asked to withdraw the dossier: the one-stop desk decides first."),
    "no_withdrawal_request": ("Hồ sơ không có yêu cầu rút đang chờ quyết định.",
                              "The dossier has no pending withdrawal request."),
    "invalid_note": ("Không chấp nhận thì phải ghi lý do (tối đa 500 ký tự).",
                     "Declining needs a reason of at most 500 characters."),
    "method_not_allowed": ("Phương thức không được hỗ trợ.", "Method not allowed."),
    "bad_json": ("Nội dung gửi lên không phải JSON hợp lệ.", "The request body is not valid JSON."),
    "bad_request": ("Yêu cầu không hợp lệ.", "Bad request."),
    "too_large": ("Tệp hoặc nội dung gửi lên quá lớn.", "The upload or request body is too large."),
    "invalid_data": ("Dữ liệu chưa hợp lệ, xem từng trường.", "Some fields are invalid; see each field."),
    "conflict": ("Hồ sơ vừa được người khác cập nhật; hãy tải lại và thử lại.",
                 "Someone else has just updated this dossier; reload and try again."),
    "internal": ("Hệ thống gặp lỗi; đã ghi nhận để xử lý.", "Something went wrong on our side; it has been logged."),
    "package_invalid": ("Gói thủ tục có lỗi, xem danh sách.", "The procedure package has problems; see the list."),
    "unknown_procedure": ("Không có thủ tục đang áp dụng với mã này.", "No published procedure with this slug."),
    "invalid_channel": ("Kênh nộp phải là 1 (trực tiếp), 2 (trực tuyến) hoặc 3 (bưu chính).",
                        "The channel must be 1 (desk), 2 (online) or 3 (post)."),
    "unknown_unit": ("Không có đơn vị với mã này.", "No unit with this code."),
    "unit_required": ("Hãy chọn đơn vị tiếp nhận hồ sơ.", "Say which unit receives the dossier."),
    "applicant_required": ("Hãy nhập số định danh 12 chữ số của người nộp.",
                           "Give the applicant's 12-digit identity number."),
    "claimed": ("Bước này đã có cán bộ khác nhận xử lý.", "Another officer has claimed this step."),
    "not_claimed": ("Bạn chưa nhận xử lý bước này.", "You have not claimed this step."),
    "work_item_closed": ("Bước này đã được xử lý xong.", "This step has already been done."),
    "task_not_ready": ("Bước này không còn chờ xử lý.", "This step is no longer waiting."),
    "instance_is_failed": ("Hồ sơ đang bị lỗi quy trình, cần quản trị xử lý.",
                           "The dossier's process has failed and needs an administrator."),
    "unknown_component": ("Thủ tục không có thành phần hồ sơ này.", "The procedure has no such dossier component."),
    "file_type_not_allowed": ("Loại tệp này không được chấp nhận cho thành phần hồ sơ.",
                              "This file type is not accepted for the component."),
    "file_too_large": ("Tệp vượt quá dung lượng cho phép của thành phần hồ sơ.",
                       "The file is larger than the component allows."),
    "content_mismatch": ("Nội dung tệp không khớp với loại tệp khai báo.",
                         "The file's content does not match its declared type."),
    "empty_file": ("Tệp rỗng.", "The file is empty."),
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str | None = None, fields: list[dict[str, Any]] | None = None):
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        super().__init__(code)


def wants_english() -> bool:
    return (request.accept_languages.best_match(["vi", "en"]) or "vi") == "en"


def message_for(code: str) -> str:
    vi, en = MESSAGES.get(code, MESSAGES["bad_request"])
    return en if wants_english() else vi


def error_response(status: int, code: str, message: str | None = None,
                   fields: list[dict[str, Any]] | None = None) -> Response:
    body: dict[str, Any] = {"code": code, "message": message or message_for(code)}
    if fields is not None:
        body["fields"] = fields
    response = jsonify({"error": body})
    response.status_code = status
    return response


_HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 409: "conflict", 413: "too_large", 422: "invalid_data"}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(err: ApiError) -> Response:
        return error_response(err.status, err.code, err.message, err.fields)

    @app.errorhandler(HTTPException)
    def _http_error(err: HTTPException) -> Response | HTTPException:
        if not request.path.startswith("/api/"):
            return err
        status = err.code or 500
        return error_response(status, _HTTP_CODES.get(status, "bad_request"))

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response | tuple[str, int]:
        # The traceback goes to the server log (no request data), never to the client.
        log.exception("unhandled error on %s %s", request.method, request.path)
        if request.path.startswith("/api/"):
            return error_response(500, "internal")
        return "Internal error", 500
