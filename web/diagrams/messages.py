"""``/diagrams/messages``: messages thrown by instances or sent from outside
(POST /api/v1/messages), the ones no instance took first: process owners see what was
sent that their processes did not wait for (kept, never dropped; delivered when an
instance starts waiting for it)."""
from __future__ import annotations

import json

from flask import render_template, request
from sqlalchemy import case, func, select

from engine.models import BpmnMessage

from .. import db_session
from ..auth.access import roles_required
from . import READERS, bp

PER_PAGE = 50
STATUSES = ("unclaimed", "pending", "delivered")


def _text(raw: str, limit: int = 300) -> str:
    try:
        text = json.dumps(json.loads(raw), ensure_ascii=False, sort_keys=True)
    except ValueError:
        text = raw
    return text if len(text) <= limit else text[:limit] + " …"


@bp.get("/messages")
@roles_required(*READERS)
def messages():
    session = db_session()
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    page = max(1, min(request.args.get("page", 1, type=int), 10_000))
    query = select(BpmnMessage)
    if status:
        query = query.where(BpmnMessage.status == status)
    order = case({"unclaimed": 0, "pending": 1}, value=BpmnMessage.status, else_=2)
    rows = session.scalars(query.order_by(order, BpmnMessage.id.desc())
                           .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    counts = dict(session.execute(select(BpmnMessage.status, func.count())
                                  .group_by(BpmnMessage.status)).all())
    items = [{"row": m, "correlation": _text(m.correlations), "payload": _text(m.payload),
              "delivered_to": json.loads(m.delivered_to or "[]")} for m in rows]
    total = counts.get(status, 0) if status else sum(counts.values())
    return render_template("diagrams/messages.html", items=items, counts=counts,
                           status=status, page=page, more=page * PER_PAGE < total)
