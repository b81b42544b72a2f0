"""The citizen's data store (kho quản lý dữ liệu điện tử của tổ chức, cá nhân): the personal
document store on the national / provincial public service portal.

Three connectors, one store behind them:

- ``kho_du_lieu.luu_giay_to`` pushes a document (a signed result) into the owner's store and
  returns its store id (``ma_luu_tru``). Idempotent on (``ma_ho_so``, ``ma_bam``): a retry after a
  lost answer gets the first id back and the document is kept once.
- ``kho_du_lieu.lay_giay_to`` lists the owner's documents (metadata only, newest first).
- ``kho_du_lieu.tai_giay_to`` returns one document's bytes (base64), so a listing stays small.

The store refuses a malformed request for good (a wrong identity number, a hash that does not
match the content, a document over 10 MB) and keeps another owner's document out of sight.
The declarations (``*Spec``) are what the real store's HTTP twin is built from
(:func:`http_connectors`); :class:`StorePush`, :class:`StoreList` and :class:`StoreFetch` call a
:class:`DataStore`, the store's side, which the local fake (``fakes.data_store``) implements.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.connectors import RetryPolicy
from engine.connectors.http import Endpoint, HttpConnector

MAX_CONTENT_BYTES = 10 * 1024 * 1024  # the store's limit per document
MAX_LISTED = 50  # a listing names at most this many documents, newest first
FORMATS = ("pdf", "jpg", "png", "docx", "xml")
ID_NUMBER = re.compile(r"\d{12}")
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
TYPE_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")  # e.g. a national procedure code 1.001193
STORE_ID = re.compile(r"KDL-\d{8}")
# Failure reason -> BPMN error code, the same for the three operations.
ERROR_CODES: Mapping[str, str] = {
    "invalid_id": "kho_du_lieu_sai_dinh_danh",
    "invalid_hash": "kho_du_lieu_sai_ma_bam",
    "not_found": "kho_du_lieu_khong_co",
    "*": "kho_du_lieu_loi",
}
LISTED_FIELDS = ("ma_luu_tru", "ten_giay_to", "loai_giay_to", "dinh_dang", "ma_bam", "ngay_luu", "kich_thuoc")


class DataStore(Protocol):
    """The store's side of the three operations."""

    def store(self, params: Mapping[str, Any]) -> dict[str, Any]: ...
    def list_(self, params: Mapping[str, Any]) -> dict[str, Any]: ...
    def fetch(self, params: Mapping[str, Any]) -> dict[str, Any]: ...


@dataclass(kw_only=True)
class StorePushSpec:
    """``kho_du_lieu.luu_giay_to``: keep a document in the owner's store, get its store id."""

    name: str = "kho_du_lieu.luu_giay_to"
    required_params: frozenset[str] = frozenset({"so_dinh_danh", "ma_ho_so", "ten_giay_to", "loai_giay_to",
                                                 "ma_bam", "noi_dung_base64"})
    optional_params: frozenset[str] = frozenset({"dinh_dang"})
    result_fields: frozenset[str] = frozenset({"ma_luu_tru", "ngay_luu"})
    timeout: float = 30.0
    retry: RetryPolicy = RetryPolicy(attempts=3, backoff=1.0)
    error_codes: Mapping[str, str] = field(default_factory=lambda: dict(ERROR_CODES))


@dataclass(kw_only=True)
class StoreListSpec:
    """``kho_du_lieu.lay_giay_to``: the owner's documents (no content), newest first."""

    name: str = "kho_du_lieu.lay_giay_to"
    required_params: frozenset[str] = frozenset({"so_dinh_danh"})
    optional_params: frozenset[str] = frozenset({"loai_giay_to"})
    result_fields: frozenset[str] = frozenset({"giay_to"})
    timeout: float = 5.0  # a citizen's page waits on it
    retry: RetryPolicy = RetryPolicy(attempts=2, backoff=0.5)
    error_codes: Mapping[str, str] = field(default_factory=lambda: dict(ERROR_CODES))


@dataclass(kw_only=True)
class StoreFetchSpec:
    """``kho_du_lieu.tai_giay_to``: one of the owner's documents with its bytes (base64)."""

    name: str = "kho_du_lieu.tai_giay_to"
    required_params: frozenset[str] = frozenset({"so_dinh_danh", "ma_luu_tru"})
    optional_params: frozenset[str] = frozenset()
    result_fields: frozenset[str] = frozenset({*LISTED_FIELDS, "noi_dung_base64"})
    timeout: float = 20.0
    retry: RetryPolicy = RetryPolicy(attempts=2, backoff=0.5)
    error_codes: Mapping[str, str] = field(default_factory=lambda: dict(ERROR_CODES))
    max_answer_bytes: int = MAX_CONTENT_BYTES * 4 // 3 + 64 * 1024  # base64 of the largest document


@dataclass
class StorePush(StorePushSpec):
    store: DataStore

    def call(self, params: Mapping[str, Any]) -> Any:
        return self.store.store(params)


@dataclass
class StoreList(StoreListSpec):
    store: DataStore

    def call(self, params: Mapping[str, Any]) -> Any:
        return self.store.list_(params)


@dataclass
class StoreFetch(StoreFetchSpec):
    store: DataStore

    def call(self, params: Mapping[str, Any]) -> Any:
        return self.store.fetch(params)


def data_store_connectors(store: DataStore) -> list[StorePush | StoreList | StoreFetch]:
    return [StorePush(store), StoreList(store), StoreFetch(store)]


def http_connectors(endpoint: Endpoint) -> list[HttpConnector]:
    """The store's API over HTTPS: ``<url>/luu_giay_to``, ``<url>/lay_giay_to`` and ``<url>/tai_giay_to``."""
    return [HttpConnector.like(spec, endpoint) for spec in (StorePushSpec(), StoreListSpec(), StoreFetchSpec())]
