"""Local stand-in for the citizen's data store (kho quản lý dữ liệu điện tử), the store's side of
``kho_du_lieu.*`` (:class:`engine.connectors.data_store.DataStore`).

It keeps its data in files under a folder with a lock, not in memory, because the web app and
the Celery workers are separate processes that must see the same store.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import shutil
import tempfile
import weakref
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.connectors import ConnectorError
from engine.connectors.data_store import (
    FORMATS,
    ID_NUMBER,
    LISTED_FIELDS,
    MAX_CONTENT_BYTES,
    MAX_LISTED,
    SHA256_HEX,
    STORE_ID,
    TYPE_CODE,
)
from fakes.controls import FakeControls
from fakes.shared_file import locked_json, write_atomically


def _refused(message: str, reason: str) -> ConnectorError:
    """A request the store will never accept as it is: not worth retrying. Messages name the
    field, never its value (an identity number must not reach a log)."""
    return ConnectorError(message, retryable=False, reason=reason)


def id_number(params: Mapping[str, Any]) -> str:
    number = str(params.get("so_dinh_danh") or "")
    if not ID_NUMBER.fullmatch(number):
        raise _refused("so_dinh_danh must be 12 digits", "invalid_id")
    return number


def _text(params: Mapping[str, Any], key: str, limit: int) -> str:
    value = str(params.get(key) or "").strip()
    if not value or len(value) > limit:
        raise _refused(f"{key} must be 1 to {limit} characters", "invalid_request")
    return value


def _type_code(value: Any) -> str:
    code = str(value or "")
    if not TYPE_CODE.fullmatch(code):
        raise _refused("loai_giay_to is not a document type code", "invalid_request")
    return code


def _content(params: Mapping[str, Any]) -> tuple[bytes, str]:
    """The decoded bytes and their checked SHA-256."""
    digest = str(params.get("ma_bam") or "").lower()
    if not SHA256_HEX.fullmatch(digest):
        raise _refused("ma_bam must be a SHA-256 in hexadecimal", "invalid_hash")
    encoded = str(params.get("noi_dung_base64") or "")
    if len(encoded) > (MAX_CONTENT_BYTES + 2) // 3 * 4:
        raise _refused(f"the document is larger than {MAX_CONTENT_BYTES // (1024 * 1024)} MB", "too_large")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _refused("noi_dung_base64 is not base64", "invalid_request") from None
    if not data:
        raise _refused("the document is empty", "invalid_request")
    if hashlib.sha256(data).hexdigest() != digest:
        raise _refused("ma_bam does not match the content", "invalid_hash")
    return data, digest


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class FakeDataStore:
    """Local stand-in for the store, shared by every process pointed at the same ``folder``.

    ``index.json`` holds the documents' metadata (rewritten whole under an exclusive lock), ``tep/``
    their bytes by SHA-256. Without a folder (engine tests, the CLI) it uses a temporary one.
    ``controls`` make this process's next calls fail or hang, like a store that stopped answering.
    """

    folder: Path | None = None
    controls: FakeControls = field(default_factory=FakeControls)
    now: Callable[[], datetime] = _utcnow
    calls: list[str] = field(default_factory=list)  # operations asked of this instance, in order

    @property
    def root(self) -> Path:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix="kho-du-lieu-"))
            weakref.finalize(self, shutil.rmtree, self.folder, True)
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder

    def _index(self, *, write: bool) -> AbstractContextManager[dict[str, Any]]:
        """The index, under a lock on the folder: shared to read, exclusive to change it."""
        return locked_json(self.root, "index.json", write=write, empty=lambda: {"next": 1, "documents": []})

    def _before(self, operation: str) -> None:
        self.calls.append(operation)
        self.controls.before_call()

    def store(self, params: Mapping[str, Any]) -> dict[str, Any]:
        self._before("luu_giay_to")
        owner = id_number(params)
        dossier = _text(params, "ma_ho_so", 60)
        name = _text(params, "ten_giay_to", 255)
        kind = _type_code(params.get("loai_giay_to"))
        form = str(params.get("dinh_dang") or "pdf")
        if form not in FORMATS:
            raise _refused("dinh_dang is not a known file format", "invalid_request")
        data, digest = _content(params)
        with self._index(write=True) as index:
            for known in index["documents"]:
                if (known["ma_ho_so"], known["ma_bam"]) == (dossier, digest):
                    if known["so_dinh_danh"] != owner:
                        raise _refused("this document is stored for another owner", "conflict")
                    return {"ma_luu_tru": known["ma_luu_tru"], "ngay_luu": known["ngay_luu"]}
            blob = self.root / "tep" / digest
            if not blob.exists():
                blob.parent.mkdir(exist_ok=True)
                write_atomically(blob, data)
            record = {"ma_luu_tru": f"KDL-{index['next']:08d}", "so_dinh_danh": owner, "ma_ho_so": dossier,
                      "ten_giay_to": name, "loai_giay_to": kind, "dinh_dang": form, "ma_bam": digest,
                      "kich_thuoc": len(data), "ngay_luu": self.now().astimezone(UTC).isoformat(timespec="seconds")}
            index["next"] += 1
            index["documents"].append(record)
        return {"ma_luu_tru": record["ma_luu_tru"], "ngay_luu": record["ngay_luu"]}

    def list_(self, params: Mapping[str, Any]) -> dict[str, Any]:
        self._before("lay_giay_to")
        owner = id_number(params)
        kind = _type_code(params["loai_giay_to"]) if params.get("loai_giay_to") else None
        with self._index(write=False) as index:
            mine = [d for d in index["documents"]
                    if d["so_dinh_danh"] == owner and (kind is None or d["loai_giay_to"] == kind)]
        mine.reverse()  # newest first
        return {"giay_to": [{key: d[key] for key in LISTED_FIELDS} for d in mine[:MAX_LISTED]]}

    def fetch(self, params: Mapping[str, Any]) -> dict[str, Any]:
        self._before("tai_giay_to")
        owner = id_number(params)
        wanted = str(params.get("ma_luu_tru") or "")
        if not STORE_ID.fullmatch(wanted):
            raise _refused("ma_luu_tru is not a store id", "invalid_request")
        with self._index(write=False) as index:
            # Another owner's document answers exactly like a missing one.
            found = next((d for d in index["documents"] if d["ma_luu_tru"] == wanted and d["so_dinh_danh"] == owner),
                         None)
            if found is None:
                raise _refused("no such document in this owner's store", "not_found")
            data = (self.root / "tep" / found["ma_bam"]).read_bytes()
        return {**{key: found[key] for key in LISTED_FIELDS}, "noi_dung_base64": base64.b64encode(data).decode()}

    def count(self) -> int:
        """How many documents the store holds (for tests and the demo)."""
        with self._index(write=False) as index:
            return len(index["documents"])

    def clear(self) -> None:
        """Empty the store (tests share one data folder across their app)."""
        with self._index(write=True) as index:
            index.clear()
            index.update({"next": 1, "documents": []})
        shutil.rmtree(self.root / "tep", ignore_errors=True)
