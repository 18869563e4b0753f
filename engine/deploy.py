"""Deploying diagrams: check everything, then store a version keyed by content hash."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import bpmn_support, calls, event_subprocesses
from .audit import AuditTrail
from .clock import as_utc
from .decisions import DecisionSource, add_decisions, missing_decision
from .diagram_limits import check_shape, parse_deep
from .errors import DeployError, Problem
from .i18n import _
from .lanes import spec_lane_problems
from .models import ProcessVersion
from .registry import HandlerRegistry
from .serialization import dumps_spec
from .timer_events import use_engine_timers
from .validation import (
    FormLoader,
    check_document,
    check_specs,
    parse_problem,
    xml_code_problems,
)
from .xmlsafe import DEFAULT_MAX_BYTES, parse_xml

#: the longest change note stored with a version
MAX_NOTE = 500


@dataclass
class DeployResult:
    process_id: str
    version: int
    created: bool
    version_id: int


@dataclass
class CheckedProcess:
    process_id: str
    name: str
    spec: object
    subprocess_specs: dict
    forms: dict
    #: {DMN file name: text} of the decisions its business rule tasks use
    decisions: dict = field(default_factory=dict)


def check_diagram(data: bytes, name: str, *, registry: HandlerRegistry, known_lanes,
                  form_loader: FormLoader, max_bytes: int = DEFAULT_MAX_BYTES,
                  decisions: DecisionSource | None = None,
                  session: Session | None = None,
                  upload: dict[str, set[str]] | None = None) -> list[CheckedProcess]:
    """Run every deploy check on one BPMN file.

    ``decisions``: the DMN files its business rule tasks may name (engine.decisions).
    ``session``: where to look for processes that call activities call but the file does
    not hold (without one, such a call is a problem); ``upload``: the processes of the other
    files deployed with this one, and what they call (engine.calls.calls_in). Returns the
    parsed executable
    processes; raises DeployError with all problems.
    """
    root = parse_xml(data, name, max_bytes)
    problems = check_document(root, name)
    if problems and problems[0].element_id == name:
        raise DeployError(problems)
    problems.extend(check_shape(root, name))
    problems.extend(bpmn_support.refused(root))
    if any(p.element_id == name for p in problems):  # too large to hand to the parser
        raise DeployError(_unique(problems))
    checked = parse_deep(lambda: _parse(root, name, problems, registry, known_lanes,
                                        form_loader, decisions, session, upload))
    if problems:
        raise DeployError(_unique(problems))
    return checked


def _parse(root, name, problems, registry, known_lanes, form_loader,
           decisions=None, session=None, upload=None) -> list[CheckedProcess]:
    """SpiffWorkflow's parser and the checks on its specs; adds to ``problems``."""
    parser = calls.EngineParser()
    used = add_decisions(parser, root, name, decisions, problems)
    try:
        parser.add_bpmn_xml(root, filename=name)
    except Exception as exc:  # Spiff raises a variety of errors on broken models
        problems.append(parse_problem(exc, name))
        problems.extend(xml_code_problems(root))
        return []
    checked = []
    for pid in parser.get_process_ids():
        try:
            spec = parser.get_spec(pid)
            subs = parser.get_subprocess_specs(pid, require_call_activity_specs=False)
        except Exception as exc:
            if not missing_decision(exc):  # add_decisions said which task and decision
                problems.append(parse_problem(exc, pid))
            problems.extend(xml_code_problems(root))
            continue
        missing = sorted(k for k, v in subs.items() if v is None)
        subs = {k: v for k, v in subs.items() if v is not None}
        if missing and (session is not None or upload):  # deployed separately: a child
            problems.extend(calls.check_called(
                session, root, calls.call_activities_by_called(root, missing), upload))
        elif missing:
            problems.extend(Problem(pid, _("called process %(k)s is not in this file",
                                           k=repr(k)))
                            for k in missing)
        event_subprocesses.mark(root, [spec, *[s for s in subs.values() if s]])
        forms: dict = {}
        specs = [spec, *[s for s in subs.values() if s]]
        problems.extend(check_specs(specs, registry=registry, form_loader=form_loader,
                                    forms_out=forms))
        problems.extend(spec_lane_problems(specs, root, known_lanes))
        checked.append(CheckedProcess(pid, spec.description or pid, spec, subs, forms, used))
    return checked


def _unique(problems):
    seen, out = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def content_hash(data: bytes, forms: dict, decisions: dict | None = None) -> str:
    h = hashlib.sha256(data)
    for fname in sorted(forms):
        h.update(b"\0" + fname.encode() + b"\0")
        h.update(json.dumps(forms[fname], sort_keys=True).encode())
    for fname in sorted(decisions or {}):  # none: the hash of a diagram without DMN
        h.update(b"\0dmn\0" + fname.encode() + b"\0")
        h.update(decisions[fname].encode())
    return h.hexdigest()


def deploy(session: Session, data: bytes, name: str, *, registry: HandlerRegistry, known_lanes,
           form_loader: FormLoader, actor: str, now: datetime,
           max_bytes: int = DEFAULT_MAX_BYTES, note: str = "",
           decisions: DecisionSource | None = None) -> list[DeployResult]:
    """Check and store one BPMN file; one result per executable process.

    ``note`` (why the change was made, at most MAX_NOTE characters) is stored with each new
    version and in its ``version_deployed`` audit event.

    Identical content yields ``created=False`` and stores nothing. Flushes only:
    the caller commits (or rolls back on DeployError, which stores nothing).
    """
    note = clean_note(note, name)
    checked = check_diagram(data, name, registry=registry, known_lanes=known_lanes,
                            form_loader=form_loader, max_bytes=max_bytes, decisions=decisions,
                            session=session)
    return store_checked(session, checked, data, name, actor=actor, now=now, note=note)


def clean_note(note: str | None, name: str) -> str:
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise DeployError([Problem(name, _("the change note is longer than %(MAX_NOTE)s "
                                           "characters",
                                           MAX_NOTE=MAX_NOTE))])
    return note


def store_checked(session: Session, checked: list[CheckedProcess], data: bytes, name: str, *,
                  actor: str, now: datetime, note: str) -> list[DeployResult]:
    """Store the checked processes of one file as new versions (flush only)."""
    text = data.decode("utf-8")
    trail, results = AuditTrail(), []
    for proc in checked:
        digest = content_hash(data + proc.process_id.encode(), proc.forms, proc.decisions)
        latest = session.execute(
            select(ProcessVersion).where(ProcessVersion.process_id == proc.process_id)
            .order_by(ProcessVersion.version.desc()).limit(1)).scalar_one_or_none()
        if latest is not None and latest.content_hash == digest:
            # Same as the current version: nothing to store. (Deploying an older diagram
            # again makes it current under a new number.)
            results.append(DeployResult(proc.process_id, latest.version, False, latest.id))
            continue
        number = (latest.version if latest is not None else 0) + 1
        for spec in (proc.spec, *proc.subprocess_specs.values()):
            use_engine_timers(spec)
        row = ProcessVersion(
            process_id=proc.process_id, version=number, name=proc.name, content_hash=digest,
            bpmn_xml=text, spec_json=dumps_spec(proc.spec, proc.subprocess_specs),
            # unsorted: a form shows its fields in the order the author wrote them
            forms_json=json.dumps(proc.forms), filename=name,
            dmn_json=json.dumps(proc.decisions, sort_keys=True),
            deployed_by=actor, deployed_at=as_utc(now), note=note)
        session.add(row)
        session.flush()
        trail.add("version_deployed", at=as_utc(now), actor=actor, process_id=proc.process_id,
                  version=number, data={"content_hash": digest, "file": name,
                                        "forms": sorted(proc.forms), "note": note,
                                        **({"decisions": sorted(proc.decisions)}
                                           if proc.decisions else {})})
        results.append(DeployResult(proc.process_id, number, True, row.id))
    trail.flush(session)
    return results
