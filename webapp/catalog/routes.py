from __future__ import annotations

import segno
import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request, url_for
from markupsafe import Markup

from webapp.catalog import service
from webapp.extensions import db
from webapp.procedures import service as procedures

bp = Blueprint("catalog", __name__)


@bp.get("/")
def index() -> str:
    q = (request.args.get("q") or "").strip()[:200]
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        page = 1
    result = service.list_(q=q or None, field=request.args.get("field") or None,
                           level=request.args.get("level") or None,
                           service_level=request.args.get("service_level") or None, page=page)
    return render_template("catalog/index.html", result=result, q=q, fields=service.fields(),
                           levels=service.LEVELS, service_levels=service.SERVICE_LEVELS, args=request.args)


@bp.get("/thu-tuc/<slug>")
def procedure(slug: str) -> str:
    version = procedures.published_version(slug)
    if version is None:
        abort(404)
    page_url = url_for("catalog.procedure", slug=slug, _external=True)
    # The QR code opens this page on a phone; printed at the desk, it saves typing a URL.
    qr = Markup(segno.make(page_url, error="m").svg_inline(scale=4, title=page_url))
    return render_template("catalog/procedure.html", version=version, meta=version.meta, qr=qr, page_url=page_url)


@bp.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """For load balancers: the web process answers and reaches its database."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}, 200
