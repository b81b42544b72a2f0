"""The service-quality indicators, counted from one row per dossier. No database, no Flask.

Decision 766/QĐ-TTg scores a rate below its threshold as ``rate × points ÷ threshold`` and a rate
at or above it as full points. The decision splits each group's points between criteria; this
module gives, per criterion, the rate and the share of its points earned, not absolute points.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.statuses import Channel, DossierStatus

UNSATISFIED_MAX_SCORE = 2  # "không hài lòng" and "rất không hài lòng"


@dataclass(frozen=True)
class Indicator:
    key: str
    vi: str
    en: str
    threshold: float  # the rate that earns full points
    basis_vi: str
    basis_en: str


INDICATORS = (
    Indicator("dung_han", "Giải quyết đúng hạn", "Handled on time", 1.0,
              "hồ sơ có kết quả trong tháng hoặc còn đang xử lý, không quá hạn",
              "dossiers with a result this month or still in progress, not overdue"),
    Indicator("truc_tuyen", "Nộp trực tuyến", "Filed online", 0.5,
              "hồ sơ nộp trong tháng", "dossiers filed this month"),
    Indicator("thanh_toan_truc_tuyen", "Thanh toán trực tuyến", "Paid online", 0.8,
              "hồ sơ nộp trong tháng phải nộp phí, lệ phí", "dossiers filed this month that owed a fee"),
    Indicator("tai_su_dung", "Sử dụng lại dữ liệu đã số hóa", "Reused digitised data", 0.8,
              "hồ sơ nộp trong tháng (điền sẵn từ CSDL dân cư, hoặc dùng lại giấy tờ đã có)",
              "dossiers filed this month (prefilled from the population registry, or a document used again)"),
    Indicator("ket_qua_dien_tu", "Có kết quả điện tử", "Electronic result", 0.8,
              "hồ sơ có kết quả trong tháng", "dossiers with a result this month"),
    Indicator("hai_long", "Hài lòng", "Satisfaction", 0.9,
              "hồ sơ có kết quả trong tháng, trừ hồ sơ bị đánh giá không hài lòng hoặc trễ hạn",
              "dossiers with a result this month, less those rated unsatisfied or late"),
)
BY_KEY = {indicator.key: indicator for indicator in INDICATORS}


@dataclass(frozen=True)
class DossierFacts:
    """What the indicators need to know of one dossier (no personal data)."""

    unit_id: int
    channel: int
    status: int | None
    submitted_at: datetime
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None
    result_at: datetime | None  # first reached "result ready" (9) or "returned" (10)
    fee_due: bool  # was asked to pay (status 6)
    paid_online: bool
    electronic_result: bool
    rated_unsatisfied: bool
    reused_data: bool = False


@dataclass
class Tally:
    """Numerators and denominators for one scope (the province or a unit)."""

    filed: int = 0
    counts: dict[str, list[int]] = field(default_factory=lambda: {i.key: [0, 0] for i in INDICATORS})
    processing_days: float = 0.0
    processed: int = 0

    def count(self, key: str, hit: bool) -> None:
        pair = self.counts[key]
        pair[0] += int(hit)
        pair[1] += 1

    def figures(self) -> dict[str, Any]:
        average = round(self.processing_days / self.processed, 2) if self.processed else None
        return {"ho_so_nop": self.filed, "ho_so_co_ket_qua": self.processed,
                "thoi_gian_xu_ly_tb_ngay": average, **{k: list(v) for k, v in self.counts.items()}}


def add(tally: Tally, facts: DossierFacts, *, start: datetime, cutoff: datetime, live: bool) -> None:
    """Count one dossier into ``tally`` for the period [start, cutoff). ``live``: the cutoff is now,
    so the dossier's current status is its status at the cutoff (a supplement pause counts)."""
    if start <= facts.submitted_at < cutoff:
        tally.filed += 1
        tally.count("truc_tuyen", facts.channel == Channel.ONLINE)
        tally.count("tai_su_dung", facts.reused_data)
        if facts.fee_due:
            tally.count("thanh_toan_truc_tuyen", facts.paid_online)
    if facts.result_at is not None and start <= facts.result_at < cutoff:
        on_time = facts.due_at is None or facts.result_at <= facts.due_at
        tally.count("dung_han", on_time)
        tally.count("ket_qua_dien_tu", facts.electronic_result)
        tally.count("hai_long", on_time and not facts.rated_unsatisfied)
        began = facts.received_at or facts.submitted_at
        tally.processing_days += max(0.0, (facts.result_at - began).total_seconds() / 86400)
        tally.processed += 1
    elif _in_progress(facts, cutoff):
        # The legal clock stops while the citizen supplements.
        paused = live and facts.status == DossierStatus.SUPPLEMENT_REQUESTED
        tally.count("dung_han", paused or facts.due_at is None or facts.due_at >= cutoff)


def _in_progress(facts: DossierFacts, cutoff: datetime) -> bool:
    return (facts.received_at is not None and facts.received_at < cutoff
            and (facts.result_at is None or facts.result_at >= cutoff)
            and (facts.finished_at is None or facts.finished_at >= cutoff))


def tally_by_unit(rows: Iterable[DossierFacts], *, start: datetime, cutoff: datetime,
                  live: bool) -> tuple[Tally, dict[int, Tally]]:
    """The province's tally and each handling unit's."""
    province, units = Tally(), {}
    for facts in rows:
        add(province, facts, start=start, cutoff=cutoff, live=live)
        add(units.setdefault(facts.unit_id, Tally()), facts, start=start, cutoff=cutoff, live=live)
    return province, units


@dataclass(frozen=True)
class Score:
    indicator: Indicator
    hits: int
    total: int

    @property
    def rate(self) -> float | None:
        return self.hits / self.total if self.total else None

    @property
    def points_share(self) -> float | None:
        """The share of the criterion's points earned: full at the threshold, proportional below."""
        rate = self.rate
        return None if rate is None else min(1.0, rate / self.indicator.threshold)


def scores(figures: dict[str, Any]) -> list[Score]:
    """The stored figures as scores, in the indicators' order (a missing one counts as none)."""
    return [Score(i, *(figures.get(i.key) or (0, 0))) for i in INDICATORS]
