"""Parse untrusted BPMN/DMN XML without entity expansion, DTDs or network access.

Packages arrive from designers' browsers and from other provinces, so every XML file is
hostile until proven otherwise. BPMN and DMN never need a DTD, so any DOCTYPE is refused
before the parser sees it: that stops entity-expansion bombs and external entities in
constant time and memory, whatever libxml2 would do with them.
"""

from __future__ import annotations

import re

from lxml import etree

MAX_XML_BYTES = 5 * 1024 * 1024

# A DOCTYPE or ENTITY declaration in any of the encodings XML allows without a BOM
# guess (UTF-8/ASCII-compatible and UTF-16 in either byte order).
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DECLARATION_UTF16 = tuple(
    re.compile(pattern.encode(codec), re.IGNORECASE)
    for codec in ("utf-16-le", "utf-16-be")
    for pattern in ("<!DOCTYPE", "<!ENTITY")
)


class UnsafeXml(ValueError):
    """The XML declares a DOCTYPE/ENTITY or is too large; ``code`` names the message."""

    def __init__(self, code: str, **params: object):
        self.code = code
        self.params = params
        super().__init__(code)


class MalformedXml(ValueError):
    def __init__(self, detail: str, line: int | None):
        self.detail = detail
        self.line = line
        super().__init__(detail)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def has_declarations(data: bytes) -> bool:
    return bool(_DECLARATION.search(data)) or any(p.search(data) for p in _DECLARATION_UTF16)


def parse_xml(data: bytes) -> etree._ElementTree:
    """Parse ``data`` safely or raise :class:`UnsafeXml` / :class:`MalformedXml`."""
    if len(data) > MAX_XML_BYTES:
        raise UnsafeXml("file_too_large", size=len(data), limit=MAX_XML_BYTES)
    if has_declarations(data):
        raise UnsafeXml("xml_doctype")
    try:
        tree = etree.ElementTree(etree.fromstring(data, _parser()))
    except etree.XMLSyntaxError as err:
        raise MalformedXml(str(err.msg), err.lineno) from None
    # Belt and braces: an encoding trick that hid the DOCTYPE from the byte scan.
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise UnsafeXml("xml_doctype")
    return tree
