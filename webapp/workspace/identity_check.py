"""The desk checks the identity a citizen declares against the population database.

Through ``dan_cu.xac_thuc``, which answers yes or no and never returns the record. A number the
database does not hold, or a name that does not match it, stops the intake until the officer
confirms having compared the citizen's identity card; a database that does not answer does not
stop the desk (the officer compares the card, and the audit log says the check was not made).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from engine.connectors import ConnectorBpmnError, ConnectorError, call_with_policy
from webapp.procedures import service as procedures

log = logging.getLogger(__name__)
VERIFY = "dan_cu.xac_thuc"
MESSAGES = {
    "not_found": ("Cơ sở dữ liệu quốc gia về dân cư không có số định danh này.",
                  "The national population database does not hold this identity number."),
    "mismatch": ("Họ và tên không khớp với Cơ sở dữ liệu quốc gia về dân cư cho số định danh này.",
                 "The full name does not match the national population database for this number."),
}
CONFIRM_HINT = (" Hãy đối chiếu căn cước của công dân; nếu đúng, đánh dấu ô xác nhận rồi tiếp nhận.",
                " Compare the citizen's identity card; if it is right, tick the confirmation and receive.")


@dataclass(frozen=True)
class IdentityCheck:
    outcome: str  # match | not_found | mismatch | unavailable

    @property
    def needs_confirmation(self) -> bool:
        return self.outcome in MESSAGES

    def message(self, lang: str) -> str:
        index = 0 if lang == "vi" else 1
        return MESSAGES[self.outcome][index] + CONFIRM_HINT[index]


def check(identity_number: str, name: str | None) -> IdentityCheck:
    connector = procedures.engine().connectors.get(VERIFY)
    if connector is None:
        return IdentityCheck("unavailable")
    params = {"so_dinh_danh": identity_number, **({"ho_ten": name} if name else {})}
    try:
        answer = call_with_policy(connector, params)
    except (ConnectorError, ConnectorBpmnError) as err:
        log.warning("desk identity check not made: population database %s", type(err).__name__)
        return IdentityCheck("unavailable")
    if not answer.get("ton_tai"):
        return IdentityCheck("not_found")
    if answer.get("khop_ho_ten") is False:
        return IdentityCheck("mismatch")
    return IdentityCheck("match")
