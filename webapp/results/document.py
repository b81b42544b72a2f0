"""The result document's layout: an A4 page on the PDF base (webapp/pdf), before signing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from webapp.pdf import FONT_FAMILY, new_document, qr_png, to_bytes

_LABEL_MM = 50


@dataclass(frozen=True)
class ResultContent:
    unit_name: str
    procedure_name: str
    procedure_code: str
    dossier_code: str
    applicant: str
    result_name: str  # what the procedure issues, from procedure.yaml ``result.name``
    decision: str
    number: str
    issued_at: datetime  # Vietnam time
    tracking_url: str


def render(content: ResultContent) -> bytes:
    pdf = new_document(title=f"Kết quả giải quyết hồ sơ {content.dossier_code}", author=content.unit_name)
    pdf.add_page()
    width = pdf.epw
    pdf.set_font(FONT_FAMILY, "B", 10)
    pdf.multi_cell(width / 2, 5, content.unit_name.upper(), align="C", new_x="RIGHT", new_y="TOP")
    pdf.multi_cell(width / 2, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc", align="C",
                   new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FONT_FAMILY, "", 10)
    pdf.cell(width / 2, 6, f"Số: {content.number}", align="C")
    pdf.set_font(FONT_FAMILY, "I", 10)
    pdf.cell(width / 2, 6, content.issued_at.strftime("Ngày %d tháng %m năm %Y"), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font(FONT_FAMILY, "B", 15)
    pdf.multi_cell(width, 8, "KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", 11)
    pdf.multi_cell(width, 6, content.procedure_name + (f" (mã {content.procedure_code})"
                                                       if content.procedure_code else ""),
                   align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    for label, value in (
        ("Mã hồ sơ", content.dossier_code),
        ("Người yêu cầu", content.applicant),
        ("Kết quả", content.result_name),
        ("Quyết định", content.decision),
        ("Cơ quan giải quyết", content.unit_name),
    ):
        if not value:
            continue
        pdf.set_font(FONT_FAMILY, "B", 11)
        pdf.cell(_LABEL_MM, 7, label + ":")
        pdf.set_font(FONT_FAMILY, "", 11)
        pdf.multi_cell(width - _LABEL_MM, 7, value, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    top = pdf.get_y()
    pdf.image(qr_png(content.tracking_url), x=pdf.l_margin, y=top, w=32, h=32)
    pdf.set_xy(pdf.l_margin + 36, top)
    pdf.set_font(FONT_FAMILY, "", 9)
    pdf.multi_cell(width - 36, 5,
                   "Quét mã để tra cứu hồ sơ: " + content.tracking_url + "\n"
                   "Văn bản này được ký số bởi " + content.unit_name + ". Kiểm tra chữ ký tại trang "
                   "\"Xác minh chữ ký\" của Cổng dịch vụ công hoặc bằng phần mềm đọc PDF.",
                   align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_xy(pdf.l_margin + width / 2, max(pdf.get_y(), top + 34) + 4)
    pdf.set_font(FONT_FAMILY, "B", 11)
    pdf.multi_cell(width / 2, 6, "THỦ TRƯỞNG CƠ QUAN\n(đã ký số)", align="C", new_x="LMARGIN", new_y="NEXT")
    return to_bytes(pdf)
