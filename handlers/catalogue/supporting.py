"""Supporting processes of a service and its readiness for targets (mission rule 5).

A service is *ready for targets* when every required supporting process is ``defined``, with
an owner and the OLA or underpinning contract behind it. A baseline kind (incident, change,
availability, continuity) that was never registered for the service counts as missing too:
no register means nothing is defined. Registering a kind with ``required=False`` is the
explicit way to say a service does not need it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine.i18n import _
from handlers.bounds import check_bounds
from handlers.errors import DomainError, ValidationError

from .models import SUPPORTING_KINDS, Service, SupportingProcess

#: kinds every service needs unless registered as not required
BASELINE_KINDS = ("incident", "change", "availability", "continuity")


def _kind_errors(kind: str) -> dict:
    if kind not in SUPPORTING_KINDS:
        return {"kind": [f"kind {kind!r} must be one of {', '.join(SUPPORTING_KINDS)}"]}
    return {}


def register_supporting_process(session, service: Service, kind: str,
                                required: bool = True) -> SupportingProcess:
    """Register ``kind`` for ``service`` (undefined until defined); returns the existing row
    when there is one, with ``required`` updated. Raises ValidationError for an unknown kind."""
    errors = _kind_errors(kind)
    if errors:
        raise ValidationError(errors)
    process = next((p for p in service.supporting if p.kind == kind), None)
    if process is None:
        process = SupportingProcess(kind=kind, status="undefined")
        service.supporting.append(process)
    process.required = required
    session.flush()
    return process


def define_supporting_process(session, service: Service, kind: str, owner: str,
                              agreement: str, now: datetime,
                              required: bool = True) -> SupportingProcess:
    """Mark ``kind`` defined for ``service``, with its ``owner`` and ``agreement`` (OLA/UC).

    Registers the kind first when needed. Raises ValidationError for an unknown kind or a
    blank owner or agreement (a process without them is not defined).
    """
    errors = _kind_errors(kind)
    if not (owner or "").strip():
        errors["owner"] = [_("owner is required: who runs this process for the service")]
    if not (agreement or "").strip():
        errors["agreement"] = [_("agreement is required: the OLA or underpinning contract")]
    check_bounds(SupportingProcess, {"owner": (owner or "").strip(),
                                     "agreement": (agreement or "").strip()}, errors)
    if errors:
        raise ValidationError(errors)
    process = register_supporting_process(session, service, kind, required)
    process.owner, process.agreement = owner.strip(), agreement.strip()
    process.status, process.defined_at = "defined", now
    session.flush()
    return process


def undefine_supporting_process(session, service: Service, kind: str) -> None:
    """Mark ``kind`` undefined again (its OLA lapsed, its owner left...)."""
    for process in service.supporting:
        if process.kind == kind:
            process.status, process.defined_at = "undefined", None
    session.flush()


def readiness(session, service: Service) -> tuple[bool, list[str]]:
    """(ready, missing kinds, sorted) of ``service`` for targets (mission rule 5)."""
    registered = {p.kind: p for p in service.supporting}
    missing = {kind for kind in BASELINE_KINDS if kind not in registered}
    for process in registered.values():
        defined = (process.status == "defined" and process.owner.strip()
                   and process.agreement.strip())
        if process.required and not defined:
            missing.add(process.kind)
    return not missing, sorted(missing)


def readiness_message(service: Service, missing: list[str]) -> str:
    if not missing:
        return _("service %(name)s is ready for targets", name=repr(service.name))
    return (_("service %(name)s is not ready for targets: supporting processes not defined: "
              "%(value)s",
              name=repr(service.name),
              value=', '.join(missing)))


def _service(session, ident) -> Service:
    service = session.get(Service, int(ident)) if ident not in (None, "") else None
    if service is None:
        raise DomainError(_("service %(ident)s does not exist", ident=repr(ident)))
    return service


def check_supporting_processes(params: dict, ctx) -> dict:
    """Mission rule 5 gate. Params: ``service_id``.

    Returns ``{ready, missing: [kind], message}``; raises DomainError for an unknown service.
    """
    service = _service(ctx.session, params.get("service_id"))
    ready, missing = readiness(ctx.session, service)
    return {"ready": ready, "missing": missing, "message": readiness_message(service, missing)}


def catalogue_readiness(params: dict, ctx) -> dict:
    """Readiness of every service that is not retired. No params.

    Returns ``{services: [{key, name, ready, missing}], not_ready: <count>}``.
    """
    services = ctx.session.execute(
        select(Service).where(Service.status != "retired").order_by(Service.key)).scalars()
    rows = []
    for service in services:
        ready, missing = readiness(ctx.session, service)
        rows.append({"key": service.key, "name": service.name, "ready": ready,
                     "missing": missing})
    return {"services": rows, "not_ready": sum(1 for r in rows if not r["ready"])}


def register(registry) -> None:
    registry.add("check_supporting_processes", check_supporting_processes,
                 {"service_id": "id of the service whose supporting processes are checked"})
    registry.add("catalogue_readiness", catalogue_readiness, {})
