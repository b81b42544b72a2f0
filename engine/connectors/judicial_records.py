"""``ly_lich_tu_phap.xac_minh``: ask the judicial-record database (and through it the police
and courts) whether a person has convictions on record, for a criminal-record certificate.

The real exchange goes to another agency and is slow: it can time out or answer "busy", and
is worth retrying; a request it cannot match (wrong identity number format) is refused for good.
The real database's HTTP twin is built from :class:`JudicialRecordCheck` (:func:`http_connectors`);
the local fake (``fakes.judicial_records``) subclasses it with its ``call``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.connectors import RetryPolicy
from engine.connectors.http import Endpoint, HttpConnector


@dataclass(kw_only=True)
class JudicialRecordCheck:
    """``ly_lich_tu_phap.xac_minh``'s declarations. ``ket_qua`` is ``co_an_tich`` or
    ``khong_co_an_tich``; the judgments themselves stay in the agency's answer, not in the dossier."""

    name: str = "ly_lich_tu_phap.xac_minh"
    required_params: frozenset[str] = frozenset({"ma_ho_so", "so_dinh_danh", "ho_ten", "ngay_sinh"})
    optional_params: frozenset[str] = frozenset({"loai_phieu"})
    result_fields: frozenset[str] = frozenset({"ket_qua", "so_ban_an", "ma_tra_loi"})
    timeout: float = 30.0
    # An inter-agency answer is worth waiting for: five tries over about half a minute.
    retry: RetryPolicy = RetryPolicy(attempts=5, backoff=2.0, max_backoff=15.0)
    error_codes: Mapping[str, str] = field(default_factory=lambda: {"*": "xac_minh_khong_duoc"})


def http_connectors(endpoint: Endpoint) -> list[HttpConnector]:
    """The judicial-record database's API over HTTPS: ``<url>/xac_minh``."""
    return [HttpConnector.like(JudicialRecordCheck(), endpoint)]
