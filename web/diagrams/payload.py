"""What the modeler posts: a diagram (raw XML, or JSON with its name, change note and the
forms made in the form editor), and the ui schema folded into a form's JSON Schema.

A form made in the browser is a JSON Schema plus a ui schema ({field: {"ui:widget",
"ui:help", "ui:title"}, "ui:order": [...]}); the ui schema becomes the schema keys the task
page's renderer reads (``x-widget``, ``description``, ``title``, property order), so the
stored form is one schema, versioned with the diagram like a form file.
"""
from __future__ import annotations

import json
import re

from flask import Response, abort, request

from engine.i18n import _

#: what a form name may be (a plain file name, as in workflows/forms)
FORM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\.schema\.json$")
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,120}\.bpmn$")
MAX_FORMS = 50
MAX_FORM_BYTES = 200_000
#: ui:widget -> the renderer's x-widget
WIDGETS = {"textarea": "textarea", "text": "text", "radio": "radios", "radios": "radios",
           "select": "select"}


class PayloadError(ValueError):
    """The posted diagram or form cannot be used; the message says why."""


def refuse(message: str, status: int = 400):
    abort(Response(json.dumps({"valid": False, "error": message,
                               "problems": [{"element_id": "request", "message": message}]}),
                   status, mimetype="application/json"))


def fold_ui(schema: dict, ui: dict) -> tuple[dict, list[str]]:
    """The schema with the ui schema applied, and the problems of the ui schema."""
    if not isinstance(ui, dict):
        return schema, ["the ui schema must be a JSON object"]
    out = json.loads(json.dumps(schema))
    props = out.get("properties") if isinstance(out.get("properties"), dict) else {}
    problems = []
    for key, options in ui.items():
        if key == "ui:order":
            if not isinstance(options, list) or any(k not in props for k in options):
                problems.append(_("ui:order must list fields of the form"))
                continue
            rest = [k for k in props if k not in options]
            out["properties"] = {k: props[k] for k in [*options, *rest]}
            props = out["properties"]
            continue
        if key not in props:
            problems.append(_("the ui schema names the field %(key)s, which the form does "
                              "not have",
                              key=repr(key)))
            continue
        if not isinstance(props[key], dict):
            problems.append(_("the field %(key)s has no schema of its own to lay out",
                              key=repr(key)))
            continue
        if not isinstance(options, dict):
            problems.append(_("the ui schema of %(key)s must be a JSON object", key=repr(key)))
            continue
        for option, value in options.items():
            if option == "ui:widget" and value in WIDGETS:
                props[key]["x-widget"] = WIDGETS[value]
            elif option == "ui:help" and isinstance(value, str):
                props[key]["description"] = value
            elif option == "ui:title" and isinstance(value, str):
                props[key]["title"] = value
            else:
                problems.append(_("%(key)s: %(option)s %(dumps)s is not understood "
                                  "(ui:widget %(value)s; ui:help; ui:title)",
                                  key=repr(key),
                                  option=option,
                                  dumps=json.dumps(value)[:40],
                                  value=', '.join(sorted(WIDGETS))))
    return out, problems


def drafts(raw) -> dict[str, bytes]:
    """{form name: schema bytes} of the forms posted with a diagram."""
    if raw in (None, {}):
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_FORMS:
        raise PayloadError(_("forms must be an object of at most %(MAX_FORMS)s forms",
                             MAX_FORMS=MAX_FORMS))
    out = {}
    for name, form in raw.items():
        if not FORM_NAME.match(str(name)):
            raise PayloadError(_("form name %(str)s must end in .schema.json and use "
                                 "letters, digits, _ . or -",
                                 str=repr(str(name)[:80])))
        if not isinstance(form, dict) or not isinstance(form.get("schema"), dict):
            raise PayloadError(_("form %(name)s: send its schema as a JSON object", name=name))
        schema, problems = fold_ui(form["schema"], form.get("ui") or {})
        if problems:
            raise PayloadError(_("form %(name)s: ", name=name) + "; ".join(problems))
        data = json.dumps(schema).encode()
        if len(data) > MAX_FORM_BYTES:
            raise PayloadError(_("form %(name)s is larger than %(MAX_FORM_BYTES)s bytes",
                                 name=name,
                                 MAX_FORM_BYTES=MAX_FORM_BYTES))
        out[name] = data
    return out


def posted_diagram() -> tuple[bytes, str, str, dict[str, bytes]]:
    """(BPMN bytes, file name, change note, forms) of the request; refuses what is unusable."""
    if request.mimetype == "application/json":
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("xml"), str):
            refuse(_("send the diagram as {\"xml\": ...}"))
        data, note = body["xml"].encode("utf-8"), body.get("note")
        name = str(body.get("name") or "")
        if note is not None and not isinstance(note, str):
            refuse(_("the change note must be text"))
        try:
            forms = drafts(body.get("forms"))
        except PayloadError as exc:
            refuse(str(exc))
    else:
        data, note, forms = request.get_data(cache=False), "", {}
        name = request.args.get("name") or ""
    if not data.strip():
        refuse(_("no diagram was sent"))
    name = name.rsplit("/", 1)[-1]
    return data, name if SAFE_NAME.fullmatch(name) else "diagram.bpmn", note or "", forms


def loader_with(forms: dict[str, bytes], loader):
    """A form loader that finds the posted forms first, then the form files."""
    def load(name: str) -> bytes | None:
        return forms[name] if name in forms else loader(name)
    return load
