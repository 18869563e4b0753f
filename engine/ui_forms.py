"""A user task's ui schema (spiff property ``formUiSchemaFilename``): checked at deploy and
stored with the version beside the form schemas (so it travels and versions with them);
read back for the task page. How it is shown is the web layer's business (rjsf's
conventions, web/tasks/ui_schema.py)."""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import Problem
from .form_rules import MAX_FORM_BYTES
from .i18n import _
from .models import ProcessInstance

UI_PROPERTY = "formUiSchemaFilename"


def ui_schema_problems(props: dict, eid: str, form_loader, forms_out: dict) -> list[Problem]:
    """Problems of the ui schema the task names (none when it names none); a good one is
    added to ``forms_out`` under its file name."""
    name = props.get(UI_PROPERTY)
    if not name or name in forms_out:
        return []
    raw = form_loader(name)
    if raw is None:
        return [Problem(eid, _("ui schema file %(name)s not found (property %(UI_PROPERTY)s)",
                               name=repr(name),
                               UI_PROPERTY=UI_PROPERTY))]
    if len(raw) > MAX_FORM_BYTES:
        return [Problem(eid, _("ui schema file %(name)s is larger than %(MAX_FORM_BYTES)s KB",
                               name=repr(name),
                               MAX_FORM_BYTES=MAX_FORM_BYTES // 1024))]
    try:
        ui = json.loads(raw)
    except RecursionError:
        return [Problem(eid, _("ui schema file %(name)s is nested too deeply", name=repr(name)))]
    except (ValueError, UnicodeDecodeError) as exc:
        return [Problem(eid, _("ui schema file %(name)s is not valid JSON: %(exc)s",
                               name=repr(name),
                               exc=exc))]
    if not isinstance(ui, dict):
        return [Problem(eid, _("ui schema file %(name)s must be a JSON object", name=repr(name)))]
    forms_out[name] = ui
    return []


def task_ui_schema(engine, session: Session, instance_id: int, element_id: str) -> dict | None:
    """The ui schema of the user task ``element_id`` in the instance's own version."""
    version_id = session.execute(select(ProcessInstance.version_id).where(
        ProcessInstance.id == instance_id)).scalar_one_or_none()
    if version_id is None:
        return None
    vs = engine.version_spec(session, version_id)
    for spec in (vs.spec, *[s for s in vs.subprocess_specs.values() if s]):
        task_spec = spec.task_specs.get(element_id)
        if task_spec is not None:
            props = (getattr(task_spec, "extensions", None) or {}).get("properties") or {}
            ui = vs.forms.get(props.get(UI_PROPERTY) or "")
            return ui if isinstance(ui, dict) else None
    return None
