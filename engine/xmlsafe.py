"""Hardened XML parsing for uploaded diagrams.

No DTDs, no entities, no network, no huge trees, and a size limit checked before
parsing, so hostile files (billion laughs, external entities) are refused cheaply.
"""
from __future__ import annotations

import re

from lxml import etree

from .errors import DeployError, Problem

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
#: the encoding named by an XML declaration (the declaration is ASCII in every encoding
#: that passes the UTF-8 check, UTF-7 included)
_DECLARED = re.compile(rb"""\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']""",
                       re.IGNORECASE)
#: no control characters in a diagram's file name (tab, CR and LF included)
_NAME_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        encoding="utf-8",  # whatever the document declares (checked before, too)
    )


def parse_xml(data: bytes, name: str = "diagram", max_bytes: int = DEFAULT_MAX_BYTES):
    """Parse ``data`` safely and return the root element.

    Raises:
        DeployError: the name has control characters, the file is too large, is not UTF-8
            or declares another encoding, declares a DOCTYPE or entities, or is not
            well-formed XML; the problem names ``name`` and, where known, the line.
    """
    if not isinstance(name, str) or not name or _NAME_CONTROL.search(name):
        raise DeployError([Problem(repr(name)[:80], "the file name must not contain control "
                                                    "characters (tab, newline...)")])
    if len(data) > max_bytes:
        raise DeployError([Problem(
            name, f"file is {len(data)} bytes, over the limit of {max_bytes}")])
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DeployError([Problem(name, f"not UTF-8 text (invalid byte at offset {exc.start});"
                                         " save the diagram as UTF-8")]) from None
    declared = _DECLARED.match(data)
    encoding = declared.group(1).strip().lower().replace(b"_", b"-") if declared else b"utf-8"
    if encoding not in (b"utf-8", b"utf8"):
        raise DeployError([Problem(name, f"the file declares the encoding "
                                         f"{declared.group(1).decode('ascii', 'replace')!r};"
                                         " only UTF-8 is accepted: save it as UTF-8")])
    if b"\x00" in data:
        raise DeployError([Problem(name, "not UTF-8 text (NUL bytes; UTF-16?); save it as UTF-8")])
    if _DOCTYPE.search(data):
        raise DeployError([Problem(name, "DOCTYPE and entity declarations are not allowed")])
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise DeployError([Problem(name, f"malformed XML: {exc}")]) from None
    if root is None:
        raise DeployError([Problem(name, "empty document")])
    return root
