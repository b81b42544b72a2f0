"""The JSON API under /api/v1: the contract for the portal, the desk and outside systems.

Routes live in one module per resource; every route and its shapes are described in
``openapi.py`` (a test keeps the two in step).
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from webapp.api import documents, dossiers, openapi, procedures, worklist  # noqa: E402,F401
