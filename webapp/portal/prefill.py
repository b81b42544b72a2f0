"""Once-only for a new declaration: fill what the population database and the citizen's
earlier dossiers already say (fields marked ``x-prefill``, see engine/prefill.py), and
remember where each value came from so the page can tell the citizen."""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app

from engine import prefill
from engine.connectors import ConnectorError
from engine.forms import CompiledForm
from webapp.accounts.models import Account
from webapp.dossiers.models import Dossier
from webapp.extensions import db

log = logging.getLogger(__name__)
POPULATION_CONNECTOR = "dan_cu.tra_cuu"


@dataclass
class Prefilled:
    data: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # "a.b" -> dan_cu | ho_so_truoc
    registry_unavailable: bool = False


def for_citizen(citizen: Account, form: CompiledForm) -> Prefilled:
    wanted = list(prefill.marks(form.schema))
    result = Prefilled()
    if not wanted:
        return result
    person = _person(citizen, result) if any(prefill.source_kind(s) == prefill.POPULATION_SOURCE
                                              for _, s in wanted) else None
    earlier = _latest_declaration(citizen) if any(s == prefill.PREVIOUS_DOSSIER for _, s in wanted) else None
    for path, source in wanted:
        if prefill.source_kind(source) == prefill.POPULATION_SOURCE:
            value = (person or {}).get(source.split(".", 1)[1])
        else:
            value = prefill.get_path(earlier, path)
        if value not in (None, "", {}):
            prefill.set_path(result.data, path, copy.deepcopy(value))
            result.sources[".".join(path)] = prefill.source_kind(source)
    return result


def _person(citizen: Account, result: Prefilled) -> dict[str, Any] | None:
    if not citizen.identity_number:
        return None
    connector = current_app.extensions["motcua_engine"].connectors.get(POPULATION_CONNECTOR)
    try:
        answer = connector.call({"so_dinh_danh": citizen.identity_number}) if connector else None
    except ConnectorError as err:
        # The form still works: the citizen types what the registry could not give.
        log.warning("population registry lookup failed (%s); no prefill", type(err).__name__)
        result.registry_unavailable = True
        return None
    if not answer or not answer.get("found"):
        return None
    return {**answer["person"], "so_dinh_danh": citizen.identity_number}


def _latest_declaration(citizen: Account) -> dict[str, Any] | None:
    return db.session.scalar(sa.select(Dossier.form_data).where(Dossier.applicant_id == citizen.id)
                             .order_by(Dossier.submitted_at.desc(), Dossier.id.desc()).limit(1))
