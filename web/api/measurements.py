"""POST /api/v1/measurements: the measurement import of the import page, for JSON rows."""
from __future__ import annotations

from flask_login import current_user

from engine.clock import utcnow
from engine.i18n import _
from handlers.delivery.measurements import import_rows

from .. import db_session
from ..auth.access import roles_required
from ..delivery import EDITORS
from . import V1, bp, invalid, json_object, ok

#: rows per call; more: split them (importing twice is safe, duplicates are skipped)
MAX_ROWS = 50_000


@bp.post(f"{V1}/measurements")
@roles_required(*EDITORS)
def import_measurements():
    rows = json_object().get("rows")
    if not isinstance(rows, list) or not rows:
        return invalid({"rows": ["a non-empty list of {sla, metric, measured_at, value}"]})
    if len(rows) > MAX_ROWS:
        return invalid({"rows": [_("at most %(MAX_ROWS)s rows per call: split them",
                                   MAX_ROWS=MAX_ROWS)]})
    # field names as the CSV import reads its header; anything else is rejected row by row
    rows = [{str(k).strip().lower(): v for k, v in row.items()} if isinstance(row, dict)
            else row for row in rows]
    session = db_session()
    result = import_rows(session, rows, source=f"api:{current_user.username}"[:200],
                         now=utcnow())
    session.commit()
    return ok(result)
