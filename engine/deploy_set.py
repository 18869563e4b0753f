"""Deploying a set: several diagrams with their DMN decisions and form and ui schemas.

Every file of the set is checked before anything is stored: each DMN file (engine.decisions),
each JSON file (an object; a ``.schema.json`` must be a usable form), then each diagram with
the set's decisions and forms (then those already available: the form files of the
installation, the decisions stored with deployed versions). Any problem refuses the whole
set, with every problem listed by file and element; otherwise every diagram is stored, in the
caller's transaction (flush only: the caller commits, or rolls back on DeployError).

The set is read from a folder or a ``.zip`` by engine.set_files (re-exported here).
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.orm import Session

from . import calls
from .decisions import DecisionSource
from .deploy import DeployResult, check_diagram, clean_note, store_checked
from .errors import DeployError, Problem
from .forms import schema_problems
from .i18n import _
from .registry import HandlerRegistry
from .set_files import KNOWN_EXTENSIONS, MAX_MEMBERS, kind_of, read_dir, read_zip
from .xmlsafe import DEFAULT_MAX_BYTES, parse_xml

__all__ = ["KNOWN_EXTENSIONS", "MAX_MEMBERS", "check_set", "deploy_set", "read_dir",
           "read_zip"]


def _json_problems(files: dict[str, bytes]) -> list[Problem]:
    problems = []
    for name, raw in files.items():
        try:
            value = json.loads(raw)
        except RecursionError:
            problems.append(Problem(name, _("is nested too deeply"), name))
            continue
        except (ValueError, UnicodeDecodeError) as exc:
            problems.append(Problem(name, _("is not valid JSON: %(exc)s", exc=exc), name))
            continue
        if not isinstance(value, dict):
            problems.append(Problem(name, _("must hold a JSON object"), name))
        elif name.endswith(".schema.json"):
            problems.extend(Problem(name, m, name) for m in schema_problems(value))
    return problems


def check_set(files: dict[str, bytes], *, registry: HandlerRegistry, known_lanes,
              form_loader=None, decision_fallback=None, max_bytes: int = DEFAULT_MAX_BYTES,
              session: Session | None = None):
    """Check every file of the set; return [(file name, bytes, checked processes)].

    ``form_loader``: forms not in the set (the installation's form files);
    ``decision_fallback``: a callable giving more DMN files ({name: bytes}) for decisions
    not in the set; ``session``: where call activities find processes deployed before (a
    call to a process of another file of the set is fine too). Raises DeployError listing
    every problem, each with its file.
    """
    problems: list[Problem] = []
    unknown = [n for n in files if kind_of(n) is None]
    problems.extend(Problem(n, _("only %(value)s files may be in a set",
                                 value=', '.join(KNOWN_EXTENSIONS)), n)
                    for n in unknown)
    if len(files) > MAX_MEMBERS:
        problems.append(Problem("set", _("the set has %(value)s files, more than "
                                         "%(MAX_MEMBERS)s",
                                         value=len(files),
                                         MAX_MEMBERS=MAX_MEMBERS)))
    diagrams = {n: d for n, d in files.items() if kind_of(n) == ".bpmn"}
    dmn = {n: d for n, d in files.items() if kind_of(n) == ".dmn"}
    schemas = {n: d for n, d in files.items() if kind_of(n) == ".json"}
    if not diagrams:
        problems.append(Problem("set", _("the set has no .bpmn diagram")))
    decisions = DecisionSource(dmn, strict=True, fallback=decision_fallback,
                               max_bytes=max_bytes)
    decisions.load()  # reads (and checks) every DMN file of the set now
    problems.extend(decisions.problems)
    problems.extend(_json_problems(schemas))

    def load(name: str) -> bytes | None:
        if name in schemas:
            return schemas[name]
        return form_loader(name) if form_loader is not None else None

    called_by_file = {}
    for name, data in diagrams.items():
        try:
            called_by_file[name] = calls.calls_in(parse_xml(data, name, max_bytes))
        except DeployError:  # check_diagram below says what is wrong with it
            called_by_file[name] = {}
    checked_all, owners = [], {}
    for name, data in sorted(diagrams.items()):
        upload = {pid: called for other, procs in called_by_file.items() if other != name
                  for pid, called in procs.items()}
        try:
            checked = check_diagram(data, name, registry=registry, known_lanes=known_lanes,
                                    form_loader=load, max_bytes=max_bytes, decisions=decisions,
                                    session=session, upload=upload)
        except DeployError as exc:
            problems.extend(Problem(p.element_id, p.message, p.file or name)
                            for p in exc.problems)
            continue
        for proc in checked:
            if proc.process_id in owners:
                problems.append(Problem(proc.process_id, _(
                    "the process is also in %(process_id)s",
                    process_id=owners[proc.process_id]), name))
            owners.setdefault(proc.process_id, name)
        checked_all.append((name, data, checked))
    if problems:
        raise DeployError(_unique(problems))
    return checked_all


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def deploy_set(session: Session, files: dict[str, bytes], *, registry: HandlerRegistry,
               known_lanes, actor: str, now: datetime, form_loader=None,
               decision_fallback=None, max_bytes: int = DEFAULT_MAX_BYTES,
               note: str = "") -> list[DeployResult]:
    """Check the whole set, then store every diagram of it (see the module docstring)."""
    note = clean_note(note, "set")
    checked_all = check_set(files, registry=registry, known_lanes=known_lanes,
                            form_loader=form_loader, decision_fallback=decision_fallback,
                            max_bytes=max_bytes, session=session)
    results: list[DeployResult] = []
    for name, data, checked in checked_all:
        results.extend(store_checked(session, checked, data, name, actor=actor, now=now,
                                     note=note))
    return results
