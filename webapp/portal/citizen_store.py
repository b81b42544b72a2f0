"""The citizen's data store (kho dữ liệu) on the attachments page: the documents it holds for the
signed-in citizen, offered beside the documents of their earlier dossiers, and copied into the
draft like an upload when chosen (the type is judged by the content, the size by the component).

The store is another system: when it fails or is slow the page still works, says so, and offers
what it can. A page asks once, without retries (the citizen can upload instead), and never logs
the identity number it sends.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from engine.connectors import ConnectorError, call_once, keep_declared, timeout_of
from webapp.accounts.models import Account
from webapp.dossiers import documents
from webapp.i18n import current_lang
from webapp.portal.attachments import AttachmentError, Component, attach_upload
from webapp.portal.models import Draft, DraftAttachment

log = logging.getLogger(__name__)

LIST = "kho_du_lieu.lay_giay_to"
FETCH = "kho_du_lieu.tai_giay_to"
CHOICE_PREFIX = "kho:"  # an option's value: kho:<ma_luu_tru>, beside the earlier dossiers' document ids
MAX_CHOICES = 10
_MESSAGES = {
    "unreachable": ("Không kết nối được kho dữ liệu điện tử của bạn lúc này. Bạn vẫn có thể tải tệp lên "
                    "hoặc chọn giấy tờ từ hồ sơ trước.",
                    "Your electronic data store could not be reached just now. You can still upload a file "
                    "or choose a document from an earlier application."),
    "not_yours": ("Không tìm thấy giấy tờ đã chọn trong kho dữ liệu của bạn.",
                  "The chosen document is not in your data store."),
    "damaged": ("Giấy tờ nhận từ kho dữ liệu không khớp mã băm; hãy thử lại hoặc tải tệp lên.",
                "The document received from the data store does not match its hash; try again or upload a file."),
}


def message(code: str) -> str:
    vi, en = _MESSAGES[code]
    return en if current_lang() == "en" else vi


@dataclass(frozen=True)
class StoredDocument:
    """One entry of the store's listing (no content)."""

    store_id: str
    name: str
    kind: str  # file format: pdf, jpg, png...
    size: int
    sha256: str
    stored_at: str  # ISO date-time, as the store says it

    @property
    def value(self) -> str:
        return CHOICE_PREFIX + self.store_id

    @property
    def stored_on(self) -> str:
        """The date part, dd/mm/yyyy, for the option's label."""
        day = self.stored_at[:10].split("-")
        return "/".join(reversed(day)) if len(day) == 3 else self.stored_at[:10]


@dataclass
class StoreListing:
    documents: list[StoredDocument] = field(default_factory=list)
    unreachable: bool = False


def _ask(name: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """One attempt within the connector's time limit; its declared result fields only."""
    connector = current_app.extensions["motcua_engine"].connectors.get(name)
    if connector is None:
        raise ConnectorError(f"no connector {name}", retryable=False, reason="not_configured")
    return keep_declared(connector, call_once(connector, params, timeout_of(connector)))


def listing(citizen: Account) -> StoreListing:
    """What the store holds for ``citizen``; ``unreachable`` when it failed or did not answer in time."""
    if not citizen.identity_number:
        return StoreListing()
    try:
        answer = _ask(LIST, {"so_dinh_danh": citizen.identity_number})
    except ConnectorError as err:
        # The reason only: the request carried the identity number.
        log.warning("data store listing for account %s failed: %s", citizen.id, err.reason)
        return StoreListing(unreachable=True)
    found = []
    for entry in answer.get("giay_to") or []:
        document = _entry(entry)
        if document is not None:
            found.append(document)
    return StoreListing(found)


def _entry(entry: Any) -> StoredDocument | None:
    """A listing entry, or None when it is not one (a store's answer is checked, not trusted)."""
    if not isinstance(entry, Mapping):
        return None
    try:
        return StoredDocument(store_id=str(entry["ma_luu_tru"]), name=str(entry["ten_giay_to"])[:255],
                              kind=str(entry.get("dinh_dang") or ""), size=int(entry["kich_thuoc"]),
                              sha256=str(entry["ma_bam"]), stored_at=str(entry.get("ngay_luu") or ""))
    except (KeyError, TypeError, ValueError):
        return None


def choices(component: Component, found: StoreListing, already: set[str]) -> list[StoredDocument]:
    """The stored documents ``component`` accepts (format, size), minus contents already offered."""
    if not component.rule.get("reusable"):
        return []
    kinds = set(component.types)
    limit = component.max_mb * 1024 * 1024
    offered = [d for d in found.documents if ("jpg" if d.kind == "jpeg" else d.kind) in kinds
               and 0 < d.size <= limit and d.sha256 not in already]
    return offered[:MAX_CHOICES]


def copy_into_draft(draft: Draft, citizen: Account, component: Component, value: str) -> DraftAttachment:
    """Fetch the chosen document from the store and attach it exactly like an upload."""
    store_id = value.removeprefix(CHOICE_PREFIX)
    if not component.rule.get("reusable") or not citizen.identity_number:
        raise AttachmentError(message("not_yours"))
    try:
        answer = _ask(FETCH, {"so_dinh_danh": citizen.identity_number, "ma_luu_tru": store_id})
    except ConnectorError as err:
        log.warning("data store fetch for account %s failed: %s", citizen.id, err.reason)
        raise AttachmentError(message("not_yours" if err.reason in ("not_found", "invalid_request")
                                      else "unreachable")) from None
    try:
        data = base64.b64decode(str(answer.get("noi_dung_base64") or ""), validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not data or hashlib.sha256(data).hexdigest() != str(answer.get("ma_bam") or "").lower():
        raise AttachmentError(message("damaged"))
    kind = documents.sniff(data)
    title = str(answer.get("ten_giay_to") or store_id).replace("/", "-").replace("\\", "-").strip()[:240]
    row = attach_upload(draft, component, f"{title}.{kind}" if kind else title, data)
    row.reused = True  # digitised once, used again: counted by the service-quality index
    return row
