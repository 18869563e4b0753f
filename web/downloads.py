"""Every file the app hands out goes through :func:`attachment`: werkzeug's ``send_file``
writes the ``Content-Disposition`` header (quoting, RFC 5987 for non-ASCII names), so no view
builds that header by hand; the name is cleaned of anything but a plain file name first."""
from __future__ import annotations

import io
import re

from flask import send_file

#: what a downloaded file's name may keep (anything else becomes "-")
_UNSAFE_NAME = re.compile(r"[^\w.()+ -]+")
#: diagram XML is a download, never a page: a type no browser renders
DIAGRAM_MIMETYPE = "application/octet-stream"


def clean_name(name: str, default: str = "download") -> str:
    """A plain file name: no path, no control or quoting characters, at most 120 long."""
    name = _UNSAFE_NAME.sub("-", (name or "").rsplit("/", 1)[-1]).strip(" .-")
    return name[:120] or default


def attachment(body: bytes | str, mimetype: str, filename: str):
    """A download of ``body`` called ``filename`` (``Cache-Control: no-store`` is added for
    every private response by the app, see web/__init__.py)."""
    data = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                     download_name=clean_name(filename), etag=False, max_age=0,
                     conditional=False)


def diagram_download(xml: str | bytes, filename: str):
    """BPMN XML as a file to save (attachment, non-renderable type): a browser never shows
    it as a document, so a script in it never runs on this site."""
    return attachment(xml, DIAGRAM_MIMETYPE, filename)
