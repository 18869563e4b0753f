"""Process health pages: ``/diagrams/<id>/health`` (figures, heat map) and ``.csv``."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Response, abort, render_template, request, url_for

from engine.i18n import _

from .. import db_session
from ..auth.access import roles_required
from . import READERS, _version_or_404, bp
from .health import element_names, health_csv, hours, version_health


def _period() -> tuple[datetime | None, datetime | None, str, str]:
    """[from, to) of the query (dates, "to" included), or a 400 naming the bad one."""
    out = []
    for name in ("from", "to"):
        text = (request.args.get(name) or "").strip()[:20]
        if not text:
            out.append((None, ""))
            continue
        try:
            day = datetime.strptime(text, "%Y-%m-%d").date()
        except ValueError:
            abort(400, description=_("'%(name)s' must be a date like 2026-01-31, not %(text)s",
                                     name=name,
                                     text=repr(text)))
        at = datetime.combine(day, time())
        out.append((at + timedelta(days=1) if name == "to" else at, text))
    (start, start_text), (end, end_text) = out
    if start and end and end <= start:
        abort(400, description="'to' must not be before 'from'")
    return start, end, start_text, end_text


@bp.get("/<int:version_id>/health")
@roles_required(*READERS)
def health(version_id: int):
    row = _version_or_404(version_id)
    start, end, start_text, end_text = _period()
    figures = version_health(db_session(), row, start, end)
    period = {k: v for k, v in (("from", start_text), ("to", end_text)) if v}
    return render_template("diagrams/health.html", v=row, h=figures, hours=hours,
                           names=element_names(row.bpmn_xml), start=start_text, end=end_text,
                           csv_url=url_for("diagrams.health_export", version_id=row.id,
                                           **period))


@bp.get("/<int:version_id>/health.csv")
@roles_required(*READERS)
def health_export(version_id: int):
    row = _version_or_404(version_id)
    start, end, start_text, end_text = _period()
    figures = version_health(db_session(), row, start, end)
    name = f"health-{row.process_id}-v{row.version}.csv"
    return Response(health_csv(figures, element_names(row.bpmn_xml)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
