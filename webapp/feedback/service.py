"""Store the applicant's rating of a finished dossier; one row per dossier, rating again updates it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from engine.statuses import DossierStatus
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.dossiers.models import Dossier
from webapp.extensions import db
from webapp.feedback.models import Rating

RATABLE = frozenset({DossierStatus.RESULT_READY, DossierStatus.RETURNED})
COMMENT_MAX = 1000
SCORES = {
    1: ("Rất không hài lòng", "Very dissatisfied"),
    2: ("Không hài lòng", "Dissatisfied"),
    3: ("Bình thường", "Neither satisfied nor dissatisfied"),
    4: ("Hài lòng", "Satisfied"),
    5: ("Rất hài lòng", "Very satisfied"),
}


@dataclass(frozen=True)
class Problem:
    field: str  # the id of the control the error summary links to
    vi: str
    en: str


def can_rate(dossier: Dossier) -> bool:
    return dossier.status in RATABLE


def get(*, dossier_id: int) -> Rating | None:
    return db.session.scalar(sa.select(Rating).where(Rating.dossier_id == dossier_id))


def check(raw_score: str | None, comment: str) -> tuple[int | None, list[Problem]]:
    """The score as a number, or what is wrong with the answers."""
    problems = []
    score = int(raw_score) if raw_score and raw_score.isascii() and raw_score.isdigit() else None
    if score not in SCORES:
        score = None
        problems.append(Problem("score-1", "Hãy chọn mức độ hài lòng.", "Choose how satisfied you are."))
    if len(comment) > COMMENT_MAX:
        problems.append(Problem("comment", f"Góp ý không được dài quá {COMMENT_MAX} ký tự.",
                                f"The comment must be {COMMENT_MAX} characters or fewer."))
    return score, problems


def rate(*, account_id: int, dossier: Dossier, score: int, comment: str) -> Rating:
    """Insert or replace the dossier's rating; the caller checked ``can_rate`` and the owner."""
    rating = get(dossier_id=dossier.id)
    if rating is None:
        rating = Rating(dossier_id=dossier.id, account_id=account_id, score=score, comment=comment or None)
        try:
            db.session.add(rating)
            db.session.flush()
        except IntegrityError:  # a double click inserted it first: update that row instead
            db.session.rollback()
            rating = get(dossier_id=dossier.id)
            assert rating is not None
    rating.score, rating.comment, rating.account_id = score, comment or None, account_id
    record(Event.DOSSIER_RATED, actor_id=account_id, dossier_id=dossier.id, object_type="dossier",
           object_id=dossier.code, score=score)
    db.session.flush()
    return rating
