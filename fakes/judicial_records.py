"""Local stand-in for the judicial-record database, ``ly_lich_tu_phap.xac_minh``.

It answers from its own records, like the real exchange: a malformed request is refused for
good, and its ``controls`` make the next calls fail or hang longer than the time limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.connectors import ConnectorError
from engine.connectors.judicial_records import JudicialRecordCheck
from fakes.controls import FakeControls


@dataclass
class FakeJudicialRecords(JudicialRecordCheck):
    """Local stand-in for the judicial-record database. ``convictions`` by identity number:
    the offences a certificate would list (none for most people)."""

    convictions: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    controls: FakeControls = field(default_factory=FakeControls)
    calls: list[str] = field(default_factory=list)  # dossier codes asked about, in order

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
