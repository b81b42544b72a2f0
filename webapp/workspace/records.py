"""What the desk prints or reads about one dossier beyond its steps: form 05 (stop
processing), form 06 (control slip of every hand-over, with times and signatures) and the
audit view (who did what and when, from the append-only audit log)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, render_template
from flask.typing import ResponseReturnValue

from engine.statuses import DossierStatus
from webapp.accounts.models import Account, Unit
from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.audit import chain as audit_chain
from webapp.audit import events as audit_events
from webapp.audit.models import AuditEntry
from webapp.dossiers import reasons
from webapp.dossiers.models import Dossier, StepRecord, WorkItem
from webapp.extensions import db
from webapp.pdf import slips as pdf_slips
from webapp.workspace.routes import bp
from webapp.workspace.slips import dossier_for_officer


def _names(ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(Account.id, Account.display_name).where(Account.id.in_(wanted))).all())


def _units(ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(Unit.id, Unit.name).where(Unit.id.in_(wanted))).all())


def _stop_facts(code: str) -> dict[str, Any]:
    dossier = dossier_for_officer(code)
    if dossier.status != DossierStatus.STOPPED:
        abort(404)
    rows = db.session.scalars(sa.select(StepRecord).where(
        StepRecord.dossier_id == dossier.id, StepRecord.kind == "status",
        StepRecord.status.in_([DossierStatus.WITHDRAWAL_REQUESTED, DossierStatus.STOPPED]))
        .order_by(StepRecord.id)).all()
    asked = next((r for r in reversed(rows) if r.status == DossierStatus.WITHDRAWAL_REQUESTED), None)
    stopped = next(r for r in reversed(rows) if r.status == DossierStatus.STOPPED)
    names = _names({dossier.applicant_id, stopped.actor_id})
    return {"dossier": dossier, "meta": dossier.procedure_version.meta,
            "unit": db.session.get(Unit, dossier.receiving_unit_id), "asked": asked, "stopped": stopped,
            "applicant": names.get(dossier.applicant_id, ""), "officer": names.get(stopped.actor_id or 0, ""),
            "reason": reasons.latest(dossier, DossierStatus.STOPPED)}


@bp.get("/ho-so/<code>/phieu-dung-xu-ly")
@officer_required
def stop_slip(code: str) -> ResponseReturnValue:
    """Form 05: processing stopped (an accepted withdrawal request, or the process), with the reason."""
    return render_template("workspace/stop_slip.html", **_stop_facts(code))


@bp.get("/ho-so/<code>/phieu-dung-xu-ly.pdf")
@officer_required
def stop_slip_pdf(code: str) -> ResponseReturnValue:
    facts = _stop_facts(code)
    dossier, stopped, reason = facts["dossier"], facts["stopped"], facts["reason"]
    note = stopped.data.get("ghi_chu") if isinstance(stopped.data, dict) else None
    context = pdf_slips.dossier_context(dossier, unit=facts["unit"], applicant=facts["applicant"],
                                        officer=facts["officer"])
    if reason is None or reason.withdrawn:
        said = f"theo yêu cầu rút hồ sơ của người nộp ({reason.text})." if reason and reason.text else \
            "theo yêu cầu rút hồ sơ của người nộp."
    else:
        said = reason.text
    context |= {"reason": said,
                "note": str(note or ""), "stopped_at": pdf_slips.moment(stopped.at)}
    return _send(dossier, "05", context)


def _send(dossier: Dossier, form: str, context: dict[str, Any]) -> ResponseReturnValue:
    officer = current_officer()
    assert officer is not None
    return pdf_slips.download(form, context, file_name=f"mau-{form}-{dossier.code}.pdf",
                              actor_id=officer.account_id, dossier=dossier)


def _control_facts(code: str) -> dict[str, Any]:
    dossier = dossier_for_officer(code)
    items = db.session.scalars(sa.select(WorkItem).where(WorkItem.dossier_id == dossier.id)
                               .order_by(WorkItem.entered_at, WorkItem.id)).all()
    names = _names({i.completed_by_id for i in items} | {i.assignee_id for i in items})
    units = _units({i.unit_id for i in items} | {dossier.receiving_unit_id})
    rows = []
    for item in items:
        previous_unit = _unit_before(items, item) or dossier.receiving_unit_id
        handed_over = item.unit_id is not None and item.unit_id != previous_unit
        on_time = None if item.completed_at is None or item.due_at is None else item.completed_at <= item.due_at
        rows.append({"item": item, "unit": units.get(item.unit_id or 0) or names.get(item.assignee_id or 0, ""),
                     "from_unit": units.get(previous_unit or 0, "") if handed_over else "",
                     "by": names.get(item.completed_by_id or 0, ""), "on_time": on_time})
    return {"dossier": dossier, "meta": dossier.procedure_version.meta,
            "unit": units.get(dossier.receiving_unit_id, ""), "rows": rows}


@bp.get("/ho-so/<code>/phieu-kiem-soat")
@officer_required
def control_slip(code: str) -> ResponseReturnValue:
    """Form 06: every step the dossier went through, the unit that held it, who handed it over
    and who took it, when, and whether it was on time; blank signature columns for paper."""
    return render_template("workspace/control_slip.html", **_control_facts(code))


@bp.get("/ho-so/<code>/phieu-kiem-soat.pdf")
@officer_required
def control_slip_pdf(code: str) -> ResponseReturnValue:
    facts = _control_facts(code)
    dossier = facts["dossier"]
    applicant = _names({dossier.applicant_id}).get(dossier.applicant_id, "")
    context = pdf_slips.dossier_context(dossier, unit=db.session.get(Unit, dossier.receiving_unit_id),
                                        applicant=applicant, officer="")
    context["rows"] = pdf_slips.control_rows(facts["rows"])
    return _send(dossier, "06", context)


def _unit_before(items: list[WorkItem], item: WorkItem) -> int | None:
    """The unit of the officer step finished last before ``item`` began: who handed it over
    (parallel branches of an inter-agency bundle both come from the step before the split)."""
    done = [i for i in items if i.unit_id is not None and i.completed_at is not None and i is not item
            and i.completed_at <= item.entered_at]
    return max(done, key=lambda i: (i.completed_at, i.id)).unit_id if done else None


@bp.get("/ho-so/<code>/nhat-ky")
@officer_required
def audit_view(code: str) -> ResponseReturnValue:
    """Who did what and when to this dossier, oldest first (the log holds no form data)."""
    dossier = dossier_for_officer(code)
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.dossier_id == dossier.id)
                                 .order_by(AuditEntry.id)).all()
    return render_template("workspace/audit.html", dossier=dossier, entries=entries,
                           names=_names({e.actor_id for e in entries}), action_label=audit_events.label,
                           verification=audit_chain.verify(dossier_id=dossier.id, every_chain=False))
