"""Test run (chạy thử): a designer plays a procedure version as each lane in turn, on a scratch copy.

The scratch copy is an engine instance that exists only in a file under
``MOTCUA_DATA_DIR/studio-runs/`` and runs on its own engine with the local fakes of every
connector: no dossier row, no notification, no payment, no outside call is ever made. The page
shows the path taken so far on the diagram. Forms start filled with the field's ``default`` or first
``examples`` value, then with what the designer typed in the previous test run of that form.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import orjson
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from SpiffWorkflow.util.task import TaskState

from engine.compiler import Procedure as CompiledProcedure
from engine.forms import FormInvalid
from engine.package import PackageSource
from engine.runtime import Engine, EngineError, Instance
from engine.statuses import DossierStatus
from webapp import formui
from webapp.accounts.officer_auth import officer_required
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.extensions import db
from webapp.i18n import current_lang
from webapp.procedures.models import ProcedureVersion
from webapp.studio.diagram import diagram_svg
from webapp.studio.routes import bp, designer_or_403, version_or_404

RUN_LIFETIME_SECONDS = 24 * 3600
_TOKEN_BYTES = 18
_scratch_engine: Engine | None = None


def scratch_engine() -> Engine:
    """An engine of its own, with only the local fakes: a test run never reaches a real system."""
    global _scratch_engine
    if _scratch_engine is None:
        _scratch_engine = Engine()
    return _scratch_engine


def _runs_dir() -> Path:
    folder = current_app.config["MOTCUA_SETTINGS"].data_dir / "studio-runs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _forget_old_runs(folder: Path) -> None:
    cutoff = time.time() - RUN_LIFETIME_SECONDS
    for path in folder.glob("*.json"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _run_path(token: str) -> Path:
    if not token.replace("-", "").replace("_", "").isalnum() or len(token) > 40:
        abort(404)
    return _runs_dir() / f"{token}.json"


def _load_run(token: str, officer_id: int) -> dict[str, Any]:
    path = _run_path(token)
    if not path.is_file():
        abort(404)
    run = orjson.loads(path.read_bytes())
    if run["owner"] != officer_id:  # one designer's scratch copy is not another's
        abort(404)
    return run


def _save_run(token: str, run: dict[str, Any]) -> None:
    path = _run_path(token)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(orjson.dumps(run))
    temporary.replace(path)


def _compiled(version: ProcedureVersion) -> CompiledProcedure:
    files = {path: text.encode("utf-8") for path, text in version.files.items()}
    return scratch_engine().load(PackageSource(version.procedure.slug, files))


def _remembered(slug: str) -> dict[str, Any]:
    path = _runs_dir() / f"samples-{slug}.json"
    return orjson.loads(path.read_bytes()) if path.is_file() else {}


def _remember(slug: str, form_path: str, data: dict[str, Any]) -> None:
    """Keep what was typed into a form so the next test run of the procedure starts with it."""
    samples = _remembered(slug)
    samples[form_path] = data
    (_runs_dir() / f"samples-{slug}.json").write_bytes(orjson.dumps(samples))


def _examples(schema: Any) -> Any:
    """A value from the schema's own ``default``, ``const`` or ``examples``, field by field."""
    if not isinstance(schema, dict):
        return None
    for key in ("default", "const"):
        if key in schema:
            return schema[key]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if isinstance(schema.get("properties"), dict):
        found = {name: value for name, sub in schema["properties"].items()
                 if (value := _examples(sub)) is not None}
        return found or None
    return None


def _starting_data(slug: str, form: Any) -> dict[str, Any]:
    return _remembered(slug).get(form.path) or _examples(form.schema) or {}


def _log_advance(run: dict[str, Any], advance: Any, lang: str) -> None:
    for change in advance.status_changes:
        run["log"].append({"kind": "status", "text": f"{change.code}: {DossierStatus(change.code).label(lang)}"})
    if advance.failure:
        run["log"].append({"kind": "failure", "text": advance.failure.message(lang)})


def _path_so_far(instance: Instance) -> tuple[frozenset[str], frozenset[str]]:
    """Elements already passed, and those the instance waits at now."""
    def ids(state: TaskState) -> set[str]:
        trees = [instance.workflow, *instance.workflow.subprocesses.values()]
        return {t.task_spec.bpmn_id for tree in trees for t in tree.tasks.values()
                if t.state == state and getattr(t.task_spec, "bpmn_id", None)}
    return frozenset(ids(TaskState.COMPLETED)), frozenset(ids(TaskState.READY) | ids(TaskState.WAITING))


@bp.route("/<slug>/phien-ban/<int:number>/chay-thu", methods=["GET", "POST"])
@officer_required
def test_run_start(slug: str, number: int) -> ResponseReturnValue:
    """The start form of the version; submitting it starts a scratch run."""
    officer = designer_or_403()
    version = version_or_404(slug, number)
    procedure = _compiled(version)
    lang = current_lang()
    form = procedure.start_form
    data: dict[str, Any] = _starting_data(slug, form) if form else {}
    errors: list[Any] = []
    if request.method == "POST":
        data = formui.parse_form(form, request.form) if form else {}
        action = formui.array_action(request.form)
        if action:
            data = formui.apply_array_action(data, action)
        else:
            try:
                instance, advance = scratch_engine().start(procedure, data, lang=lang)
            except FormInvalid as err:
                errors = err.errors
            else:
                if form:
                    _remember(slug, form.path, data)
                _forget_old_runs(_runs_dir())
                token = secrets.token_urlsafe(_TOKEN_BYTES)
                run = {"owner": officer.account_id, "slug": slug, "number": number,
                       "log": [{"kind": "step", "text": "Nộp hồ sơ / Submit", "lane": "cong_dan"}],
                       "state": ""}
                _log_advance(run, advance, lang)
                run["state"] = scratch_engine().serialize(instance)
                _save_run(token, run)
                record(Event.STUDIO_TEST_RUN_STARTED, actor_id=officer.account_id, object_type="procedure_version",
                       object_id=version.id, slug=slug, number=number)
                db.session.commit()
                return redirect(url_for("studio.test_run", token=token))
    return render_template(
        "studio/test_run_start.html", version=version, slug=slug, number=number,
        form_html=formui.render_form(form, data, errors, lang=lang) if form else None,
        summary=formui.error_summary(errors, lang=lang), has_errors=bool(errors),
    ), 422 if errors else 200


@bp.route("/chay-thu/<token>", methods=["GET", "POST"])
@officer_required
def test_run(token: str) -> ResponseReturnValue:
    """Where the scratch run stands: the path on the diagram, then the steps waiting, by lane.

    POST completes one step (``buoc`` = the task id) or simulates the citizen's payment."""
    officer = designer_or_403()
    run = _load_run(token, officer.account_id)
    version = version_or_404(run["slug"], run["number"])
    procedure = _compiled(version)
    engine = scratch_engine()
    instance = engine.deserialize(procedure, run["state"])
    lang = current_lang()
    chosen = request.values.get("buoc", "")
    errors: list[Any] = []
    data: dict[str, Any] | None = None
    if request.method == "POST":
        if request.form.get("thanh_toan") and (due := engine.payment_due(instance)) is not None:
            advance = engine.deliver_message(instance, due.message, {"so_tien": due.amount})
            run["log"].append({"kind": "step", "text": f"Thanh toán giả lập / simulated payment: {due.amount:,} đ",
                               "lane": "cong_dan"})
            _log_advance(run, advance, lang)
            run["state"] = engine.serialize(instance)
            _save_run(token, run)
            return redirect(url_for("studio.test_run", token=token))
        task = next((t for t in engine.ready_tasks(instance) if t.id == chosen), None)
        if task is None:
            flash("Bước này không còn chờ xử lý." if lang != "en" else "That step is no longer waiting.", "error")
            return redirect(url_for("studio.test_run", token=token))
        data = formui.parse_form(task.form, request.form) if task.form else {}
        action = formui.array_action(request.form)
        if action:
            data = formui.apply_array_action(data, action)
        else:
            try:
                advance = engine.complete(instance, task.id, data, lang=lang)
            except FormInvalid as err:
                errors = err.errors
            except EngineError as err:
                flash(err.message(lang), "error")
                return redirect(url_for("studio.test_run", token=token))
            else:
                if task.form:
                    _remember(run["slug"], task.form.path, data)
                run["log"].append({"kind": "step", "text": task.name, "lane": task.lane or ""})
                _log_advance(run, advance, lang)
                run["state"] = engine.serialize(instance)
                _save_run(token, run)
                return redirect(url_for("studio.test_run", token=token))
    tasks = engine.ready_tasks(instance)
    current = next((t for t in tasks if t.id == chosen), tasks[0] if tasks else None)
    if current is not None and data is None:
        data = _starting_data(run["slug"], current.form) if current.form else {}
    done, waiting = _path_so_far(instance)
    diagrams = [diagram_svg(text.encode("utf-8"), done=done, current=waiting, title=path)
                for path, text in sorted(version.files.items()) if path.endswith(".bpmn")]
    return render_template(
        "studio/test_run.html", token=token, run=run, version=version, tasks=tasks, current=current,
        diagrams=diagrams, payment=None if tasks else engine.payment_due(instance),
        completed=instance.completed, failure=instance.failure.message(lang) if instance.failure else None,
        status=DossierStatus(instance.status).label(lang) if instance.status else None,
        form_html=formui.render_form(current.form, data, errors, lang=lang) if current and current.form else None,
        summary=formui.error_summary(errors, lang=lang), has_errors=bool(errors),
    ), 422 if errors else 200
