"""Attachments: checked against the procedure's component rules, stored by content hash."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import current_app
from lxml import etree

from engine.messages import render
from engine.xmlsafe import MalformedXml, UnsafeXml, parse_xml
from webapp.audit.events import Event
from webapp.audit.service import record
from webapp.dossiers.models import Document, Dossier
from webapp.dossiers.service import DossierError
from webapp.extensions import db

# What the first bytes of each accepted type look like: a declared type must match them.
_SIGNATURES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "xml": ("application/xml", (b"<?xml", b"\xef\xbb\xbf<?xml", b"<")),
}


def store_document(dossier: Dossier, *, component: str, filename: str, data: bytes, actor_id: int) -> Document:
    rule = next((c for c in dossier.procedure_version.meta.get("components", []) if c.get("key") == component), None)
    if rule is None:
        raise DossierError(422, "unknown_component", f"no component {component!r}")
    extension = Path(filename).suffix.lower().lstrip(".")
    allowed = [t.lower() for t in rule.get("file_types", [])]
    if extension not in allowed or extension not in _SIGNATURES:
        raise DossierError(422, "file_type_not_allowed", f"{extension or '?'} not in {allowed}")
    if not data:
        raise DossierError(422, "empty_file", "the file is empty")
    limit = int(rule.get("max_size_mb", 10)) * 1024 * 1024
    if len(data) > limit:
        raise DossierError(413, "file_too_large", f"{len(data)} bytes > {limit}")
    content_type, signatures = _SIGNATURES[extension]
    if not data.startswith(signatures):
        raise DossierError(422, "content_mismatch", f"the content is not {extension}")
    if extension == "xml":
        _check_xml(data)
    digest, key = put_blob(data)
    return attach_stored(dossier, component=component, filename=filename, content_type=content_type,
                         size=len(data), sha256=digest, storage_key=key, actor_id=actor_id)


# A page, not data: HTML or SVG could run script or show a form if a browser rendered it.
_PAGE_NAMESPACES = ("http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg")


def _check_xml(data: bytes) -> None:
    """An ``xml`` file is a well-formed XML document (parsed with entities and DTDs refused), and
    not a web page dressed as one."""
    try:
        root = parse_xml(data).getroot()
    except UnsafeXml as err:
        raise DossierError(422, "content_mismatch", render(err.code, "en", **err.params)) from None
    except MalformedXml as err:
        raise DossierError(422, "content_mismatch", f"the XML is malformed: {err.detail}") from None
    name = etree.QName(root)
    if name.namespace in _PAGE_NAMESPACES or name.localname.lower() in ("html", "svg"):
        raise DossierError(422, "content_mismatch", "an HTML or SVG page is not an XML document")


# PDF names that run code or act when the file opens (a viewer may run them inline). A name ends at
# a delimiter: "/AA" is additional actions, "/AAAAAA+DejaVu" a font subset name.
_PDF_ACTIVE = re.compile(rb"/(?:JavaScript|JS|Launch|OpenAction|AA|EmbeddedFile|RichMedia)(?![A-Za-z0-9+#_.-])")


def is_active_pdf(data: bytes) -> bool:
    """True for a PDF that names scripts, launch or open actions, or embedded files: served as a
    download, never inline (names hidden with #xx escapes are left to the sandboxing CSP)."""
    return data.startswith(b"%PDF-") and _PDF_ACTIVE.search(data) is not None


def served_inline(content_type: str, data: bytes) -> bool:
    """Images and plain PDFs open in the browser; XML and PDFs that carry actions are downloaded."""
    return content_type in ("image/png", "image/jpeg") or (content_type == "application/pdf"
                                                          and not is_active_pdf(data))


# Every uploaded file is served with this: it can never run as a page of this site.
SANDBOX_CSP = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def sniff(data: bytes) -> str | None:
    """The type the first bytes show (``pdf``, ``png``, ``jpg``), whatever the file is called."""
    for kind in ("pdf", "png", "jpg"):
        if data.startswith(_SIGNATURES[kind][1]):
            return kind
    return None


def content_type_of(kind: str) -> str:
    return _SIGNATURES[kind][0]


def put_blob(data: bytes) -> tuple[str, str]:
    """Store the bytes once under their SHA-256; returns (digest, storage key)."""
    digest = hashlib.sha256(data).hexdigest()
    key = f"uploads/{digest[:2]}/{digest}"
    path = blob_path(key)
    if not path.exists():  # content-addressed: the same scan uploaded twice is stored once
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)  # atomic: a crash never leaves half a file under the final name
    return digest, key


def blob_path(storage_key: str) -> Path:
    return Path(current_app.instance_path) / storage_key


def attach_stored(dossier: Dossier, *, component: str, filename: str, content_type: str, size: int, sha256: str,
                  storage_key: str, actor_id: int) -> Document:
    """A document row for bytes already in storage (an upload, or a file carried over from a draft)."""
    document = Document(dossier_id=dossier.id, component=component, filename=Path(filename).name[:255],
                        content_type=content_type, size=size, sha256=sha256, storage_key=storage_key,
                        uploaded_by_id=actor_id)
    db.session.add(document)
    db.session.flush()
    record(Event.DOCUMENT_UPLOADED, actor_id=actor_id, dossier_id=dossier.id, object_type="document",
           object_id=document.id, component=component, size=size, sha256=sha256)
    return document



def read_bytes(document: Document) -> bytes:
    return blob_path(document.storage_key).read_bytes()
