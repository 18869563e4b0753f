"""Where a ``next`` (or return) parameter may send a person: this site only.

Every view that redirects to an address from the request goes through :func:`safe_target`.
"""
from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from flask import url_for

#: characters browsers strip or treat as separators before parsing a URL
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def is_safe_target(target: str | None) -> bool:
    """True for a same-origin relative path ("/tasks?x=1"); False for anything a browser could
    read as another host: "//evil", "/\\evil", "/%09/evil.com", "https://...", control
    characters, CR/LF, backslashes, spaces."""
    if not target or not isinstance(target, str) or len(target) > 2048:
        return False
    if not target.startswith("/") or _UNSAFE.search(target):
        return False
    decoded = unquote(target)
    if _UNSAFE.search(decoded) or decoded.startswith("//") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_target(target: str | None, default: str = "home.index") -> str:
    """``target`` when it is safe (see :func:`is_safe_target`), else the ``default`` page."""
    return target if is_safe_target(target) else url_for(default)
