"""Local stand-in for the national population database (CSDL quốc gia về dân cư), ``dan_cu.tra_cuu``,
and the demo citizens it knows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.connectors import ConnectorError
from engine.connectors.population import PopulationLookup

DEMO_PEOPLE: dict[str, dict[str, Any]] = {  # citizens who sign in, and two who come to the desk
    "001090000001": {"ho_ten": "Nguyễn Văn An", "ngay_sinh": "1990-03-14", "gioi_tinh": "nam",
                     "noi_thuong_tru": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Nam Định",
                                        "dia_chi_chi_tiet": "Số 8, đường Hùng Vương"}},
    "001092000002": {"ho_ten": "Trần Thị Bình", "ngay_sinh": "1992-07-02", "gioi_tinh": "nu",
                     "noi_thuong_tru": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Hoa Lư",
                                        "dia_chi_chi_tiet": "Thôn Đông, số 21"}},
    "036091001234": {"ho_ten": "Lê Văn Tư", "ngay_sinh": "1991-05-20", "gioi_tinh": "nam",
                     "noi_thuong_tru": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Nam Định",
                                        "dia_chi_chi_tiet": "Số 3, phố Trần Hưng Đạo"}},
    "036092004567": {"ho_ten": "Trần Văn Hùng", "ngay_sinh": "1992-11-02", "gioi_tinh": "nam",
                     "noi_thuong_tru": {"tinh_thanh": "Ninh Bình", "xa_phuong": "Phường Nam Định",
                                        "dia_chi_chi_tiet": "Số 15, đường Điện Biên"}},
}


@dataclass
class FakePopulationRegistry(PopulationLookup):
    """Local stand-in for the national population database (CSDL quốc gia về dân cư).

    Looks a citizen up by 12-digit identity number. ``fail_next`` makes the next calls
    fail the way the real gateway does (timeouts are retryable, bad requests are not).
    """

    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    fail_next: list[ConnectorError] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def call(self, params: Mapping[str, Any]) -> Any:
        self.calls.append(dict(params))
        if self.fail_next:
            raise self.fail_next.pop(0)
        number = str(params["so_dinh_danh"])
        if len(number) != 12 or not number.isdigit():
            raise ConnectorError("invalid identity number", retryable=False)
        person = self.people.get(number)
        return {"found": person is not None, "person": person}
