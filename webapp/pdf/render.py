"""Turn a desk-form template (:mod:`webapp.pdf.template`) and its context into PDF bytes.

The page follows the national layout: issuing body top left, the national motto top right,
number and place/date below them, the title centred, then the template's blocks in order.
Every placeholder is filled before anything is drawn, so a broken template fails with a
:class:`~webapp.pdf.template.TemplateError` and never with half a document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from webapp.pdf import FONT_FAMILY, new_document, qr_png, to_bytes
from webapp.pdf.template import SlipTemplate, TemplateError, fill, known, lookup

LINE = 5.5  # mm per line of 11 pt text
LEFT_SHARE = 0.42  # of the text width: the issuing body's column in the header


def render(template: SlipTemplate, context: Mapping[str, Any]) -> bytes:
    return render_all([(template, context)])


def render_all(documents: Sequence[tuple[SlipTemplate, Mapping[str, Any]]]) -> bytes:
    """Several templates in one PDF, each from a new page (a result with its notices); all filled first."""
    filled = [(template, resolve(template, context)) for template, context in documents]
    first = filled[0][1]
    pdf = new_document(title=first["title"], author=first["header"]["left"][-1])
    for template, page in filled:
        pdf.add_page(orientation="L" if template.data.get("orientation") == "landscape" else "P")
        _draw(pdf, page)
    return to_bytes(pdf)


def _draw(pdf: FPDF, filled: dict[str, Any]) -> None:
    _header(pdf, filled["header"])
    pdf.set_font(FONT_FAMILY, "B", 13)
    pdf.multi_cell(0, 7, filled["title"].upper(), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if filled.get("subtitle"):
        pdf.set_font(FONT_FAMILY, "I", 11)
        pdf.multi_cell(0, LINE, filled["subtitle"], align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    for kind, block in filled["blocks"]:
        pdf.set_font(FONT_FAMILY, "", 11)
        _DRAW[kind](pdf, block)


# --- filling: everything the page shows, as plain strings --------------------------------------

def resolve(template: SlipTemplate, context: Mapping[str, Any]) -> dict[str, Any]:
    """The template with every placeholder replaced; blocks whose ``when`` is empty are dropped."""
    data = template.data

    def text(value: str, key: str, scope: Mapping[str, Any] = context) -> str:
        return fill(value, scope, where=template.where(key))

    header = data["header"]
    out: dict[str, Any] = {
        "title": text(data["title"], "title"),
        "subtitle": text(data.get("subtitle", ""), "subtitle"),
        "header": {side: [text(line, f"header.{side}[{i}]") for i, line in enumerate(header[side])]
                   for side in ("left", "right")}
        | {key: text(header.get(key, ""), f"header.{key}") for key in ("form_label", "number", "place_date")},
        "blocks": [],
    }
    for index, block in enumerate(data["blocks"]):
        key = f"blocks[{index}]"
        if "when" in block:
            if not known(context, block["when"]):
                raise TemplateError(template.where(f"{key}.when") + f": unknown name {block['when']!r}")
            if not lookup(context, block["when"]):
                continue
        kind = next(k for k in block if k not in ("when", "style", "align", "start"))
        out["blocks"].append((kind, _resolve_block(kind, block, key, text, template, context)))
    return out


def _resolve_block(kind: str, block: Mapping[str, Any], key: str, text: Any, template: SlipTemplate,
                   context: Mapping[str, Any]) -> Any:
    body = block[kind]
    if kind == "heading":
        return text(body, f"{key}.heading")
    if kind == "paragraph":
        return {"text": text(body, f"{key}.paragraph"), "style": block.get("style", ""),
                "align": block.get("align", "justify")}
    if kind == "numbered":
        return {"start": block.get("start", 1),
                "lines": [text(line, f"{key}.numbered[{i}]") for i, line in enumerate(body)]}
    if kind == "fields":
        return [(text(f["label"], f"{key}.fields[{i}].label"), text(f["value"], f"{key}.fields[{i}].value"))
                for i, f in enumerate(body)]
    if kind == "list":
        items = _sequence(template, context, body["items"], f"{key}.list.items")
        return {"numbered": body.get("numbered", True), "empty": text(body.get("empty", ""), f"{key}.list.empty"),
                "lines": [text(body["text"], f"{key}.list.text", {**context, "item": item}) for item in items]}
    if kind == "table":
        rows = _sequence(template, context, body["rows"], f"{key}.table.rows")
        columns = body["columns"]
        return {"font_size": body.get("font_size", 9), "empty": text(body.get("empty", ""), f"{key}.table.empty"),
                "widths": [c.get("width", 1) for c in columns],
                "headers": [text(c["header"], f"{key}.table.columns[{i}].header") for i, c in enumerate(columns)],
                "rows": [[text(c["value"], f"{key}.table.columns[{i}].value", {**context, "row": row})
                          for i, c in enumerate(columns)] for row in rows]}
    if kind == "signatures":
        return [{part: text(s.get(part, ""), f"{key}.signatures[{i}].{part}") for part in ("title", "note", "name")}
                for i, s in enumerate(body)]
    if kind == "qr":
        return {"url": text(body["url"], f"{key}.qr.url"), "size": body.get("size", 24),
                "caption": text(body.get("caption", ""), f"{key}.qr.caption")}
    return body  # spacer: a number


def _sequence(template: SlipTemplate, context: Mapping[str, Any], name: str, key: str) -> list[Any]:
    found = lookup(context, name)
    if not isinstance(found, (list, tuple)):
        raise TemplateError(template.where(key) + f": {name!r} is not a list this form provides")
    return list(found)


# --- drawing --------------------------------------------------------------------------------------

def _header(pdf: FPDF, header: dict[str, Any]) -> None:
    if header["form_label"]:
        pdf.set_font(FONT_FAMILY, "I", 9)
        pdf.cell(0, 4, header["form_label"], align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top, left_w = pdf.get_y(), pdf.epw * LEFT_SHARE
    right_w = pdf.epw - left_w
    left_end = _header_column(pdf, pdf.l_margin, top, left_w, header["left"], font_size=10)
    right_end = _header_column(pdf, pdf.l_margin + left_w, top, right_w, header["right"], font_size=10,
                               plain_first=False)
    y = max(left_end, right_end) + 2
    pdf.set_font(FONT_FAMILY, "", 10)
    if header["number"]:
        pdf.set_xy(pdf.l_margin, y)
        pdf.multi_cell(left_w, LINE, header["number"], align="C")
    if header["place_date"]:
        pdf.set_xy(pdf.l_margin + left_w, y)
        pdf.set_font(FONT_FAMILY, "I", 10)
        pdf.multi_cell(right_w, LINE, header["place_date"], align="C")
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), y + LINE) + 4)


def _header_column(pdf: FPDF, x: float, y: float, width: float, lines: list[str], *, font_size: float,
                   plain_first: bool = True) -> float:
    """Centred lines, the last one bold and underlined with a short rule (the issuing body's style)."""
    pdf.set_xy(x, y)
    for index, line in enumerate(lines):
        last = index == len(lines) - 1
        bold = last or not plain_first
        pdf.set_font(FONT_FAMILY, "B" if bold else "", font_size)
        pdf.set_x(x)
        pdf.multi_cell(width, LINE, line.upper() if plain_first else line, align="C",
                       new_x=XPos.LEFT, new_y=YPos.NEXT)
    rule = min(width * 0.45, 40)
    end = pdf.get_y() + 0.8
    pdf.line(x + (width - rule) / 2, end, x + (width + rule) / 2, end)
    return end


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(1)
    pdf.set_font(FONT_FAMILY, "B", 11)
    pdf.multi_cell(0, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


_ALIGN = {"left": "L", "center": "C", "right": "R", "justify": "J"}


def _paragraph(pdf: FPDF, block: dict[str, Any]) -> None:
    pdf.set_font(FONT_FAMILY, block.get("style", ""), 11)
    pdf.multi_cell(0, LINE, block["text"], align=_ALIGN[block.get("align", "justify")],
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _numbered(pdf: FPDF, block: dict[str, Any]) -> None:
    for number, line in enumerate(block["lines"], start=block["start"]):
        _hanging(pdf, f"{number}.", line)


def _hanging(pdf: FPDF, mark: str, text: str) -> None:
    pdf.set_x(pdf.l_margin)
    pdf.cell(7, LINE, mark)
    pdf.multi_cell(0, LINE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(0.5)


def _fields(pdf: FPDF, pairs: list[tuple[str, str]]) -> None:
    for label, value in pairs:
        pdf.set_x(pdf.l_margin)
        pdf.set_font(FONT_FAMILY, "", 11)
        pdf.write(LINE, f"{label}: ")
        pdf.set_font(FONT_FAMILY, "B", 11)
        pdf.write(LINE, value or "…")
        pdf.ln(LINE + 1)


def _list(pdf: FPDF, block: dict[str, Any]) -> None:
    if not block["lines"]:
        if block["empty"]:
            _paragraph(pdf, {"text": block["empty"]})
        return
    for number, line in enumerate(block["lines"], start=1):
        _hanging(pdf, f"{number}." if block["numbered"] else "–", line)


def _table(pdf: FPDF, block: dict[str, Any]) -> None:
    if not block["rows"]:
        if block["empty"]:
            _paragraph(pdf, {"text": block["empty"]})
        return
    pdf.set_font(FONT_FAMILY, "", block["font_size"])
    with pdf.table(col_widths=block["widths"], line_height=block["font_size"] * 0.5, text_align="LEFT",
                   first_row_as_headings=True) as table:
        for values in [block["headers"], *block["rows"]]:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.ln(2)


def _keep_together(pdf: FPDF, height: float) -> None:
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page(orientation=pdf.cur_orientation)


def _signatures(pdf: FPDF, blocks: list[dict[str, str]]) -> None:
    _keep_together(pdf, 45)
    pdf.ln(4)
    top, width = pdf.get_y(), pdf.epw / len(blocks)
    bottom = top
    for index, block in enumerate(blocks):
        x = pdf.l_margin + index * width
        pdf.set_xy(x, top)
        pdf.set_font(FONT_FAMILY, "B", 11)
        pdf.multi_cell(width, LINE, block["title"], align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        if block["note"]:
            pdf.set_font(FONT_FAMILY, "I", 9)
            pdf.multi_cell(width, LINE, block["note"], align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.ln(22)  # room to sign and stamp
        pdf.set_x(x)
        pdf.set_font(FONT_FAMILY, "B", 11)
        pdf.multi_cell(width, LINE, block["name"], align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(pdf.l_margin, bottom + 2)


def _qr(pdf: FPDF, block: dict[str, Any]) -> None:
    size = block["size"]
    _keep_together(pdf, size + 4)
    pdf.ln(2)
    top = pdf.get_y()
    pdf.image(qr_png(block["url"]), x=pdf.l_margin, y=top, w=size, h=size)
    pdf.set_xy(pdf.l_margin + size + 4, top + 2)
    pdf.set_font(FONT_FAMILY, "I", 9)
    pdf.multi_cell(pdf.epw - size - 4, 4.5, "\n".join(filter(None, [block["caption"], block["url"]])),
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_xy(pdf.l_margin, max(pdf.get_y(), top + size) + 2)


def _spacer(pdf: FPDF, height: float) -> None:
    pdf.ln(height)


_DRAW: dict[str, Any] = {"heading": _heading, "paragraph": _paragraph, "numbered": _numbered, "fields": _fields,
                         "list": _list, "table": _table, "signatures": _signatures, "qr": _qr, "spacer": _spacer}
