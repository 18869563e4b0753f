"""Deploying diagrams: check everything, then store a version keyed by content hash."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from sqlalchemy import select
from sqlalchemy.orm import Session

from .audit import AuditTrail
from .clock import as_utc
from .diagram_limits import check_shape, parse_deep
from .errors import DeployError, Problem
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


def check_diagram(data: bytes, name: str, *, registry: HandlerRegistry, known_lanes,
                  form_loader: FormLoader, max_bytes: int = DEFAULT_MAX_BYTES,
                  ) -> list[CheckedProcess]:
    """Run every deploy check on one BPMN file.

    Returns the parsed executable processes; raises DeployError with all problems.
    """
    root = parse_xml(data, name, max_bytes)
    problems = check_document(root, name)
    if problems and problems[0].element_id == name:
        raise DeployError(problems)
    problems.extend(check_shape(root, name))
    if any(p.element_id == name for p in problems):  # too large to hand to the parser
        raise DeployError(_unique(problems))
    checked = parse_deep(lambda: _parse(root, name, problems, registry, known_lanes,
                                        form_loader))
    if problems:
        raise DeployError(_unique(problems))
    return checked


def _parse(root, name, problems, registry, known_lanes, form_loader) -> list[CheckedProcess]:
    """SpiffWorkflow's parser and the checks on its specs; adds to ``problems``."""
    parser = SpiffBpmnParser()
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
            subs = parser.get_subprocess_specs(pid)
        except Exception as exc:
            problems.append(parse_problem(exc, pid))
            problems.extend(xml_code_problems(root))
            continue
        missing = [k for k, v in subs.items() if v is None]
        problems.extend(Problem(pid, f"called process {k!r} is not in this file") for k in missing)
        forms: dict = {}
        specs = [spec, *[s for s in subs.values() if s]]
        problems.extend(check_specs(specs, registry=registry, form_loader=form_loader,
                                    forms_out=forms))
        problems.extend(spec_lane_problems(specs, root, known_lanes))
        checked.append(CheckedProcess(pid, spec.description or pid, spec, subs, forms))
    return checked


def _unique(problems):
    seen, out = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def content_hash(data: bytes, forms: dict) -> str:
    h = hashlib.sha256(data)
    for fname in sorted(forms):
        h.update(b"\0" + fname.encode() + b"\0")
        h.update(json.dumps(forms[fname], sort_keys=True).encode())
    return h.hexdigest()


def deploy(session: Session, data: bytes, name: str, *, registry: HandlerRegistry, known_lanes,
           form_loader: FormLoader, actor: str, now: datetime,
           max_bytes: int = DEFAULT_MAX_BYTES, note: str = "") -> list[DeployResult]:
    """Check and store one BPMN file; one result per executable process.

    ``note`` (why the change was made, at most MAX_NOTE characters) is stored with each new
    version and in its ``version_deployed`` audit event.

    Identical content yields ``created=False`` and stores nothing. Flushes only:
    the caller commits (or rolls back on DeployError, which stores nothing).
    """
    note = " ".join((note or "").split())
    if len(note) > MAX_NOTE:
        raise DeployError([Problem(name, f"the change note is longer than {MAX_NOTE} characters")])
    checked = check_diagram(data, name, registry=registry, known_lanes=known_lanes,
                            form_loader=form_loader, max_bytes=max_bytes)
    text = data.decode("utf-8")
    trail, results = AuditTrail(), []
    for proc in checked:
        digest = content_hash(data + proc.process_id.encode(), proc.forms)
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
            deployed_by=actor, deployed_at=as_utc(now), note=note)
        session.add(row)
        session.flush()
        trail.add("version_deployed", at=as_utc(now), actor=actor, process_id=proc.process_id,
                  version=number, data={"content_hash": digest, "file": name,
                                        "forms": sorted(proc.forms), "note": note})
        results.append(DeployResult(proc.process_id, number, True, row.id))
    trail.flush(session)
    return results
