"""The roles a BPMN lane may name. A lane's name is the role key (DESIGN.md section 3).

Provinces route each lane to a unit in ``procedure.yaml``; adding a role here is the one
code change a new kind of participant needs.
"""

from __future__ import annotations

from typing import NamedTuple


class Role(NamedTuple):
    key: str
    vi: str
    en: str


KNOWN_ROLES: dict[str, Role] = {
    role.key: role
    for role in (
        Role("cong_dan", "Công dân, tổ chức", "Citizen or business"),
        Role("tiep_nhan", "Cán bộ tiếp nhận (Bộ phận Một cửa)", "One-stop desk officer"),
        Role("chuyen_vien", "Chuyên viên xử lý", "Processing officer"),
        Role("chuyen_vien_ho_tich", "Công chức tư pháp - hộ tịch", "Civil-status officer"),
        Role("lanh_dao", "Lãnh đạo phê duyệt", "Approving leader"),
        Role("van_thu", "Văn thư", "Records clerk"),
        Role("ke_toan", "Kế toán", "Accountant"),
        Role("cong_an", "Công an (cư trú)", "Police (residence)"),
        Role("bhxh", "Bảo hiểm xã hội", "Social insurance"),
    )
}


def is_known(role: str) -> bool:
    return role in KNOWN_ROLES
