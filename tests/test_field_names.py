"""No web-app module reads a form field by a hard-coded name: what the product reads from a dossier's
data (who applies, how to reach them, what a supplement asks, why a dossier was refused or stopped,
what a leader decided) goes through the package's ``fields:`` (engine/bindings.py), whose defaults
are the only place the library's names are written."""

from __future__ import annotations

import re

from tests.conftest import REPO

# The names of the library's forms and shared fragments (forms/common) that the product reads.
NAMES = ("giay_to_can_bo_sung", "ly_do", "y_kien", "nhan_ket_qua", "so_dien_thoai", "nhan_qua_zalo", "ho_ten",
         "so_dinh_danh", "hinh_thuc", "nguoi_yeu_cau", "ket_qua_tiep_nhan", "ket_qua_phe_duyet", "ket_qua_ky")
WORD = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(NAMES) + r")(?![A-Za-z0-9_])")
EMAIL_READ = re.compile(r"""(?:\.get\(\s*|\[\s*)["']email["']""")  # "email" is also a channel's name

# (file, name): each is the product's own vocabulary, not a package form's field.
ALLOWED = {
    # Parameters of outside systems' connectors (population registry, data store, national portal, SMS).
    ("webapp/workspace/identity_check.py", "so_dinh_danh"),
    ("webapp/workspace/identity_check.py", "ho_ten"),
    ("webapp/portal/prefill.py", "so_dinh_danh"),
    ("webapp/portal/citizen_store.py", "so_dinh_danh"),
    ("webapp/results/store.py", "so_dinh_danh"),
    ("webapp/connectors/portal_sync.py", "so_dinh_danh"),
    ("webapp/notifications/service.py", "so_dien_thoai"),
}


def _sources() -> list[str]:
    webapp = REPO / "webapp"
    files = [*webapp.rglob("*.py"), *(webapp / "templates").rglob("*.html")]
    return sorted(str(f.relative_to(REPO)) for f in files if "node_modules" not in f.parts)


def test_no_web_app_module_reads_a_form_field_by_name() -> None:
    found: dict[tuple[str, str], list[int]] = {}
    for path in _sources():
        for number, line in enumerate((REPO / path).read_text("utf-8").splitlines(), 1):
            names = [m.group(1) for m in WORD.finditer(line)] + (["email"] if EMAIL_READ.search(line) else [])
            for name in names:
                found.setdefault((path, name), []).append(number)
    wrong = {f"{path}:{lines[0]} {name}" for (path, name), lines in found.items() if (path, name) not in ALLOWED}
    assert not wrong, ("read these through engine.bindings (procedure.yaml fields:), not by name: "
                       + ", ".join(sorted(wrong)))
    assert not ALLOWED - set(found), f"stale allow-list entries: {sorted(ALLOWED - set(found))}"


def test_the_defaults_live_in_one_engine_module() -> None:
    from engine.bindings import CONCEPTS

    defaults = {path.split(".")[-1] for path, _ in CONCEPTS.values()} | {path.split(".")[0]
                                                                          for path, _ in CONCEPTS.values()}
    assert {"giay_to_can_bo_sung", "ly_do", "y_kien", "so_dien_thoai", "email", "nhan_qua_zalo", "ho_ten",
            "so_dinh_danh", "hinh_thuc", "nguoi_yeu_cau", "nhan_ket_qua", "ket_qua_phe_duyet"} <= defaults
