"""Kill the server mid-life (SIGKILL), start it again: the submitted dossier continues."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import DATA
from tests.live_server import LiveServer, embedded_env, free_port, motcua

DECLARATION = json.loads((DATA / "samples" / "khai-sinh" / "to-khai.json").read_text("utf-8"))


@pytest.mark.skipif(os.name != "posix", reason="uses SIGKILL")
def test_dossier_survives_a_killed_server(tmp_path: Path) -> None:
    env = embedded_env(tmp_path / "data")
    server = LiveServer(env, free_port(), tmp_path / "server.log").start()
    try:
        citizen = motcua(env, "create-token", "--user", "an").strip()
        desk = motcua(env, "create-token", "--user", "tiepnhan").strip()
        status, dossier = server.api("POST", "/dossiers", citizen, {"procedure": "khai-sinh", "data": DECLARATION})
        assert status == 201, dossier
    finally:
        server.stop(kill=True)  # SIGKILL: no chance to clean up

    server.start()
    try:
        status, seen = server.api("GET", f"/dossiers/{dossier['code']}", citizen)
        assert status == 200 and seen["status"] == 1
        item = seen["current_steps"][0]["id"]
        status, after = server.api("POST", f"/work-items/{item}/complete", desk,
                                   {"data": {"ket_qua_tiep_nhan": "tiep_nhan"}})
        assert status == 200 and after["status"] == 4
    finally:
        server.stop()
    assert "Traceback" not in server.log.read_text()
