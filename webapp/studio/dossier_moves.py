"""Moving dossiers under way to the published version of their procedure, when the engine says it is safe
(engine/migration.py). A designer sees the running dossiers on older versions, opens one, reads why it can
or cannot move, and confirms. The move is one transaction: new state and version on the dossier (optimistic
lock: a dossier changed meanwhile is not moved), open work items renamed as the new version calls their
steps, and an audit entry. The legal deadline stays the one the dossier was received with.
Only step names and codes are shown: no personal data."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm.exc import StaleDataError

from engine.migration import Obstacle, migrate, obstacles
from engine.runtime import Instance
from webapp.accounts.officer_auth import officer_required
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.dossiers.models import Dossier, WorkItem
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.procedures import service as procedures
from webapp.procedures.models import Procedure, ProcedureVersion
from webapp.studio.routes import bp, designer_or_403


@dataclass
class MoveCheck:
    dossier: Dossier
    target: ProcedureVersion | None
    obstacles: list[Obstacle]
    current_steps: list[str]

    @property
    def safe(self) -> bool:
        return self.target is not None and not self.obstacles


def _t(vi: str, en: str) -> str:
    return en if current_lang() == "en" else vi


@bp.get("/<slug>/ho-so-dang-giai-quyet")
@officer_required
def running_dossiers(slug: str) -> ResponseReturnValue:
    """Dossiers not finished that are on another version than the published one."""
    designer_or_403()
    procedure = db.session.scalar(sa.select(Procedure).where(Procedure.slug == slug))
    if procedure is None:
        abort(404)
    published = procedure.published_version
    rows = db.session.execute(
        sa.select(Dossier.code, Dossier.status, ProcedureVersion.number)
        .join(ProcedureVersion, ProcedureVersion.id == Dossier.procedure_version_id)
        .where(ProcedureVersion.procedure_id == procedure.id, Dossier.finished_at.is_(None),
               Dossier.procedure_version_id != (published.id if published else -1))
        .order_by(Dossier.submitted_at).limit(500)).all()
    return render_template("studio/running_dossiers.html", slug=slug, published=published, rows=rows)


def _dossier(code: str) -> Dossier:
    dossier = db.session.scalar(sa.select(Dossier).where(Dossier.code == code))
    if dossier is None:
        abort(404)
    return dossier


def _check(dossier: Dossier) -> tuple[MoveCheck, Instance | None]:
    target = procedures.published_version(dossier.procedure_version.procedure.slug)
    instance = procedures.engine().deserialize(procedures.compiled(dossier.procedure_version), dossier.state)
    steps = [t.name for t in procedures.engine().ready_tasks(instance)]
    if target is None:
        return MoveCheck(dossier, None, [], steps), instance
    found = obstacles(instance, procedures.compiled(target))
    return MoveCheck(dossier, target, found, steps), instance


@bp.route("/ho-so/<code>/chuyen-phien-ban", methods=["GET", "POST"])
@officer_required
def move_dossier(code: str) -> ResponseReturnValue:
    officer = designer_or_403()
    dossier = _dossier(code)
    check, instance = _check(dossier)
    if request.method == "GET":
        return render_template("studio/move_dossier.html", check=check, lang=current_lang())
    try:
        seen = int(request.form.get("lock", ""))
    except ValueError:
        abort(400)
    if seen != dossier.version:
        return _refused(check, _t("Hồ sơ vừa được xử lý tiếp trong lúc bạn xem; hãy kiểm tra lại rồi xác nhận.",
                                  "The dossier moved on while you were reading; check again, then confirm."))
    if not check.safe or instance is None or check.target is None:
        return _refused(check, _t("Không chuyển được hồ sơ này.", "This dossier cannot be moved."))
    old_number, target = dossier.procedure_version.number, check.target
    moved = migrate(procedures.engine(), instance, procedures.compiled(target))
    try:
        dossier.state = procedures.engine().serialize(moved)
        dossier.procedure_version_id = target.id
        dossier.procedure_version = target
        names = {t.id: t for t in procedures.engine().ready_tasks(moved)}
        for item in db.session.scalars(sa.select(WorkItem).where(WorkItem.dossier_id == dossier.id,
                                                                 WorkItem.state == "ready")):
            if item.task_id in names:
                item.name = names[item.task_id].name
        record(Event.DOSSIER_VERSION_MOVED, actor_id=officer.account_id, dossier_id=dossier.id, object_type="dossier",
               object_id=dossier.code, from_number=old_number, to_number=target.number)
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        return _refused(_check(_dossier(code))[0],
                        _t("Hồ sơ vừa được xử lý tiếp trong lúc chuyển; hãy kiểm tra lại rồi xác nhận.",
                           "The dossier moved on meanwhile; check again, then confirm."))
    db.session.commit()
    flash(_t(f"Đã chuyển hồ sơ {code} từ phiên bản {old_number} sang phiên bản {target.number}.",
             f"Moved the dossier {code} from version {old_number} to version {target.number}."), "info")
    return redirect(url_for("studio.running_dossiers", slug=target.procedure.slug))


def _refused(check: MoveCheck, message: str) -> ResponseReturnValue:
    return render_template("studio/move_dossier.html", check=check, lang=current_lang(), refused=message), 409
