"""POST /api/v1/messages: a message from another system (e.g. monitoring reporting a
breach) delivered to the process instances waiting for it (engine.messages).

The body is validated against ``MESSAGE_SCHEMA`` (bounded: name, correlation values and a
payload of at most ``MAX_PAYLOAD_BYTES``); the answer names the instances that took the
message. One nobody waits for is kept (``status: unclaimed``), listed for process owners
on the diagrams' messages page and delivered when an instance starts waiting for it.
"""
from __future__ import annotations

import json

from flask import current_app
from flask_login import current_user
from jsonschema import Draft202012Validator

from engine.clock import utcnow
from engine.i18n import _
from engine.messages import send_message

from .. import db_session
from ..auth.access import roles_required
from . import V1, bp, invalid, json_object, ok

#: who may send messages into the processes: process owners and service level managers
#: (a monitoring system gets an API token of a person, or account, with one of these roles)
SENDERS = ("Process Owner", "Service Level Manager")
MAX_PAYLOAD_BYTES = 64 * 1024
_SCALAR = {"type": ["string", "integer", "number", "boolean"], "maxLength": 255}
MESSAGE_SCHEMA = {
    "type": "object", "required": ["name"], "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 255,
                 "description": "the BPMN message name the instances wait for"},
        "correlation": {"type": "object", "maxProperties": 20,
                        "propertyNames": {"minLength": 1, "maxLength": 100},
                        "additionalProperties": _SCALAR,
                        "description": "correlation property -> value: only instances "
                                       "that expect these values take the message"},
        "payload": {"type": "object", "maxProperties": 200,
                    "description": "the message's data (with the correlation values) as "
                                   "the receiving instance reads it; at most 64 KB"},
    }}
_VALIDATOR = Draft202012Validator(MESSAGE_SCHEMA)


def _errors(body: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for err in sorted(_VALIDATOR.iter_errors(body), key=lambda e: list(e.path)):
        field = ".".join(str(p) for p in err.path) or (
            err.validator_value[0] if err.validator == "required" else "body")
        if err.validator == "required":
            field = [f for f in err.validator_value if f not in err.instance][0]
        errors.setdefault(str(field)[:100], []).append(err.message[:300])
        if len(errors) >= 20:
            break
    if not errors and len(json.dumps(body.get("payload", {}))) > MAX_PAYLOAD_BYTES:
        errors["payload"] = [_("at most %(MAX_PAYLOAD_BYTES)s KB",
                               MAX_PAYLOAD_BYTES=MAX_PAYLOAD_BYTES // 1024)]
    return errors


@bp.post(f"{V1}/messages")
@roles_required(*SENDERS)
def post_message():
    body = json_object()
    errors = _errors(body)
    if errors:
        return invalid(errors)
    session = db_session()
    msg, taken = send_message(current_app.extensions["slm"].engine, session,
                              name=body["name"], correlation=body.get("correlation") or {},
                              payload=body.get("payload") or {},
                              actor=current_user.username, now=utcnow())
    session.commit()
    return ok({"message_id": msg.id, "name": msg.name, "status": msg.status,
               "delivered_to": taken})
