"""The modeler's helpers: the form editor's live preview and "Try it" on sample data.

``POST /diagrams/forms/preview`` checks a form (JSON Schema and ui schema) and renders it
with the task page's renderer (web/tasks/form_fields.py, templates/tasks/_fields.html).
``POST /diagrams/try`` runs a condition, script or timer on sample task data through
``engine.trial.try_expression`` (the engine's sandbox). Both answer JSON and change nothing.
"""
from __future__ import annotations

import json

from flask import jsonify, render_template, request

from engine.clock import utcnow
from engine.forms import resolve_schema, schema_problems
from engine.i18n import _
from engine.trial import try_expression

from ..auth.access import roles_required
from ..tasks.form_fields import build_form
from . import OWNERS, bp
from .payload import MAX_FORM_BYTES, fold_ui, refuse

#: the most characters of sample task data tried at once
MAX_SAMPLE = 50_000


def _body() -> dict:
    if request.content_length is not None and request.content_length > 2 * MAX_FORM_BYTES:
        refuse(_("the request is larger than %(MAX_FORM_BYTES)s bytes",
                 MAX_FORM_BYTES=2 * MAX_FORM_BYTES), 413)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        refuse(_("send a JSON object"))
    return body


@bp.post("/forms/preview")
@roles_required(*OWNERS)
def form_preview():
    body = _body()
    schema, ui = body.get("schema"), body.get("ui") or {}
    problems = schema_problems(schema)
    if problems:
        return jsonify(valid=False, problems=problems)
    schema, problems = fold_ui(schema, ui)
    if problems:
        return jsonify(valid=False, problems=problems)
    try:
        form = build_form(resolve_schema(schema, {}), {}, {}, {})
    except (TypeError, ValueError, KeyError, AttributeError):
        return jsonify(valid=False, problems=["the form cannot be shown: check the types of "
                                              "its fields"])
    return jsonify(valid=True, problems=[],
                   html=render_template("diagrams/_form_preview.html", form=form))


@bp.post("/try")
@roles_required(*OWNERS)
def try_expression_view():
    body = _body()
    kind, code, sample = body.get("kind"), body.get("expression"), body.get("data", "{}")
    if not isinstance(kind, str) or not isinstance(code, str):
        refuse(_("send kind and expression as text"))
    if isinstance(sample, str):
        if len(sample) > MAX_SAMPLE:
            return jsonify(ok=False, error=_("the sample data is longer than %(MAX_SAMPLE)s "
                                             "characters",
                                             MAX_SAMPLE=MAX_SAMPLE))
        try:
            sample = json.loads(sample or "{}")
        except ValueError as exc:
            return jsonify(ok=False, error=_("the sample data is not valid JSON: %(msg)s "
                                             "(line %(lineno)s, column %(colno)s)",
                                             msg=exc.msg,
                                             lineno=exc.lineno,
                                             colno=exc.colno))
    if not isinstance(sample, dict):
        return jsonify(ok=False, error="the sample data must be a JSON object, e.g. "
                                       "{\"choice\": {\"approved\": true}}")
    result = try_expression(kind, code, sample, utcnow())
    return jsonify(ok=result.ok, result=result.result, changed=result.changed,
                   error=result.error)
