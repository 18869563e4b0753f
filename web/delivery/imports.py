"""Measurement import: upload a CSV, see row by row what was imported and what was rejected."""
from __future__ import annotations

from flask import current_app, render_template, request
from werkzeug.utils import secure_filename

from engine.clock import utcnow
from engine.i18n import _
from handlers.delivery.measurements import COLUMNS, import_csv
from handlers.errors import DomainError

from .. import db_session
from ..auth.access import roles_required
from . import EDITORS, bp, queries

#: default upload limit of one measurement file (SLM_MAX_IMPORT_BYTES overrides it)
MAX_IMPORT_BYTES = 5 * 1024 * 1024
#: rejected rows shown on the page; the count says how many more there were
SHOWN_REJECTIONS = 500


def _page(errors: dict | None = None, result: dict | None = None, filename: str = "",
          status: int = 200):
    return render_template("delivery/import.html", errors=errors or {}, result=result,
                           filename=filename, columns=COLUMNS, limit=size(_limit()),
                           shown=SHOWN_REJECTIONS,
                           slas=queries.accepting_slas(db_session())), status


def size(n: int) -> str:
    """``n`` bytes as people read it: "512 bytes", "64 KB", "5 MB"."""
    if n < 1024:
        return f"{n} bytes"
    return f"{n // 1024} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:g} MB"


def _limit() -> int:
    return int(current_app.config.get("SLM_MAX_IMPORT_BYTES", MAX_IMPORT_BYTES))


def _read_upload(upload) -> tuple[str | None, str | None]:
    """(text, None) of the uploaded CSV, or (None, why it cannot be imported)."""
    if upload is None or not upload.filename:
        return None, _("choose a CSV file to upload")
    data = upload.stream.read(_limit() + 1)
    if len(data) > _limit():
        return None, (_("the file is larger than %(size)s: split it into smaller files "
                        "(importing twice is safe: duplicates are skipped)",
                        size=size(_limit())))
    if not data.strip():
        return None, _("the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, _("the file is not UTF-8 text: save it as \"CSV UTF-8\" and upload it again")
    # always text with a line break: import_csv must never take it for a path on this server
    return text if text.endswith("\n") else text + "\n", None


@bp.route("/measurements/import", methods=["GET", "POST"])
@roles_required(*EDITORS)
def import_measurements():
    if request.method == "GET":
        return _page()
    upload = request.files.get("file")
    text, problem = _read_upload(upload)
    if problem:
        return _page({"file": [problem]}, status=400)
    name = secure_filename(upload.filename) or "upload.csv"
    session = db_session()
    try:
        result = import_csv(session, text, source=f"csv:{name}"[:200], now=utcnow())
    except DomainError as exc:  # the file is not CSV at all
        session.rollback()
        return _page({"file": [str(exc)]}, filename=name, status=400)
    session.commit()
    return _page(result=result, filename=name)
