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


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_xml(data: bytes, name: str = "diagram", max_bytes: int = DEFAULT_MAX_BYTES):
    """Parse ``data`` safely and return the root element.

    Raises:
        DeployError: the file is too large, declares a DOCTYPE or entities, or is not
            well-formed XML; the problem names ``name`` and, where known, the line.
    """
    if len(data) > max_bytes:
        raise DeployError([Problem(
            name, f"file is {len(data)} bytes, over the limit of {max_bytes}")])
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DeployError([Problem(name, f"not UTF-8 text (invalid byte at offset {exc.start});"
                                         " save the diagram as UTF-8")]) from None
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
