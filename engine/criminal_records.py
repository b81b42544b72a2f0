"""``ly_lich_tu_phap.xac_minh``: ask the judicial-record database (and through it the police
and courts) whether a person has convictions on record, for a criminal-record certificate.

The real exchange goes to another agency and is slow: it can time out or answer "busy", and
is worth retrying; a request it cannot match (wrong identity number format) is refused for good.
The local fake answers from its own records; its ``controls`` make the next calls fail or
hang longer than the time limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.connectors import ConnectorError, FakeControls, RetryPolicy


@dataclass
class FakeJudicialRecords:
    """Local stand-in for the judicial-record database. ``convictions`` by identity number:
    the offences a certificate would list (none for most people)."""

    convictions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    controls: FakeControls = field(default_factory=FakeControls)
    calls: list[str] = field(default_factory=list)  # dossier codes asked about, in order
    name: str = "ly_lich_tu_phap.xac_minh"
    required_params: frozenset[str] = frozenset({"ma_ho_so", "so_dinh_danh", "ho_ten", "ngay_sinh"})
    optional_params: frozenset[str] = frozenset({"loai_phieu"})
    result_fields: frozenset[str] = frozenset({"ket_qua", "so_ban_an", "ma_tra_loi"})
    timeout: float = 30.0
    # An inter-agency answer is worth waiting for: five tries over about half a minute.
    retry: RetryPolicy = RetryPolicy(attempts=5, backoff=2.0, max_backoff=15.0)
    error_codes: Mapping[str, str] = field(default_factory=lambda: {"*": "xac_minh_khong_duoc"})

    def call(self, params: Mapping[str, Any]) -> Any:
        self.calls.append(str(params["ma_ho_so"]))
        self.controls.before_call()
        number = str(params["so_dinh_danh"])
        if len(number) != 12 or not number.isdigit():
            raise ConnectorError("invalid identity number", retryable=False)
        if str(params.get("loai_phieu", "1")) not in ("1", "2"):
            raise ConnectorError("certificate type must be 1 or 2", retryable=False)
        found = self.convictions.get(number, [])
        return {
            "ket_qua": "co_an_tich" if found else "khong_co_an_tich",
            "so_ban_an": len(found),
            "ma_tra_loi": f"LLTP-{len(self.calls):06d}",
            # The judgments themselves stay in the agency's answer file, not in the dossier data.
            "ban_an": found,
        }
