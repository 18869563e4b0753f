"""Exports of the process's outputs, as CSV or JSON.

Kinds (:data:`KINDS`):

* ``cost-data``: every service level option of the catalogue with its monthly cost, targets
  and readiness (record ``option``), and every active SLA with its agreed monthly cost beside
  the list price (record ``agreement``);
* ``cis``: configuration items with the services they support (the same columns the CI
  import reads, so an export can be edited and imported again);
* ``design-specs``: specifications for designing customer-specific services;
* ``customer-reports``: the customer reports of the reviews; their PDFs are written to a
  directory when one is given;
* ``change-requests``: change requests with where they came from.

:func:`export` builds an :class:`Export`: named columns and rows of JSON-safe values. JSON
keeps lists and objects as they are; CSV writes a list as its items joined by ``"; "``
(targets and requirements as their readable text) and guards every text cell that a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``...) with a leading apostrophe,
through :func:`handlers.outputs.csv_cells.write_csv`, the one CSV writer of the app. Money is a
string with two decimals, times are ISO 8601 (UTC), dates ISO dates. ``organisation`` (a
key) limits an export to what that customer organisation may see.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select

from engine.i18n import _
from handlers.agreements.models import ServiceLevelAgreement, SLAVersion
from handlers.catalogue.models import (
    ConfigurationItem,
    Metric,
    Service,
    ServiceLevelOption,
    service_ci,
)
from handlers.catalogue.operations import money
from handlers.catalogue.supporting import readiness
from handlers.csv_rows import headers
from handlers.errors import DomainError
from handlers.people.models import Organisation
from handlers.reports.models import CustomerReport
from handlers.reviews.models import ImprovementProposal, Review

from .csv_cells import FORMULA_START, csv_cell, write_csv  # noqa: F401 (re-exported)
from .models import ChangeRequest, DesignSpecification

KINDS = ("cost-data", "cis", "design-specs", "customer-reports", "change-requests")
FORMATS = ("csv", "json")


@dataclass
class Export:
    kind: str
    columns: tuple[str, ...]
    rows: list[dict]
    generated_at: datetime

    def to_json(self) -> str:
        return json.dumps({"kind": self.kind, "generated_at": _iso(self.generated_at),
                           "count": len(self.rows), "columns": list(self.columns),
                           "rows": self.rows}, indent=2, ensure_ascii=False) + "\n"

    def to_csv(self, labels: bool = False) -> str:
        """CSV with the column keys as its header, or (``labels``) the columns' headers in the
        current language, for a person (the imports read either)."""
        header = headers(self.columns) if labels else self.columns
        return write_csv(header, ([row.get(c) for c in self.columns] for row in self.rows))

    def render(self, fmt: str, labels: bool = False) -> str:
        """CSV or JSON; ``labels``: a CSV's header in the reader's language (JSON keeps keys)."""
        if fmt not in FORMATS:
            raise DomainError(_("format %(fmt)s must be one of %(value)s",
                                fmt=repr(fmt),
                                value=', '.join(FORMATS)))
        return self.to_csv(labels) if fmt == "csv" else self.to_json()


def export(session, kind: str, now: datetime, organisation: str | None = None,
           pdf_dir: Path | str | None = None) -> Export:
    """The export ``kind`` (one of :data:`KINDS`) as of ``now``.

    ``organisation`` (a key) limits it to that customer's records; ``pdf_dir`` (customer
    reports only) is where the PDFs are written. Raises DomainError for an unknown kind or
    organisation.
    """
    org = None
    if organisation:
        org = session.scalar(select(Organisation).where(Organisation.key == organisation))
        if org is None:
            raise DomainError(_("organisation %(organisation)s does not exist",
                                organisation=repr(organisation)))
    if kind == "cost-data":
        columns, rows = COST_COLUMNS, cost_data(session, org)
    elif kind == "cis":
        columns, rows = CI_COLUMNS, configuration_items(session)
    elif kind == "design-specs":
        columns, rows = SPEC_COLUMNS, design_specifications(session, org)
    elif kind == "customer-reports":
        columns, rows = REPORT_COLUMNS, customer_reports(session, org, pdf_dir)
    elif kind == "change-requests":
        columns, rows = CHANGE_COLUMNS, change_requests(session, org)
    else:
        raise DomainError(_("unknown export %(kind)s: choose one of %(value)s",
                            kind=repr(kind),
                            value=', '.join(KINDS)))
    return Export(kind, columns, rows, now)


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def target_text(t: dict) -> str:
    """e.g. ``availability >= 99.9 % per month``."""
    threshold = t.get("threshold")
    shown = f"{threshold:g}" if isinstance(threshold, int | float) else str(threshold)
    unit = f" {t['unit']}" if t.get("unit") else ""
    return f"{t['metric']} {t['comparator']} {shown}{unit} per {t.get('period') or '?'}"


def _target(metric: str, name: str, unit: str, comparator: str, threshold, period) -> dict:
    t = {"metric": metric, "name": name, "unit": unit, "comparator": comparator,
         "threshold": threshold, "period": period}
    return {**t, "text": target_text(t)}


# -- cost data ---------------------------------------------------------------------------------
COST_COLUMNS = ("record", "service_key", "service", "service_status", "level", "monthly_cost",
                "service_hours", "timezone", "targets", "ready_for_targets",
                "missing_processes", "organisation", "sla_reference", "sla_version",
                "valid_from", "valid_until", "list_monthly_cost")


def cost_data(session, org: Organisation | None = None) -> list[dict]:
    """Options of every service not retired (standard ones, and customer-specific ones of
    ``org`` or, without ``org``, of everyone), then every active SLA with its agreed cost."""
    query = select(Service).where(Service.status != "retired").order_by(Service.key)
    if org is not None:
        query = query.where((Service.organisation_id.is_(None))
                            | (Service.organisation_id == org.id))
    rows = []
    owners = {o.id: o.name for o in session.scalars(select(Organisation))}
    for service in session.scalars(query):
        ready, missing = readiness(session, service)
        for option in service.options:
            rows.append({
                "record": "option", "service_key": service.key, "service": service.name,
                "service_status": service.status, "level": option.name,
                "monthly_cost": money(option.monthly_cost),
                "service_hours": option.service_hours, "timezone": option.timezone,
                "targets": [_target(t.metric.key, t.metric.name, t.metric.unit, t.comparator,
                                    t.threshold, t.period)
                            for t in sorted(option.targets, key=lambda t: t.metric.key)],
                "ready_for_targets": ready, "missing_processes": missing,
                "organisation": owners.get(service.organisation_id),
                "sla_reference": None, "sla_version": None, "valid_from": None,
                "valid_until": None, "list_monthly_cost": None})
    agreements = select(ServiceLevelAgreement, SLAVersion.terms).join(SLAVersion, (
        SLAVersion.sla_id == ServiceLevelAgreement.id)
        & (SLAVersion.number == ServiceLevelAgreement.current_version)).where(
        ServiceLevelAgreement.status == "active").order_by(ServiceLevelAgreement.reference)
    if org is not None:
        agreements = agreements.where(ServiceLevelAgreement.organisation_id == org.id)
    for sla, raw in session.execute(agreements):
        terms = json.loads(raw)
        option = session.get(ServiceLevelOption, sla.option_id) if sla.option_id else None
        rows.append({
            "record": "agreement", "service_key": sla.service.key,
            "service": terms.get("service") or sla.service.name,
            "service_status": sla.service.status, "level": terms.get("level"),
            "monthly_cost": terms.get("monthly_cost"),
            "service_hours": terms.get("service_hours"), "timezone": terms.get("timezone"),
            "targets": [_target(t["metric"], t.get("name", ""), t.get("unit", ""),
                                t.get("comparator"), t.get("threshold"), t.get("period"))
                        for t in terms.get("targets", [])],
            "ready_for_targets": None, "missing_processes": None,
            "organisation": sla.organisation.name, "sla_reference": sla.reference,
            "sla_version": sla.current_version, "valid_from": _iso(sla.valid_from),
            "valid_until": _iso(sla.valid_until),
            "list_monthly_cost": money(option.monthly_cost) if option else None})
    return rows


# -- configuration items ----------------------------------------------------------------------
CI_COLUMNS = ("key", "name", "ci_type", "status", "location", "services", "service_names")


def configuration_items(session) -> list[dict]:
    """Every configuration item with the keys and names of the services it supports."""
    services: dict[int, list[Service]] = {}
    for ci_id, service in session.execute(
            select(service_ci.c.ci_id, Service).join(Service, Service.id == service_ci.c.service_id)
            .order_by(Service.key)):
        services.setdefault(ci_id, []).append(service)
    return [{"key": ci.key, "name": ci.name, "ci_type": ci.ci_type, "status": ci.status,
             "location": ci.location, "services": [s.key for s in services.get(ci.id, [])],
             "service_names": [s.name for s in services.get(ci.id, [])]}
            for ci in session.scalars(select(ConfigurationItem).order_by(ConfigurationItem.key))]


# -- design specifications --------------------------------------------------------------------
SPEC_COLUMNS = ("id", "title", "organisation", "slr_id", "requirement", "service_key",
                "service_status", "estimated_monthly_cost", "cost_basis", "requirements",
                "flagged", "nearest_options", "supporting_processes", "change_requests",
                "created_at")


def design_specifications(session, org: Organisation | None = None) -> list[dict]:
    query = select(DesignSpecification).order_by(DesignSpecification.id)
    if org is not None:
        query = query.where(DesignSpecification.organisation_id == org.id)
    metrics = {m.key: m for m in session.scalars(select(Metric))}
    rows = []
    for spec in session.scalars(query):
        content = json.loads(spec.content or "{}")
        service = session.get(Service, spec.service_id) if spec.service_id else None
        changes = session.scalars(select(ChangeRequest.reference).where(
            ChangeRequest.design_spec_id == spec.id).order_by(ChangeRequest.id)).all()
        rows.append({
            "id": spec.id, "title": spec.title,
            "organisation": session.get(Organisation, spec.organisation_id).name,
            "slr_id": spec.slr_id, "requirement": content.get("slr", {}).get("title"),
            "service_key": service.key if service else None,
            "service_status": service.status if service else None,
            "estimated_monthly_cost": money(spec.estimated_monthly_cost),
            "cost_basis": content.get("estimate", {}).get("basis"),
            "requirements": [_requirement(r, metrics.get(r["metric"]))
                             for r in content.get("requirements", [])],
            "flagged": [{**f, "text": f"{f.get('text')}: {f.get('reason')}"}
                        for f in content.get("flagged", [])],
            "nearest_options": [{**o, "text": _nearest_text(o)}
                                for o in content.get("nearest", [])],
            "supporting_processes": content.get("supporting_processes", []),
            "change_requests": list(changes), "created_at": _iso(spec.created_at)})
    return rows


def _requirement(r: dict, metric: Metric | None) -> dict:
    return _target(r["metric"], metric.name if metric else "", metric.unit if metric else "",
                   r["comparator"], r["threshold"], r["period"])


def _nearest_text(option: dict) -> str:
    fit = "meets every requirement" if option.get("fully_meets") else "falls short"
    return f"{option['label']} ({option['monthly_cost']} a month, {fit})"


# -- customer reports -------------------------------------------------------------------------
REPORT_COLUMNS = ("id", "title", "sla_reference", "organisation", "service", "review_id",
                  "period_start", "period_end", "review_status", "targets", "breaches",
                  "observations", "created_at", "pdf_bytes", "pdf_file")


def _file_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.") or "report"


def customer_reports(session, org: Organisation | None = None,
                     pdf_dir: Path | str | None = None) -> list[dict]:
    """Every customer report (newest first); with ``pdf_dir`` each PDF is written there as
    ``<SLA reference>_<period start>_<report id>.pdf``."""
    query = (select(CustomerReport, ServiceLevelAgreement, Review)
             .join(ServiceLevelAgreement, ServiceLevelAgreement.id == CustomerReport.sla_id)
             .outerjoin(Review, Review.id == CustomerReport.review_id)
             .order_by(CustomerReport.created_at.desc(), CustomerReport.id.desc()))
    if org is not None:
        query = query.where(ServiceLevelAgreement.organisation_id == org.id)
    folder = Path(pdf_dir) if pdf_dir is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for report, sla, review in session.execute(query):
        att = json.loads(review.attainment or "{}") if review is not None else {}
        pdf_file = None
        if folder is not None:
            start = review.period_start.isoformat() if review is not None else "undated"
            path = folder / f"{_file_name(sla.reference)}_{start}_{report.id}.pdf"
            path.write_bytes(report.pdf)
            pdf_file = str(path)
        rows.append({
            "id": report.id, "title": report.title, "sla_reference": sla.reference,
            "organisation": sla.organisation.name, "service": sla.service.name,
            "review_id": report.review_id,
            "period_start": _iso(review.period_start) if review else None,
            "period_end": _iso(review.period_end) if review else None,
            "review_status": review.status if review else None,
            "targets": [{"metric": t.get("metric"), "attained": t.get("attained"),
                         "threshold": t.get("threshold"), "comparator": t.get("comparator"),
                         "status": t.get("status"),
                         "text": f"{t.get('metric')}: {_shown(t.get('attained'))} "
                                 f"({t.get('status') or 'no data'})"}
                        for t in att.get("targets", [])],
            "breaches": att.get("breaches"), "observations": att.get("observation_count"),
            "created_at": _iso(report.created_at), "pdf_bytes": len(report.pdf or b""),
            "pdf_file": pdf_file})
    return rows


def _shown(value) -> str:
    return "no data" if value is None else f"{value:.6g}"


# -- change requests --------------------------------------------------------------------------
CHANGE_COLUMNS = ("reference", "title", "status", "origin", "organisation", "sla_reference",
                  "proposal_id", "proposal_title", "proposal_reason", "design_spec_id",
                  "design_spec_title", "created_by", "created_at", "description")


def change_requests(session, org: Organisation | None = None) -> list[dict]:
    """Every change request (oldest first) with its origin: an improvement proposal, a
    design specification, or neither (stand-alone)."""
    rows = []
    for change in session.scalars(select(ChangeRequest).order_by(ChangeRequest.id)):
        sla = session.get(ServiceLevelAgreement, change.sla_id) if change.sla_id else None
        proposal = session.get(ImprovementProposal, change.proposal_id) \
            if change.proposal_id else None
        spec = session.get(DesignSpecification, change.design_spec_id) \
            if change.design_spec_id else None
        org_id = sla.organisation_id if sla else (spec.organisation_id if spec else None)
        if org is not None and org_id != org.id:
            continue
        origin = ("improvement proposal" if proposal else
                  "design specification" if spec else "stand-alone")
        rows.append({
            "reference": change.reference, "title": change.title, "status": change.status,
            "origin": origin,
            "organisation": session.get(Organisation, org_id).name if org_id else None,
            "sla_reference": sla.reference if sla else None,
            "proposal_id": change.proposal_id,
            "proposal_title": proposal.title if proposal else None,
            "proposal_reason": proposal.reason if proposal else None,
            "design_spec_id": change.design_spec_id,
            "design_spec_title": spec.title if spec else None,
            "created_by": change.created_by, "created_at": _iso(change.created_at),
            "description": change.description})
    return rows
