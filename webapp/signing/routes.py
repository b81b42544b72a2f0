"""``/xac-minh-chu-ky``: anyone uploads a PDF and learns whether its signatures are valid.

Nothing is stored: the file is checked in memory and forgotten.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Flask, render_template, request
from flask.typing import ResponseReturnValue

from webapp.signing import service
from webapp.signing.keys import SigningKeyMissing

bp = Blueprint("signing", __name__)
log = logging.getLogger(__name__)
MAX_MB = 10
_PROBLEMS = {
    "not_pdf": ("Tệp này không phải là PDF.", "This file is not a PDF."),
    "unreadable": ("Không đọc được tệp PDF này (tệp hỏng hoặc không đúng định dạng).",
                   "This PDF cannot be read (damaged or malformed)."),
    "unsigned": ("Tệp PDF này không có chữ ký số.", "This PDF carries no digital signature."),
}


@bp.route("/xac-minh-chu-ky", methods=["GET", "POST"])
def verify_page() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("signing/verify.html", errors=[], result=None, max_mb=MAX_MB)
    errors, data = [], b""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors.append(("file", "Hãy chọn tệp PDF cần kiểm tra.", "Choose the PDF file to check."))
    else:
        data = upload.stream.read(MAX_MB * 1024 * 1024 + 1)
        if len(data) > MAX_MB * 1024 * 1024:
            errors.append(("file", f"Tệp lớn hơn {MAX_MB} MB.", f"The file is larger than {MAX_MB} MB."))
        elif not data:
            errors.append(("file", "Tệp rỗng.", "The file is empty."))
    if errors:
        return render_template("signing/verify.html", errors=errors, result=None, max_mb=MAX_MB), 422
    try:
        result = service.check(data)
    except SigningKeyMissing:
        log.error("signature verification is not configured: no trusted root certificates")
        return render_template("signing/verify.html", errors=[("file", "Chức năng xác minh chưa được cấu hình.",
                                                               "Verification is not configured.")],
                               result=None, max_mb=MAX_MB), 503
    if result.problem in _PROBLEMS:
        vi, en = _PROBLEMS[result.problem]
        return render_template("signing/verify.html", errors=[("file", vi, en)], result=None, max_mb=MAX_MB), 422
    return render_template("signing/verify.html", errors=[], result=result, filename=upload.filename if upload
                           else "", max_mb=MAX_MB)


def init_signing(app: Flask) -> None:
    app.register_blueprint(bp)
    # pyHanko logs a traceback for every untrusted certificate path: anyone uploading a PDF signed
    # by some other CA would fill the log. The page says so to the person who asked instead.
    logging.getLogger("pyhanko.sign.validation.generic_cms").setLevel(logging.ERROR)
