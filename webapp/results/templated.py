"""Result documents the package declares (``procedure.yaml`` ``result.documents``), drawn with the
desk forms' template system (webapp/pdf): one PDF, each document from a new page.

The same function fills the leader's preview and the signed result, so what the leader approves is
what the citizen receives; only the signature (and the date, when signed another day) is added.
Each template reads the fields its document declares (engine/result_documents.py resolves their
paths in the dossier's data) and the names below, the same for every procedure:

``dossier.code / procedure / procedure_code``, ``unit.name / code`` (the signing unit), ``province``,
``number`` (the result's number), ``issued.day / month / year / date``, ``signer.title / name``,
``applicant`` (the account's name), ``tracking_url``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import yaml
from flask import current_app

from engine import result_documents
from engine.package import PackageSource
from engine.runtime import VN_TZ
from webapp.accounts.models import Account, Unit
from webapp.dossiers.models import Dossier, WorkItem
from webapp.extensions import db
from webapp.i18n import text
from webapp.pdf import render as renderer
from webapp.pdf import template as templates
from webapp.pdf.slips import province_name
from webapp.procedures import service as procedures

APPROVER_ROLE = "lanh_dao"


@dataclass(frozen=True)
class Signing:
    """What only the moment of signing knows: who signs, for which unit, under which number, when."""

    unit: Unit
    signer_name: str
    number: str
    at: datetime


def declared(dossier: Dossier) -> list[dict[str, Any]]:
    return result_documents.declared(dossier.procedure_version.meta)


def number_of(dossier: Dossier) -> str:
    return f"{dossier.code}/KQ"


def signer_title(meta: Mapping[str, Any]) -> str:
    """The approving lane's name in procedure.yaml (e.g. "Lãnh đạo Ủy ban nhân dân cấp xã")."""
    for lane in (meta.get("lanes") or {}).values():
        if isinstance(lane, Mapping) and lane.get("role") == APPROVER_ROLE and lane.get("name"):
            return text(lane["name"], "vi")
    return "Thủ trưởng cơ quan"


def dossier_data(dossier: Dossier) -> dict[str, Any]:
    """The dossier's data as its process holds it now: the declaration, every step's form, the scripts' variables."""
    instance = procedures.engine().deserialize(procedures.compiled(dossier.procedure_version), dossier.state)
    return {**(dossier.form_data or {}), **instance.data}


def _context(dossier: Dossier, signing: Signing) -> dict[str, Any]:
    meta = dossier.procedure_version.meta or {}
    applicant = db.session.get(Account, dossier.applicant_id)
    at = signing.at.astimezone(VN_TZ)
    settings = current_app.config["MOTCUA_SETTINGS"]
    return {
        "dossier": {"code": dossier.code, "procedure": text(meta.get("name"), "vi"),
                    "procedure_code": str(meta.get("code") or "")},
        "unit": {"name": signing.unit.name, "code": signing.unit.code},
        "province": province_name(signing.unit),
        "number": signing.number,
        "issued": {"day": f"{at.day:02d}", "month": f"{at.month:02d}", "year": str(at.year),
                   "date": at.strftime("%d/%m/%Y")},
        "signer": {"title": signer_title(meta), "name": signing.signer_name},
        "applicant": applicant.display_name if applicant else "",
        "tracking_url": f"{settings.public_url.rstrip('/')}/ho-so/{dossier.code}",  # jobs have no request
    }


def pages(dossier: Dossier, signing: Signing) -> list[tuple[str, templates.SlipTemplate, dict[str, Any]]]:
    """(document name, template, context) for each declared document, in order."""
    source = procedures.compiled(dossier.procedure_version).source  # the version's files, as validated
    return fill(source, dossier.procedure_version.meta or {}, dossier_data(dossier), _context(dossier, signing))


def fill(source: PackageSource, meta: Mapping[str, Any], data: Mapping[str, Any],
         common: Mapping[str, Any]) -> list[tuple[str, templates.SlipTemplate, dict[str, Any]]]:
    """The package's declared documents, each template with its context: ``common`` (the built-in
    names) and the declared fields read from ``data``."""
    out = []
    for document in result_documents.declared(meta):
        name = str(document["template"])
        path = result_documents.template_path(source, document)
        if path not in source.files:
            raise templates.TemplateError(f"{name}: the package has no such template")
        try:
            loaded = result_documents.load_template(source.files[path])
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise templates.TemplateError(f"{name}: cannot read the template ({err})") from None
        template = templates.parse_document(loaded, source=name)
        out.append((text(document.get("name"), "vi"), template, {**common, **result_documents.values(document, data)}))
    return out


def render_pdf(dossier: Dossier, signing: Signing) -> bytes:
    """The declared documents as one PDF, before signing (raises TemplateError)."""
    return renderer.render_all([(template, context) for _name, template, context in pages(dossier, signing)])


def preview_signing(dossier: Dossier, *, account_id: int, now: datetime) -> Signing:
    """The leader's preview: the unit of the approving step waiting on the dossier (else the handling
    unit), the officer looking at it as the signer, today."""
    unit_id = db.session.scalar(sa.select(WorkItem.unit_id).where(
        WorkItem.dossier_id == dossier.id, WorkItem.state == "ready", WorkItem.role == APPROVER_ROLE)
        .order_by(WorkItem.id.desc()).limit(1))
    unit = db.session.get(Unit, unit_id or dossier.handling_unit_id)
    assert unit is not None
    account = db.session.get(Account, account_id)
    return Signing(unit=unit, signer_name=account.display_name if account else "", number=number_of(dossier), at=now)


def preview(dossier: Dossier, signing: Signing) -> list[dict[str, Any]]:
    """Each document filled (as the PDF prints it), for the approving step's page."""
    return [{"name": name, **renderer.resolve(template, context)}
            for name, template, context in pages(dossier, signing)]
