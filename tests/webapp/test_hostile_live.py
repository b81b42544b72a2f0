"""The real product (`motcua serve`, SQLite): while one dossier runs a script that defeats every
in-interpreter time limit, other citizens submit and officers complete steps, and the hostile
dossier ends failed with a message."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from tests.conftest import DATA
from tests.hostile import package_files, write_package
from tests.live_server import LiveServer, embedded_env, free_port, motcua

KHAI_SINH = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))
HOSTILE = "try:\n    while True:\n        pass\nexcept Exception:\n    pass\nwhile True:\n    pass"


def test_a_hostile_dossier_does_not_hold_up_anyone_else(tmp_path: Path) -> None:
    env = embedded_env(tmp_path / "data")
    env["MOTCUA_SCRIPT_TIME_LIMIT"] = "3"  # long enough for the others to overlap it
    library = write_package(tmp_path / "library", package_files(HOSTILE))
    server = LiveServer(env, free_port(), tmp_path / "server.log").start()
    try:
        motcua(env, "procedures", "load", str(library))
        citizen = motcua(env, "create-token", "--user", "an").strip()
        desk = motcua(env, "create-token", "--user", "tiepnhan").strip()
        hostile: dict[str, object] = {}

        def submit_hostile() -> None:
            hostile["reply"] = server.api("POST", "/dossiers", citizen, {
                "procedure": "thu-doc", "data": {"so_dinh_danh": "001203004005", "so_ban": 2}})

        thread = threading.Thread(target=submit_hostile)
        thread.start()
        others = []
        for _ in range(3):
            status, dossier = server.api("POST", "/dossiers", citizen, {"procedure": "khai-sinh", "data": KHAI_SINH})
            assert status == 201 and dossier["failure"] is None, dossier
            step = dossier["current_steps"][0]["id"]
            status, after = server.api("POST", f"/work-items/{step}/complete", desk,
                                       {"data": {"ket_qua_tiep_nhan": "tiep_nhan"}})
            assert status == 200 and after["status"] == 4, after
            others.append(dossier["code"])
        thread.join(60)
        assert not thread.is_alive()
        status, reply = hostile["reply"]  # type: ignore[misc]
        assert status == 201, reply
        assert reply["failure"] == "Hồ sơ dừng ở bước 'Tính phí' vì lỗi: kịch bản chạy quá 3.0 giây và đã bị dừng"
        assert len(set(others)) == 3
        # the server is still healthy, and the next script runs in a fresh process
        status, again = server.api("POST", "/dossiers", citizen, {"procedure": "khai-sinh", "data": KHAI_SINH})
        assert status == 201 and again["failure"] is None
    finally:
        server.stop()
    log = server.log.read_text()
    assert "Traceback" not in log and "database is locked" not in log
