"""Studio pages. A version is immutable: importing stores a new draft version, publishing makes
new dossiers use it at once; running dossiers stay on theirs."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from engine.diff import compare
from engine.problems import PackageInvalid
from engine.zipsafe import ZipRejected, read_package_zip
from webapp.accounts.models import Account
from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.procedures import service as procedures
from webapp.procedures.models import Procedure, ProcedureVersion

bp = Blueprint("studio", __name__, url_prefix="/thiet-ke")
DESIGNER_ROLE = "designer"


def designer_or_403() -> Any:
    """The signed-in designer; 403 for anyone else (every studio page starts with it)."""
    officer = current_officer()
    if officer is None or not officer.has(DESIGNER_ROLE):
        abort(403)
    return officer


def version_or_404(slug: str, number: int) -> ProcedureVersion:
    """A stored version of a procedure, or 404."""
    version = procedures.find_version(slug, number)
    if version is None:
        abort(404)
    return version


@bp.get("/")
@officer_required
def index() -> ResponseReturnValue:
    designer_or_403()
    return render_template("studio/index.html", procedures=_catalogue(), problems=[])


def _catalogue() -> list[dict[str, Any]]:
    """Every procedure with its versions, newest first, who stored each and how many dossiers use it."""
    versions = db.session.execute(
        sa.select(ProcedureVersion.id, ProcedureVersion.number, ProcedureVersion.meta, ProcedureVersion.published,
                  ProcedureVersion.created_at, Procedure.slug, Procedure.published_version_id, Account.display_name)
        .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
        .outerjoin(Account, Account.id == ProcedureVersion.created_by_id)
        .order_by(Procedure.slug, ProcedureVersion.number.desc())).all()
    counts = dict(db.session.execute(
        sa.select(Dossier.procedure_version_id, sa.func.count()).group_by(Dossier.procedure_version_id)).all())
    out: dict[str, dict[str, Any]] = {}
    for v in versions:
        entry = out.setdefault(v.slug, {"slug": v.slug, "name": v.meta.get("name"), "versions": []})
        state = "published" if v.id == v.published_version_id else ("retired" if v.published else "draft")
        entry["versions"].append({"number": v.number, "state": state, "created_at": v.created_at,
                                  "by": v.display_name, "dossiers": counts.get(v.id, 0)})
    return list(out.values())


@bp.get("/<slug>/so-sanh")
@officer_required
def diff(slug: str) -> ResponseReturnValue:
    """``?tu=1&den=2``: what changed from one version to another, in words, and which files."""
    designer_or_403()
    try:
        old, new = version_or_404(slug, int(request.args["tu"])), version_or_404(slug, int(request.args["den"]))
    except (KeyError, ValueError):
        abort(400, "give ?tu=<version>&den=<version>")
    changes = compare(procedures.compiled(old), procedures.compiled(new))
    files_old, files_new = old.files, new.files
    files = {
        "added": sorted(files_new.keys() - files_old.keys()),
        "removed": sorted(files_old.keys() - files_new.keys()),
        "changed": sorted(p for p in files_old.keys() & files_new.keys() if files_old[p] != files_new[p]),
    }
    return render_template("studio/diff.html", slug=slug, old=old, new=new, changes=changes, files=files,
                           english=current_lang() == "en")


@bp.get("/<slug>/phien-ban/<int:number>/tai-ve")
@officer_required
def export(slug: str, number: int) -> ResponseReturnValue:
    """The version as a zip in the repository layout (bpmn/, forms/): load it anywhere."""
    designer_or_403()
    version = version_or_404(slug, number)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in sorted(version.files.items()):
            archive.writestr(path, text.encode("utf-8"))
    buffer.seek(0)
    return send_file(buffer, mimetype="application/zip", as_attachment=True,
                     download_name=f"{slug}-v{number}.zip")


@bp.post("/nhap")
@officer_required
def import_package() -> ResponseReturnValue:
    """Store an uploaded package as a new draft version after every check; nothing on error."""
    officer = designer_or_403()
    upload = request.files.get("goi")
    problems: list[str] = []
    if upload is None or not upload.filename:
        problems = ["Chọn tệp .zip của thủ tục." if current_lang() != "en" else "Choose the procedure's .zip file."]
    else:
        try:
            version, created = procedures.store_package(read_package_zip(upload.read()), actor_id=officer.account_id)
            db.session.commit()
            flash(f"Đã lưu {version.procedure.slug} phiên bản {version.number} (bản nháp)." if created
                  else f"{version.procedure.slug}: đã có phiên bản {version.number} giống hệt.", "info")
            return redirect(url_for("studio.index"))
        except ZipRejected as err:
            db.session.rollback()
            problems = [err.message(current_lang())]
        except PackageInvalid as err:
            db.session.rollback()
            problems = [p.format(current_lang()) for p in err.problems]
    return render_template("studio/index.html", procedures=_catalogue(), problems=problems), 422


@bp.post("/<slug>/phien-ban/<int:number>/cong-bo")
@officer_required
def publish(slug: str, number: int) -> ResponseReturnValue:
    officer = designer_or_403()
    version_or_404(slug, number)
    try:
        version = procedures.publish(slug, number, actor_id=officer.account_id)
    except PackageInvalid as err:  # path exploration: an end never reached, a step nobody can act on
        db.session.rollback()
        problems = [p.format(current_lang()) for p in err.problems]
        return render_template("studio/index.html", procedures=_catalogue(), problems=problems), 422
    db.session.commit()
    flash(f"Đã công bố {slug} phiên bản {number}: hồ sơ mới dùng phiên bản này ngay.", "info")
    for warning in getattr(version, "path_warnings", []):
        flash(warning.format(current_lang()), "info")
    return redirect(url_for("studio.index"))


# Pages in their own modules, registered on this blueprint when it is imported.
from webapp.studio import dossier_moves, forms_editor, metadata, modeler, new_procedure, test_run  # noqa: E402,F401
