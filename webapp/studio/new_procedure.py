"""A new procedure from a starter: the designer names it, the studio stores a small valid package
(the citizen submits a declaration, the one-stop desk settles it) as draft version 1, and the
designer shapes it from there with the diagram, form and information editors. No file to write."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.package import PackageSource
from engine.problems import PackageInvalid
from webapp.accounts.officer_auth import officer_required
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.procedures import service as procedures
from webapp.procedures.models import Procedure
from webapp.studio.routes import bp, designer_or_403

SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CODE = re.compile(r"^[0-9]+\.[0-9]{6}$")
LEVELS = ("commune", "district", "province", "central")
_STARTER_FORMS = ("to-khai.schema.json", "to-khai.uischema.json", "giai-quyet.schema.json",
                  "giai-quyet.uischema.json")


def _starter(name: str) -> str:
    return resources.files("webapp.studio").joinpath("starter", name).read_text("utf-8")


def starter_files(answers: dict[str, str], common: dict[str, bytes]) -> dict[str, bytes]:
    """The package: procedure.yaml from the answers, the two-lane diagram, two forms, the shared fragments."""
    slug, name = answers["slug"], answers["name"]
    text = {"vi": name, "en": name}
    metadata: dict[str, Any] = {
        "slug": slug, "code": answers["code"], "name": text,
        "field": {"vi": answers["field"], "en": answers["field"]},
        "level": answers["level"], "service_level": "toan_trinh",
        "agency": {"vi": answers["agency"], "en": answers["agency"]},
        "processing_time": {"amount": 1, "unit": "working_days"},
        "fees": [],
        "components": [{"key": "to_khai", "name": {"vi": "Tờ khai", "en": "Declaration"}, "kind": "electronic",
                        "required": True}],
        "result": {"name": {"vi": "Văn bản trả lời", "en": "Written answer"}, "electronic": True},
        "legal_basis": [{"ref": "(bổ sung)", "title": "Căn cứ pháp lý: bổ sung trước khi công bố"}],
        "delivery": ["online", "desk"],
        "lanes": {
            "cong_dan": {"role": "cong_dan", "unit": "applicant", "name": {"vi": "Người yêu cầu", "en": "Applicant"}},
            "tiep_nhan": {"role": "tiep_nhan", "unit": "receiving",
                          "name": {"vi": "Bộ phận Một cửa", "en": "One-stop desk"}},
        },
    }
    process_id = slug.replace("-", "_")
    diagram = _starter("process.bpmn").replace("{process_id}", process_id).replace(
        "{name}", name.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;"))
    files = {
        f"bpmn/{slug}/procedure.yaml": yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False).encode(),
        f"bpmn/{slug}/process.bpmn": diagram.encode(),
        **{f"forms/{slug}/{form}": _starter(form).encode() for form in _STARTER_FORMS},
        **common,
    }
    return files


def _common_fragments() -> dict[str, bytes]:
    """``forms/common`` from the library the deployment loaded, as every package carries them."""
    folder = Path(current_app.config["MOTCUA_LIBRARY"]) / "forms" / "common"
    return {f"forms/common/{p.name}": p.read_bytes() for p in sorted(folder.glob("*.json"))}


def _problems(answers: dict[str, str], english: bool) -> list[tuple[str, str]]:
    """(field id, message) for each answer that cannot make a package."""
    found: list[tuple[str, str]] = []
    if not SLUG.match(answers["slug"]) or len(answers["slug"]) > 80:
        found.append(("slug", "Lower-case letters, digits and single hyphens, e.g. xac-nhan-hon-nhan." if english
                      else "Chữ thường không dấu, chữ số và dấu gạch nối, ví dụ xac-nhan-hon-nhan."))
    elif db.session.scalar(sa.select(Procedure.id).where(Procedure.slug == answers["slug"])) is not None:
        found.append(("slug", "A procedure with this name already exists." if english
                      else "Đã có thủ tục mang tên này."))
    if not CODE.match(answers["code"]):
        found.append(("code", "The national code looks like 1.001193." if english
                      else "Mã thủ tục quốc gia có dạng 1.001193."))
    for key, vi, en in (("name", "Nhập tên thủ tục.", "Enter the procedure's name."),
                        ("field", "Nhập lĩnh vực.", "Enter the field."),
                        ("agency", "Nhập cơ quan thực hiện.", "Enter the competent agency.")):
        if not answers[key] or len(answers[key]) > 300:
            found.append((key, en if english else vi))
    if answers["level"] not in LEVELS:
        found.append(("level", "Choose the level." if english else "Chọn cấp thực hiện."))
    return found


@bp.route("/moi", methods=["GET", "POST"])
@officer_required
def new_procedure() -> ResponseReturnValue:
    officer = designer_or_403()
    english = current_lang() == "en"
    keys = ("slug", "name", "code", "field", "level", "agency")
    answers = {k: (request.form.get(k) or "").strip() for k in keys}
    answers["slug"] = answers["slug"].lower()
    errors: list[tuple[str, str]] = []
    package_problems: list[str] = []
    if request.method == "POST":
        errors = _problems(answers, english)
        if not errors:
            source = PackageSource(answers["slug"], starter_files(answers, _common_fragments()))
            try:
                version, _ = procedures.store_package(source, actor_id=officer.account_id)
            except PackageInvalid as err:
                db.session.rollback()
                package_problems = [p.format(current_lang()) for p in err.problems]
            else:
                record(Event.STUDIO_PROCEDURE_CREATED, actor_id=officer.account_id, object_type="procedure_version",
                       object_id=version.id, slug=answers["slug"])
                db.session.commit()
                flash(f"Đã tạo thủ tục {answers['slug']} (bản nháp phiên bản 1): sửa sơ đồ, biểu mẫu và thông tin, "
                      "rồi công bố.", "info")
                return redirect(url_for("studio.version_page", slug=answers["slug"], number=version.number))
    return render_template("studio/new_procedure.html", answers=answers, levels=LEVELS,
                           errors=[{"path": f, "message": m} for f, m in errors],
                           field_errors=dict(errors), package_problems=package_problems,
                           has_errors=bool(errors or package_problems)), 422 if (errors or package_problems) else 200



