"""Local stand-in for the national public service portal (Cổng Dịch vụ công quốc gia): the
portal's side of the six calls (:class:`engine.connectors.national_portal.PortalApi`).

It checks every payload the way the portal does and refuses a malformed one with the field and
the reason, so a mistake shows up in tests, not in production.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from engine.connectors import ConnectorError
from engine.connectors.national_portal import (
    ALLOWED_FILE_TYPES,
    CHANNELS,
    IDENTITY_NUMBER,
    MAX_FILE_BYTES,
    PROCEDURE_CODE,
    TOKEN_LIFETIME,
    PortalRejected,
    TokenExpired,
)
from fakes.shared_file import kept_in, locked_json

PORTAL_FILE = "cong-dvc-quoc-gia.json"
PORTAL_RECORDS = ("dossiers", "files", "codes", "tokens")


def _require(step: str, payload: Mapping[str, Any], name: str, check: Callable[[Any], bool], problem: str) -> None:
    if name not in payload or payload[name] in (None, ""):
        raise PortalRejected(step, name, "missing")
    if not check(payload[name]):
        raise PortalRejected(step, name, problem)


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


@dataclass
class FakeNationalPortal:
    """The portal's side of the protocol, in memory, checking what it is sent."""

    client_id: str = "motcua-dev"
    secret: str = "dev-secret"  # the fake's own; the real one comes from settings
    unit_prefix: str = "G22.99"
    folder: Path | None = None  # set: the records live in files there, shared by processes (fakes.shared_file)
    dossiers: dict[str, dict[str, Any]] = field(default_factory=dict)  # by national code
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)  # local dossier code -> national code
    tokens: dict[str, bool] = field(default_factory=dict)  # issued and still valid
    fail_next: list[ConnectorError] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)  # protocol steps in order
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _enter(self, step: str, token: str | None) -> None:
        self.calls.append(step)
        if self.fail_next:
            raise self.fail_next.pop(0)
        if token is not None and token not in self.tokens:
            raise TokenExpired()

    def expire_tokens(self) -> None:
        self.tokens.clear()
        if self.folder is not None:
            with locked_json(self.folder, PORTAL_FILE, write=True) as records:
                records["tokens"] = {}

    @kept_in(PORTAL_FILE, PORTAL_RECORDS)
    def token(self, client_id: str, secret: str) -> dict[str, Any]:
        self._enter("token", None)
        if client_id != self.client_id or not secrets.compare_digest(secret, self.secret):
            raise ConnectorError("national portal refused the client credentials", retryable=False,
                                 reason="unauthorised")
        token = secrets.token_urlsafe(24)
        self.tokens[token] = True
        return {"access_token": token, "expires_in": TOKEN_LIFETIME}

    @kept_in(PORTAL_FILE, PORTAL_RECORDS)
    def dossier_code(self, token: str, local_code: str, unit: str) -> dict[str, Any]:
        self._enter("dossier_code", token)
        if not local_code.strip():
            raise PortalRejected("dossier_code", "ma_ho_so", "missing")
        if not unit.strip():
            raise PortalRejected("dossier_code", "ma_don_vi", "missing")
        with self.lock:  # the same local dossier always gets the same national code
            if local_code not in self.codes:
                self.codes[local_code] = f"{self.unit_prefix}-{len(self.codes) + 1:07d}"
            return {"ma_ho_so_quoc_gia": self.codes[local_code]}

    @kept_in(PORTAL_FILE, PORTAL_RECORDS)
    def upload(self, token: str, national_code: str, file: Mapping[str, Any]) -> dict[str, Any]:
        self._enter("upload", token)
        if national_code not in self.codes.values():
            raise PortalRejected("upload", "ma_ho_so_quoc_gia", "unknown dossier code")
        _require("upload", file, "ten_tep", lambda v: isinstance(v, str) and len(v) <= 255, "too long")
        _require("upload", file, "loai", lambda v: v in ALLOWED_FILE_TYPES,
                 f"must be one of {', '.join(ALLOWED_FILE_TYPES)}")
        _require("upload", file, "noi_dung_base64", lambda v: isinstance(v, str), "must be base64 text")
        try:
            content = base64.b64decode(file["noi_dung_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise PortalRejected("upload", "noi_dung_base64", "not valid base64") from None
        if not content or len(content) > MAX_FILE_BYTES:
            raise PortalRejected("upload", "noi_dung_base64", f"empty or larger than {MAX_FILE_BYTES} bytes")
        file_id = f"TEP-{len(self.files) + 1:06d}"
        self.files[file_id] = {"ma_ho_so_quoc_gia": national_code, "ten_tep": file["ten_tep"], "size": len(content)}
        return {"ma_tep": file_id}

    @kept_in(PORTAL_FILE, PORTAL_RECORDS)
    def create(self, token: str, dossier: Mapping[str, Any]) -> dict[str, Any]:
        self._enter("create", token)
        step = "create"
        _require(step, dossier, "ma_ho_so_quoc_gia", lambda v: v in self.codes.values(), "unknown dossier code")
        _require(step, dossier, "ma_thu_tuc", lambda v: bool(PROCEDURE_CODE.match(str(v))),
                 "must be a national procedure code like 1.001193")
        _require(step, dossier, "ho_ten_nguoi_nop", lambda v: isinstance(v, str) and 2 <= len(v) <= 100,
                 "2 to 100 characters")
        _require(step, dossier, "so_dinh_danh", lambda v: bool(IDENTITY_NUMBER.match(str(v))), "12 digits")
        _require(step, dossier, "ngay_tiep_nhan", _is_date, "must be a date YYYY-MM-DD")
        _require(step, dossier, "han_tra_ket_qua", _is_date, "must be a date YYYY-MM-DD")
        if str(dossier["han_tra_ket_qua"]) < str(dossier["ngay_tiep_nhan"]):
            raise PortalRejected(step, "han_tra_ket_qua", "before the date of receipt")
        _require(step, dossier, "kenh", lambda v: v in CHANNELS, "1 (in person), 2 (online) or 3 (post)")
        for file_id in dossier.get("tep") or []:
            if self.files.get(file_id, {}).get("ma_ho_so_quoc_gia") != dossier["ma_ho_so_quoc_gia"]:
                raise PortalRejected(step, "tep", f"{file_id} was not uploaded for this dossier")
        code = str(dossier["ma_ho_so_quoc_gia"])
        self.dossiers[code] = {**dossier, "trang_thai": 1, "tien_do": []}
        return {"ma_ho_so_quoc_gia": code}

    @kept_in(PORTAL_FILE, PORTAL_RECORDS)
    def progress(self, token: str, update: Mapping[str, Any]) -> dict[str, Any]:
        self._enter("progress", token)
        _require("progress", update, "ma_ho_so_quoc_gia", lambda v: v in self.dossiers, "no such dossier")
        _require("progress", update, "buoc", lambda v: isinstance(v, str) and len(v) <= 200, "too long")
        _require("progress", update, "don_vi_xu_ly", lambda v: isinstance(v, str), "must be text")
        _require("progress", update, "ngay", _is_date, "must be a date YYYY-MM-DD")
        self.dossiers[str(update["ma_ho_so_quoc_gia"])]["tien_do"].append(dict(update))
        return {"da_cap_nhat": True}

    @kept_in(PORTAL_FILE, PORTAL_RECORDS)
    def status(self, token: str, update: Mapping[str, Any]) -> dict[str, Any]:
        self._enter("status", token)
        _require("status", update, "ma_ho_so_quoc_gia", lambda v: v in self.dossiers, "no such dossier")
        _require("status", update, "trang_thai", lambda v: isinstance(v, int) and 1 <= v <= 10,
                 "a national status code 1-10")
        self.dossiers[str(update["ma_ho_so_quoc_gia"])]["trang_thai"] = update["trang_thai"]
        return {"da_cap_nhat": True}
