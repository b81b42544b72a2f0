"""Every event the audit log records, with the words an officer reads on the audit page.

The enum's values are the codes stored in ``audit_log.action`` (stable: reports and exports
match on them); the labels may be reworded. ``record()`` accepts only these, so a new event
is added here, with its Vietnamese and English wording, or not at all.
"""

from __future__ import annotations

from enum import StrEnum


class Event(StrEnum):
    # people signing in
    CITIZEN_LOGGED_IN = "citizen.logged_in"
    OFFICER_LOGGED_IN = "officer.logged_in"
    OFFICER_PASSWORD_REHASHED = "officer.password_rehashed"
    OFFICER_LOGIN_FAILED = "officer.login_failed"
    OFFICER_LOGIN_LOCKED = "officer.login_locked"
    OFFICER_LOGGED_OUT = "officer.logged_out"
    ROLE_GRANTED = "role.granted"
    ROLE_REVOKED = "role.revoked"
    # a dossier's life
    DOSSIER_SUBMITTED = "dossier.submitted"
    DOSSIER_IDENTITY_CHECKED = "dossier.identity_checked"
    WORK_ITEM_CLAIMED = "work_item.claimed"
    WORK_ITEM_RELEASED = "work_item.released"
    WORK_ITEM_REASSIGNED = "work_item.reassigned"
    WORK_ITEM_COMPLETED = "work_item.completed"
    DOSSIER_MESSAGE_DELIVERED = "dossier.message_delivered"
    DOSSIER_TIMER_FIRED = "dossier.timer_fired"
    DOSSIER_CONNECTOR_ANSWERED = "dossier.connector_answered"
    DOSSIER_NOTE_ADDED = "dossier.note_added"
    DOSSIER_DEADLINE_ALERT = "dossier.deadline_alert"
    DEADLINE_ALERT_READ = "deadline_alert.read"
    DOSSIER_APOLOGY_ISSUED = "dossier.apology_issued"
    DOSSIER_WITHDRAWAL_REQUESTED = "dossier.withdrawal_requested"
    DOSSIER_WITHDRAWAL_DECIDED = "dossier.withdrawal_decided"
    DOSSIER_VERSION_MOVED = "dossier.version_moved"
    DOSSIER_RATED = "dossier.rated"
    # documents and results
    DOCUMENT_UPLOADED = "document.uploaded"
    DOCUMENT_VIEWED = "document.viewed"
    SLIP_PDF_DOWNLOADED = "slip.pdf_downloaded"
    DOSSIER_RESULT_SIGNED = "dossier.result_signed"
    DOSSIER_RESULT_STORED = "dossier.result_stored"
    DOSSIER_RESULT_DOWNLOADED = "dossier.result_downloaded"
    # payments
    PAYMENT_REQUESTED = "payment.requested"
    PAYMENT_CONFIRMED = "payment.confirmed"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_NEEDS_REFUND = "payment.needs_refund"
    PAYMENT_NOT_APPLIED = "payment.not_applied"
    PAYMENT_RECORDED_AT_DESK = "payment.recorded_at_desk"
    # procedures and the studio
    PROCEDURE_VERSION_STORED = "procedure.version_stored"
    PROCEDURE_PUBLISHED = "procedure.published"
    STUDIO_PROCEDURE_CREATED = "studio.procedure_created"
    STUDIO_DIAGRAM_SAVED = "studio.diagram_saved"
    STUDIO_DIAGRAM_REFUSED = "studio.diagram_refused"
    STUDIO_FORM_EDITED = "studio.form_edited"
    STUDIO_METADATA_EDITED = "studio.metadata_edited"
    STUDIO_TEST_RUN_STARTED = "studio.test_run_started"
    # operations
    JOB_RETRIED = "job.retried"
    QUALITY_RECOMPUTE_REQUESTED = "quality.recompute_requested"

    def label(self, lang: str = "vi") -> str:
        vi, en = LABELS[self]
        return en if lang == "en" else vi


LABELS: dict[Event, tuple[str, str]] = {
    Event.CITIZEN_LOGGED_IN: ("Công dân đăng nhập", "Citizen signed in"),
    Event.OFFICER_LOGGED_IN: ("Cán bộ đăng nhập", "Officer signed in"),
    Event.OFFICER_PASSWORD_REHASHED: ("Mật khẩu cán bộ được băm lại theo chuẩn mới",
                                      "Officer password re-hashed to the current scheme"),
    Event.OFFICER_LOGIN_FAILED: ("Đăng nhập cán bộ không thành công", "Officer sign-in failed"),
    Event.OFFICER_LOGIN_LOCKED: ("Tạm khóa đăng nhập do nhập sai nhiều lần",
                                 "Sign-in locked after too many failed attempts"),
    Event.OFFICER_LOGGED_OUT: ("Cán bộ đăng xuất (mọi phiên kết thúc)", "Officer signed out (every session ended)"),
    Event.ROLE_GRANTED: ("Cấp vai trò", "Role granted"),
    Event.ROLE_REVOKED: ("Thu hồi vai trò", "Role revoked"),
    Event.DOSSIER_SUBMITTED: ("Nộp hồ sơ", "Dossier submitted"),
    Event.DOSSIER_IDENTITY_CHECKED: ("Đối chiếu thông tin người nộp với CSDL dân cư",
                                     "Applicant checked against the population database"),
    Event.WORK_ITEM_CLAIMED: ("Nhận xử lý bước", "Step claimed"),
    Event.WORK_ITEM_RELEASED: ("Trả lại bước cho nhóm", "Step released"),
    Event.WORK_ITEM_REASSIGNED: ("Chuyển bước cho cán bộ khác", "Step reassigned"),
    Event.WORK_ITEM_COMPLETED: ("Hoàn thành bước", "Step completed"),
    Event.DOSSIER_MESSAGE_DELIVERED: ("Nhận thông tin từ bên ngoài (thanh toán, cơ quan khác)",
                                      "Message received (payment, another agency)"),
    Event.DOSSIER_TIMER_FIRED: ("Hết thời gian chờ theo quy trình", "Process timer fired"),
    Event.DOSSIER_CONNECTOR_ANSWERED: ("Hệ thống bên ngoài trả lời", "Outside system answered"),
    Event.DOSSIER_NOTE_ADDED: ("Thêm ghi chú nội bộ", "Internal note added"),
    Event.DOSSIER_DEADLINE_ALERT: ("Cảnh báo sắp đến hạn hoặc quá hạn", "Deadline alert"),
    Event.DEADLINE_ALERT_READ: ("Đã xem cảnh báo thời hạn", "Deadline alert read"),
    Event.DOSSIER_APOLOGY_ISSUED: ("Lập phiếu xin lỗi và hẹn lại ngày trả kết quả", "Apology slip issued"),
    Event.DOSSIER_WITHDRAWAL_REQUESTED: ("Công dân xin rút hồ sơ", "Withdrawal requested"),
    Event.DOSSIER_WITHDRAWAL_DECIDED: ("Quyết định về việc rút hồ sơ", "Withdrawal decided"),
    Event.DOSSIER_VERSION_MOVED: ("Chuyển hồ sơ sang phiên bản quy trình mới", "Dossier moved to a new version"),
    Event.DOSSIER_RATED: ("Công dân đánh giá", "Citizen rated the service"),
    Event.DOCUMENT_UPLOADED: ("Tải lên giấy tờ", "Document uploaded"),
    Event.DOCUMENT_VIEWED: ("Xem giấy tờ", "Document viewed"),
    Event.SLIP_PDF_DOWNLOADED: ("Tải mẫu phiếu (PDF)", "Desk form downloaded (PDF)"),
    Event.DOSSIER_RESULT_SIGNED: ("Ký số kết quả", "Result signed"),
    Event.DOSSIER_RESULT_STORED: ("Lưu kết quả vào kho dữ liệu của công dân",
                                  "Result stored in the citizen's data store"),
    Event.DOSSIER_RESULT_DOWNLOADED: ("Tải kết quả", "Result downloaded"),
    Event.PAYMENT_REQUESTED: ("Yêu cầu thanh toán trực tuyến", "Online payment requested"),
    Event.PAYMENT_CONFIRMED: ("Thanh toán thành công", "Payment confirmed"),
    Event.PAYMENT_FAILED: ("Thanh toán không thành công", "Payment failed"),
    Event.PAYMENT_NEEDS_REFUND: ("Khoản tiền cần hoàn lại", "Payment needs a refund"),
    Event.PAYMENT_NOT_APPLIED: ("Khoản thanh toán không gắn được vào hồ sơ", "Payment not applied to the dossier"),
    Event.PAYMENT_RECORDED_AT_DESK: ("Ghi nhận nộp phí tại quầy", "Payment recorded at the desk"),
    Event.PROCEDURE_VERSION_STORED: ("Lưu phiên bản thủ tục", "Procedure version stored"),
    Event.PROCEDURE_PUBLISHED: ("Công bố phiên bản thủ tục", "Procedure version published"),
    Event.STUDIO_PROCEDURE_CREATED: ("Tạo thủ tục mới", "Procedure created"),
    Event.STUDIO_DIAGRAM_SAVED: ("Lưu sơ đồ quy trình", "Diagram saved"),
    Event.STUDIO_DIAGRAM_REFUSED: ("Sơ đồ quy trình bị từ chối khi lưu (có lỗi)",
                                   "Diagram refused when saving (problems)"),
    Event.STUDIO_FORM_EDITED: ("Sửa biểu mẫu", "Form edited"),
    Event.STUDIO_METADATA_EDITED: ("Sửa thông tin thủ tục", "Procedure information edited"),
    Event.STUDIO_TEST_RUN_STARTED: ("Chạy thử quy trình", "Test run started"),
    Event.JOB_RETRIED: ("Chạy lại tác vụ nền bị lỗi", "Failed job retried"),
    Event.QUALITY_RECOMPUTE_REQUESTED: ("Yêu cầu tính lại chỉ số chất lượng", "Quality index recompute requested"),
}


def label(action: str, lang: str = "vi") -> str:
    """The words for a stored action code; an unknown code (from an older release) as it is."""
    try:
        return Event(action).label(lang)
    except ValueError:
        return action
