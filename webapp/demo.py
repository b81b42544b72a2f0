"""Demo units and accounts for the embedded default and the tests (idempotent).

Names and identity numbers are invented; the citizens match the population-registry fake
(fakes.population.DEMO_PEOPLE) so once-only prefill works with them.
"""

from __future__ import annotations

from flask import current_app

from webapp.accounts import service as accounts
from webapp.accounts.models import Account, Unit
from webapp.accounts.passwords import hash_password

# Officers of the demo deployment sign in at /can-bo/ with their username and this password.
DEMO_PASSWORD = "motcua-demo"

UNITS = [
    # code, name, kind, parent code
    ("H41", "Ủy ban nhân dân tỉnh Ninh Bình", "province_department", None),
    ("H41.15", "Sở Tư pháp tỉnh Ninh Bình", "province_department", "H41"),
    ("H41.01.01", "Ủy ban nhân dân phường Nam Định", "commune", "H41"),
    ("H41.CA", "Công an tỉnh Ninh Bình", "police", "H41"),
    ("H41.BHXH", "Bảo hiểm xã hội tỉnh Ninh Bình", "social_insurance", "H41"),
]

ACCOUNTS = [
    # username, display name, kind, identity number, [(unit code, role)]
    ("an", "Nguyễn Văn An", "citizen", "001090000001", []),
    ("binh", "Trần Thị Bình", "citizen", "001092000002", []),
    ("tiepnhan", "Lê Thu Hà (một cửa)", "officer", None, [("H41.01.01", "tiep_nhan")]),
    ("hotich", "Phạm Minh Đức (hộ tịch)", "officer", None,
     [("H41.01.01", "chuyen_vien_ho_tich"), ("H41.01.01", "chuyen_vien")]),
    ("lanhdao", "Vũ Thị Mai (lãnh đạo)", "officer", None, [("H41.01.01", "lanh_dao")]),
    ("sotuphap", "Đỗ Văn Nam (Sở Tư pháp)", "officer", None,
     [("H41.15", "tiep_nhan"), ("H41.15", "chuyen_vien"), ("H41.15", "lanh_dao")]),
    ("congan", "Ngô Quang Huy (công an, cư trú)", "officer", None, [("H41.CA", "cong_an")]),
    ("bhxh", "Lý Thu Trang (bảo hiểm xã hội)", "officer", None, [("H41.BHXH", "bhxh")]),
    ("thietke", "Hoàng Lan (thiết kế quy trình)", "officer", None, [("H41", "designer")]),
    ("quantri", "Quản trị hệ thống", "officer", None, [("H41", "admin")]),
]


def seed() -> dict[str, str]:
    """Create what is missing and return a fresh token per demo account."""
    units: dict[str, Unit] = {}
    for code, name, kind, parent in UNITS:
        units[code] = accounts.find_unit(code) or accounts.create_unit(code, name, kind, units.get(parent or ""))
    tokens = {}
    days = current_app.config["MOTCUA_SETTINGS"].token_days
    for username, name, kind, identity, roles in ACCOUNTS:
        account: Account = accounts.find_account(username) or accounts.create_account(username, name, kind, identity)
        for unit_code, role in roles:
            accounts.grant(account, units[unit_code], role)
        if kind == "officer" and not account.password_hash:
            account.password_hash = hash_password(DEMO_PASSWORD)
        tokens[username] = accounts.issue_token(account, days, "demo")
    return tokens
