"""The approving step shows the result documents exactly as they will be signed (the same templates
and data as webapp/results/templated.py): on the page, and as the PDF to open beside it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for

from engine.runtime import VN_TZ
from webapp.dossiers.models import WorkItem
from webapp.pdf.template import TemplateError
from webapp.results import templated


def of(item: WorkItem, account_id: int) -> dict[str, Any] | None:
    """None unless ``item`` is a leader's step still to do on a procedure that declares its result documents."""
    dossier = item.dossier
    if item.role != templated.APPROVER_ROLE or item.state != "ready" or not templated.declared(dossier):
        return None
    preview: dict[str, Any] = {"pdf_url": url_for("results.officer_preview", code=dossier.code),
                               "documents": [], "error": None}
    try:
        preview["documents"] = templated.preview(
            dossier, templated.preview_signing(dossier, account_id=account_id, now=datetime.now(VN_TZ)))
    except TemplateError as err:
        preview["error"] = str(err)  # names a file and a key; the step can still be done
    return preview
