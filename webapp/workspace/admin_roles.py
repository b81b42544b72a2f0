"""Administrators give officers roles in units (and take them back): everything an officer
sees and does follows from these (unit, role) pairs.

An administrator (role ``admin`` in a unit) manages that unit and every unit below it.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.roles import KNOWN_ROLES
from webapp.accounts.models import SYSTEM_ROLES, Account, RoleAssignment, Unit
from webapp.accounts.officer_auth import current_officer, officer_required
from webapp.accounts.service import Principal
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.extensions import db
from webapp.pagination import page_arg, page_count
from webapp.workspace.routes import PER_PAGE, bp

ADMIN_ROLE = "admin"
ASSIGNABLE_ROLES = (*KNOWN_ROLES, *SYSTEM_ROLES)


def managed_units(principal: Principal) -> dict[int, Unit]:
    """The units this administrator manages: where they are admin, and everything below."""
    roots = {unit for unit, role in principal.roles if role == ADMIN_ROLE}
    if not roots:
        return {}
    units = db.session.scalars(sa.select(Unit)).all()  # a province has hundreds of units, not millions
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    found: dict[int, Unit] = {}
    stack = [u for u in units if u.id in roots]
    while stack:
        unit = stack.pop()
        if unit.id not in found:
            found[unit.id] = unit
            stack.extend(children.get(unit.id, []))
    return found


def _admin() -> tuple[Principal, dict[int, Unit]]:
    officer = current_officer()
    assert officer is not None
    units = managed_units(officer)
    if not units:
        abort(403)
    return officer, units


@bp.get("/quan-tri/vai-tro")
@officer_required
def roles_admin() -> ResponseReturnValue:
    _, units = _admin()
    q = (request.args.get("q") or "").strip()[:60]
    page = page_arg()
    query = sa.select(Account).where(Account.kind == "officer").order_by(Account.username)
    if q:
        like = f"%{q}%"
        query = query.where(sa.or_(Account.username.ilike(like), Account.display_name.ilike(like)))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    officers = db.session.scalars(query.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    assignments = db.session.execute(
        sa.select(RoleAssignment, Unit.code, Unit.name).join(Unit, Unit.id == RoleAssignment.unit_id)
        .where(RoleAssignment.account_id.in_([o.id for o in officers])).order_by(Unit.code, RoleAssignment.role)
    ).all()
    by_officer: dict[int, list] = {}
    for row in assignments:
        by_officer.setdefault(row.RoleAssignment.account_id, []).append(row)
    return render_template("workspace/roles_admin.html", officers=officers, by_officer=by_officer, q=q,
                           page=page, pages=page_count(total, PER_PAGE), total=total,
                           units=sorted(units.values(), key=lambda u: u.code), managed=set(units),
                           roles=ASSIGNABLE_ROLES, role_names={k: r.vi for k, r in KNOWN_ROLES.items()})


@bp.post("/quan-tri/vai-tro/them")
@officer_required
def grant_role() -> ResponseReturnValue:
    officer, units = _admin()
    try:
        account_id, unit_id = int(request.form.get("account_id", "")), int(request.form.get("unit_id", ""))
    except ValueError:
        account_id = unit_id = 0
    role = request.form.get("role", "")
    account = db.session.get(Account, account_id)
    if account is None or account.kind != "officer" or unit_id not in units or role not in ASSIGNABLE_ROLES:
        flash("Chọn cán bộ, đơn vị bạn quản lý và một vai trò có trong danh sách.", "error")
        return redirect(request.referrer or url_for("workspace.roles_admin"))
    exists = db.session.scalar(sa.select(RoleAssignment.id).where(
        RoleAssignment.account_id == account_id, RoleAssignment.unit_id == unit_id, RoleAssignment.role == role))
    if exists is None:
        db.session.add(RoleAssignment(account_id=account_id, unit_id=unit_id, role=role))
        record(Event.ROLE_GRANTED, actor_id=officer.account_id, object_type="account", object_id=account.username,
               unit=units[unit_id].code, role=role)
        db.session.commit()
    flash(f"{account.username}: đã có vai trò {role} tại {units[unit_id].code}.", "info")
    return redirect(request.referrer or url_for("workspace.roles_admin"))


@bp.post("/quan-tri/vai-tro/<int:assignment_id>/xoa")
@officer_required
def revoke_role(assignment_id: int) -> ResponseReturnValue:
    officer, units = _admin()
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or assignment.unit_id not in units:
        abort(404)
    own_admin = [r for r in officer.roles if r[1] == ADMIN_ROLE]
    if assignment.account_id == officer.account_id and assignment.role == ADMIN_ROLE and len(own_admin) == 1:
        flash("Không thể tự bỏ vai trò quản trị cuối cùng của mình.", "error")
        return redirect(request.referrer or url_for("workspace.roles_admin"))
    username = assignment.account.username
    record(Event.ROLE_REVOKED, actor_id=officer.account_id, object_type="account", object_id=username,
           unit=units[assignment.unit_id].code, role=assignment.role)
    db.session.delete(assignment)
    db.session.commit()
    flash(f"{username}: đã bỏ vai trò {assignment.role}.", "info")
    return redirect(request.referrer or url_for("workspace.roles_admin"))
