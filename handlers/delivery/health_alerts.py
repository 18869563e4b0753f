"""After a measurement import: tell people when a target became at risk or breached.

Each (SLA, target, period, status) is told once, however many imports follow: a marker
row is written in the import's own transaction. The SLA's managers and the customers of
its organisation hear of it.
"""
from __future__ import annotations

import json
from datetime import datetime

from engine.i18n import N_, lazy_gettext
from handlers.agreements.models import ServiceLevelAgreement
from handlers.notifications.events import people_with_role
from handlers.notifications.operations import notify
from handlers.notifications.reminders import once

from .health import sla_health

KIND = {"at_risk": "target_at_risk", "breached": "target_breached"}
WORDS = {"at_risk": N_("%(reference)s: %(name)s is at risk"),
         "breached": N_("%(reference)s: %(name)s is breached")}


def terms_of(sla: ServiceLevelAgreement) -> dict:
    """The SLA's current terms (its latest version)."""
    return json.loads(sla.versions[-1].terms) if sla.versions else {}


def alert_after_import(session, sla_ids, now: datetime) -> int:
    """Notifications for targets of ``sla_ids`` now at risk or breached (each once);
    returns how many were given. The caller commits."""
    given = 0
    for sla_id in sorted(set(sla_ids)):
        sla = session.get(ServiceLevelAgreement, sla_id)
        if sla is None or sla.status != "active":
            continue
        for h in sla_health(session, sla, terms_of(sla), now):
            if h.status not in KIND:
                continue
            key = f"health:{sla.id}:{h.metric}:{h.period_start:%Y-%m}:{h.status}"
            if not once(session, key, now):
                continue
            org = sla.organisation.key if sla.organisation is not None else None
            target = f"{h.name} {h.comparator} {h.threshold:g}{h.unit}"
            if h.forecast is None:
                detail = h.name
            elif h.used is not None:
                detail = lazy_gettext("%(target)s: forecast %(forecast)s, %(used)s %% of the "
                                      "error budget used", target=target,
                                      forecast=f"{h.forecast:.3f}{h.unit}",
                                      used=f"{100 * h.used:.1f}")
            else:
                detail = lazy_gettext("%(target)s: forecast %(forecast)s", target=target,
                                      forecast=f"{h.forecast:.3f}{h.unit}")
            title = lazy_gettext(WORDS[h.status], reference=sla.reference, name=h.name)
            notify(session, people_with_role(session, "Service Level Manager"),
                   KIND[h.status], title, now=now, link=f"/slas/{sla.id}", body=detail)
            notify(session, people_with_role(session, "Customer", org), KIND[h.status],
                   title, now=now, link=f"/portal/slas/{sla.id}", body=detail)
            given += 1
    return given
