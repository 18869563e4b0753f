"""DMN decisions in the diagram library, and deploying a set (a ``.zip``) from the studio.

``GET /diagrams/<version>/decisions/<file>`` shows a decision table deployed with a version
in dmn-js (process owners edit it there: saving deploys the version's diagram with the edited
table through every deploy check, as a new version); ``.../download`` hands out its XML.
``POST /diagrams/deploy-set`` takes a ``.zip`` of diagrams, decisions and form and ui
schemas (engine.deploy_set: all checked first, every problem listed by file and element,
stored together or not at all).
"""
from __future__ import annotations

import json
from functools import partial

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from engine.decisions import DMN_NAME, DecisionSource
from engine.deploy_set import read_zip
from engine.errors import DeployError
from engine.i18n import _
from engine.models import ProcessVersion

from .. import db_session
from ..auth.access import current_actor, roles_required
from ..downloads import diagram_download
from . import OWNERS, READERS, bp
from .payload import refuse
from .queries import library

#: the largest .zip the studio takes
MAX_ZIP_BYTES = 10 * 1024 * 1024
#: the most DMN files posted with one diagram
MAX_POSTED = 20
#: the most stored versions whose decisions a diagram deployed from the studio may reuse
STORED_VERSIONS = 200


def version_decisions(row: ProcessVersion) -> dict[str, str]:
    try:
        value = json.loads(row.dmn_json or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def decision_changes(old: ProcessVersion, new: ProcessVersion) -> dict:
    """The DMN files added, removed and changed from ``old`` to ``new`` (names)."""
    a, b = version_decisions(old), version_decisions(new)
    changes = {"added": sorted(set(b) - set(a)), "removed": sorted(set(a) - set(b)),
               "changed": sorted(n for n in set(a) & set(b) if a[n] != b[n])}
    changes["any"] = any(changes.values())
    return changes


def stored_decisions(session) -> dict[str, bytes]:
    """The DMN files stored with deployed versions, newest first per file name (called
    while a diagram is parsed, in the parser's thread: the session is passed in)."""
    rows = session.execute(
        select(ProcessVersion.dmn_json).where(ProcessVersion.dmn_json != "{}")
        .order_by(ProcessVersion.id.desc()).limit(STORED_VERSIONS)).scalars()
    found: dict[str, bytes] = {}
    for text in rows:
        try:
            files = json.loads(text)
        except ValueError:
            continue
        for name, xml in (files.items() if isinstance(files, dict) else ()):
            if isinstance(xml, str):
                found.setdefault(name, xml.encode("utf-8"))
    return found


def posted_decisions(max_bytes: int) -> DecisionSource:
    """The DMN files posted with a diagram (``decisions``: {name.dmn: XML}), then those of
    deployed versions, then workflows/dmn."""
    services = current_app.extensions["slm"]
    body = request.get_json(silent=True) if request.mimetype == "application/json" else None
    raw = body.get("decisions") if isinstance(body, dict) else None
    files: dict[str, bytes] = {}
    if raw not in (None, {}):
        if not isinstance(raw, dict) or len(raw) > MAX_POSTED:
            refuse(_("decisions must be an object of at most %(MAX_POSTED)s DMN files",
                     MAX_POSTED=MAX_POSTED))
        for name, xml in raw.items():
            if not DMN_NAME.fullmatch(str(name)) or not isinstance(xml, str):
                refuse(_("decision file %(str)s: send a name ending in .dmn (letters, "
                         "digits, spaces, _ . -) and its XML as text",
                         str=repr(str(name)[:80])))
            files[name] = xml.encode("utf-8")
    installed, session = services.decisions().fallback, db_session()

    def fallback() -> dict[str, bytes]:
        return {**installed(), **stored_decisions(session)}  # stored wins over installed

    return DecisionSource(files, strict=True, fallback=fallback, max_bytes=max_bytes)


def _decision_or_404(version_id: int, name: str) -> tuple[ProcessVersion, str]:
    row = db_session().get(ProcessVersion, version_id)
    if row is None:
        abort(404)
    xml = version_decisions(row).get(name)
    if xml is None:
        abort(404)
    return row, xml


@bp.get("/<int:version_id>/decisions/<name>")
@roles_required(*READERS)
def decision(version_id: int, name: str):
    row, xml = _decision_or_404(version_id, name)
    editable = current_user.has_role(*OWNERS)
    return render_template("diagrams/decision.html", v=row, name=name, editable=editable,
                           forms=row.forms_json or "{}")


@bp.get("/<int:version_id>/decisions/<name>/download")
@roles_required(*READERS)
def decision_download(version_id: int, name: str):
    _, xml = _decision_or_404(version_id, name)
    return diagram_download(xml, name)


def _problem_rows(exc: DeployError) -> list[dict]:
    return [{"file": p.file, "element_id": p.element_id, "message": p.message}
            for p in exc.problems]


@bp.post("/deploy-set")
@roles_required(*OWNERS)
def deploy_set_view():
    """A .zip of .bpmn, .dmn and .json files, deployed together or not at all."""
    services = current_app.extensions["slm"]
    upload = request.files.get("archive")
    note = request.form.get("note", "")
    problems: list[dict] = []
    if upload is None or not upload.filename:
        problems = [{"file": "", "element_id": "archive", "message": "choose a .zip file"}]
    elif not upload.filename.lower().endswith(".zip"):
        problems = [{"file": upload.filename[:120], "element_id": upload.filename[:120],
                     "message": "the set must be a .zip file"}]
    else:
        name = upload.filename.rsplit("/", 1)[-1][:120]
        data = upload.stream.read(MAX_ZIP_BYTES + 1)
        try:
            files = read_zip(data, name, max_bytes=services.settings.max_diagram_bytes,
                             max_zip_bytes=MAX_ZIP_BYTES)
            results = services.deploy_set_in(db_session(), files, current_actor().name, note,
                                              stored=partial(stored_decisions, db_session()))
        except DeployError as exc:
            db_session().rollback()
            problems = _problem_rows(exc)
        else:
            db_session().commit()
            if request.accept_mimetypes.best == "application/json":
                return jsonify(valid=True, problems=[], versions=[
                    {"process_id": r.process_id, "version": r.version, "created": r.created,
                     "url": url_for("diagrams.version", version_id=r.version_id)}
                    for r in results])
            created = [f"{r.process_id} version {r.version}" for r in results if r.created]
            same = [r.process_id for r in results if not r.created]
            said = (_("Deployed %(created)s.", created=", ".join(created)) if created
                    else _("Nothing new."))
            if same:
                said += " " + _("Unchanged: %(value)s.", value=", ".join(same))
            flash(said, "success")
            return redirect(url_for("diagrams.index"))
    if request.accept_mimetypes.best == "application/json":
        return jsonify(valid=False, problems=problems), 422
    return render_template("diagrams/index.html", processes=library(db_session()),
                           set_problems=problems, note=note), 422
