"""The diagram library and modeler (process owners, admins; auditors read).

Every process with its versions and instance counts, a version with its running instances,
the diff between two versions, download of the .bpmn, and the JSON endpoints the modeler
page uses: validate (the same checks as ``slm deploy``) and deploy (a new version only when
valid). The JS sends the CSRF token in the X-CSRFToken header.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from engine.clock import utcnow
from engine.deploy import check_diagram, deploy
from engine.errors import DeployError, NotFoundError
from engine.i18n import _
from engine.lanes import NOT_FOR_LANES
from engine.migration import MigrationRefused, migrate_instance, migrate_version
from engine.models import ProcessInstance, ProcessVersion
from handlers.people.roles import active_role_names as lane_roles

from .. import db_session
from ..auth.access import current_actor, roles_required
from ..downloads import diagram_download
from ..services import WORKFLOWS
from .diff import version_diff
from .payload import SAFE_NAME, loader_with, posted_diagram
from .queries import element_stats, instance_counts, library, running_instances, versions_of

bp = Blueprint("diagrams", __name__, url_prefix="/diagrams")
OWNERS = ("Process Owner", "Admin")
READERS = (*OWNERS, "Auditor")
_SAFE_NAME = SAFE_NAME


def _version_or_404(version_id: int) -> ProcessVersion:
    row = db_session().get(ProcessVersion, version_id)
    if row is None:
        abort(404)
    return row


@bp.get("")
@roles_required(*READERS)
def index():
    return render_template("diagrams/index.html", processes=library(db_session()))


@bp.get("/<int:version_id>")
@roles_required(*READERS)
def version(version_id: int):
    row = _version_or_404(version_id)
    session = db_session()
    return render_template(
        "diagrams/version.html", v=row, counts=instance_counts(session, [row.id])[row.id],
        running=running_instances(session, row.id), others=versions_of(session, row.process_id),
        decision_files=sorted(decisions.version_decisions(row)))


@bp.get("/<int:version_id>/diff")
@roles_required(*READERS)
def diff(version_id: int):
    new = _version_or_404(version_id)
    other_id = request.args.get("with", type=int)
    others = versions_of(db_session(), new.process_id)
    if other_id is None:
        older = [o for o in others if o.version < new.version]
        if not older:
            abort(404)
        other_id = older[-1].id
    old = _version_or_404(other_id)
    if old.process_id != new.process_id:
        abort(404)
    result = version_diff(old.bpmn_xml, new.bpmn_xml, old.forms_json, new.forms_json)
    return render_template("diagrams/diff.html", old=old, new=new, diff=result, others=others,
                           decision_diff=decisions.decision_changes(old, new))


@bp.get("/<int:version_id>/stats")
@roles_required(*READERS)
def stats(version_id: int):
    """Per element: instances that passed it, wait at it, and open incidents (JSON)."""
    row = _version_or_404(version_id)
    return jsonify(element_stats(db_session(), row.id))


@bp.get("/<int:version_id>/download")
@roles_required(*READERS)
def download(version_id: int):
    row = _version_or_404(version_id)
    name = row.filename if _SAFE_NAME.fullmatch(row.filename or "") else f"{row.process_id}.bpmn"
    return diagram_download(row.bpmn_xml, name)


@bp.get("/modeler")
@roles_required(*OWNERS)
def modeler():
    version_id = request.args.get("version", type=int)
    row = _version_or_404(version_id) if version_id is not None else None
    services = current_app.extensions["slm"]
    forms_dir = WORKFLOWS / "forms"
    forms = sorted(p.name for p in forms_dir.glob("*.json")) if forms_dir.is_dir() else []
    previous = None
    if row is not None:
        previous = next((o for o in reversed(versions_of(db_session(), row.process_id))
                         if o.version < row.version), None)
    return render_template(
        "diagrams/modeler.html", v=row, forms=forms, previous=previous,
        handlers=services.engine.registry.describe(),
        lanes=[r for r in lane_roles(db_session()) if r not in NOT_FOR_LANES],
        name=(row.filename if row is not None and _SAFE_NAME.fullmatch(row.filename or "")
              else "diagram.bpmn"))


@bp.post("/<int:version_id>/migrate")
@roles_required(*OWNERS)
def migrate(version_id: int):
    """Move one running instance (field ``instance``) or all of them to version ``target``."""
    row = _version_or_404(version_id)
    target_id = request.form.get("target", type=int)
    instance_id = request.form.get("instance", type=int)
    if target_id is None:
        abort(400)
    services, session = current_app.extensions["slm"], db_session()
    actor, now = current_actor().name, utcnow()
    if instance_id is not None:
        instance = session.get(ProcessInstance, instance_id)
        if instance is None or instance.version_id != row.id:
            abort(404)
        try:
            number = migrate_instance(services.engine, session, instance_id, target_id, actor, now)
        except (MigrationRefused, NotFoundError) as exc:
            session.rollback()
            flash(_("Not moved: %(exc)s", exc=exc), "danger")
        else:
            session.commit()
            flash(_("Instance #%(instance_id)s moved to version %(number)s.",
                    instance_id=instance_id,
                    number=number), "success")
    else:
        try:
            results = migrate_version(services.engine, session, row.id, target_id, actor, now)
        except NotFoundError as exc:
            session.rollback()
            flash(_("Not moved: %(exc)s", exc=exc), "danger")
        else:
            session.commit()
            moved = [i for i, r in results.items() if isinstance(r, int)]
            flash(_("%(value)s of %(value2)s running instances moved.",
                    value=len(moved),
                    value2=len(results)),
                  "success" if len(moved) == len(results) else "warning")
            for reason in (r for r in results.values() if isinstance(r, str)):
                flash(_("Not moved: %(reason)s", reason=reason), "danger")
    return redirect(url_for("diagrams.version", version_id=row.id))


def _deploy_args(forms: dict) -> dict:
    services = current_app.extensions["slm"]
    limit = services.settings.max_diagram_bytes
    return dict(registry=services.engine.registry, known_lanes=lane_roles(db_session()),
                form_loader=loader_with(forms, services.form_loader()),
                max_bytes=limit, decisions=decisions.posted_decisions(limit))


def _problems(exc: DeployError) -> list[dict]:
    return [{"element_id": p.element_id, "message": p.message,
             **({"file": p.file} if p.file else {})} for p in exc.problems]


@bp.post("/validate")
@roles_required(*OWNERS)
def validate():
    data, name, _, forms = posted_diagram()
    try:
        # with the session: a call activity may call a process deployed on its own
        check_diagram(data, name, session=db_session(), **_deploy_args(forms))
    except DeployError as exc:
        return jsonify(valid=False, problems=_problems(exc))
    return jsonify(valid=True, problems=[])


@bp.post("/deploy")
@roles_required(*OWNERS)
def deploy_diagram():
    data, name, note, forms = posted_diagram()
    session = db_session()
    try:
        results = deploy(session, data, name, actor=current_actor().name, now=utcnow(),
                         note=note, **_deploy_args(forms))
    except DeployError as exc:
        session.rollback()
        return jsonify(valid=False, problems=_problems(exc)), 422
    session.commit()
    return jsonify(valid=True, problems=[], versions=[
        {"process_id": r.process_id, "version": r.version, "created": r.created,
         "url": url_for("diagrams.version", version_id=r.version_id),
         "modeler_url": url_for("diagrams.modeler", version=r.version_id),
         "diff_url": url_for("diagrams.diff", version_id=r.version_id) if r.version > 1 else None}
        for r in results])

# their routes join this blueprint
from . import decisions, health_routes, messages, studio  # noqa: E402,F401
