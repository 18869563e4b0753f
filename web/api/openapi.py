"""The OpenAPI 3.1 description of /api/v1, as data (served at GET /api/openapi.json).

Public on purpose: it describes the shape of the API, never any data, and an integrator
needs it before holding a token (like any published API description). Every operation
below requires a bearer token; a test checks that the paths here and the registered
/api/v1 routes are the same set.
"""
from __future__ import annotations

from ..auth.access import public
from . import bp, ok
from .messages import MESSAGE_SCHEMA

ERROR = {"$ref": "#/components/schemas/Error"}
TIMESTAMP = {"type": ["string", "null"], "format": "date-time"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    words = {400: "The body is not a JSON object", 401: "No valid bearer token",
             403: "The caller's role does not allow this",
             404: "No such record, or not visible to the caller",
             409: "Someone else was first, or the record is no longer open",
             422: "Invalid input: `errors` names the fields",
             503: "The agreement process is not deployed"}
    return {str(c): _json(ERROR, words[c]) for c in (401, 403, *codes)}


def _page_of(ref: str) -> dict:
    return {"type": "object", "required": ["items", "page", "per_page", "total"],
            "properties": {"items": {"type": "array", "items": {"$ref": ref}},
                           "page": {"type": "integer", "minimum": 1},
                           "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
                           "total": {"type": "integer", "minimum": 0}}}


def _query(name: str, description: str, schema: dict | None = None) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


def _path_id(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


PAGING = [_query("page", "Page number, from 1", {"type": "integer", "minimum": 1}),
          _query("per_page", "Items per page (default 25)",
                 {"type": "integer", "minimum": 1, "maximum": 100})]
TASK_ID, INSTANCE_ID = _path_id("task_id"), _path_id("instance_id")


def _op(summary: str, ok_response: dict, *error_codes: int, params=(), body=None,
        status: int = 200, tag: str = "") -> dict:
    op = {"summary": summary, "tags": [tag], "parameters": list(params),
          "responses": {str(status): ok_response, **_errors(*error_codes)}}
    if body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": body}}}
    return op


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


SCHEMAS = {
    "Error": {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "string"},
        "errors": {"type": "object", "description": "field -> messages",
                   "additionalProperties": {"type": "array", "items": {"type": "string"}}}}},
    "Me": {"type": "object", "properties": {
        "id": {"type": "integer"}, "username": {"type": "string"},
        "display_name": {"type": "string"},
        "roles": {"type": "array", "items": {"type": "string"}},
        "organisation": {"type": ["object", "null"], "properties": {
            "id": {"type": "integer"}, "key": {"type": "string"}, "name": {"type": "string"}}}}},
    "Task": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "lane": {"type": ["string", "null"], "description": "the role that works the task"},
        "organisation": {"type": ["string", "null"]}, "process_id": {"type": "string"},
        "instance_id": {"type": "integer"}, "assignee": {"type": ["string", "null"]},
        "due_at": TIMESTAMP, "created_at": TIMESTAMP,
        "actions": {"type": "object", "description": "what the caller may do now",
                    "properties": {k: {"type": "boolean"}
                                   for k in ("complete", "claim", "unclaim")}}}},
    "TaskDetail": {"allOf": [_ref("Task"), {"type": "object", "properties": {
        "element_id": {"type": "string"}, "status": {"type": "string",
                                                     "enum": ["ready", "completed", "cancelled"]},
        "instructions": {"type": "string", "description": "the Markdown a person reads, "
                                                          "filled in from an open task's data"},
        "instructions_html": {"type": "string", "description": "the same, as sanitized HTML"},
        "instructions_problem": {"type": ["string", "null"],
                                 "description": "why the template could not be filled in"},
        "completed_at": TIMESTAMP,
        "completed_by": {"type": ["string", "null"]},
        "form": {"type": ["object", "null"],
                 "description": "the task's JSON Schema, resolved with the task data"},
        "values": {"type": "object", "description": "current values of the form's fields"},
        "context": {"type": "object", "description": "the instance and the records it is about"},
    }}]},
    "Completed": {"type": "object", "properties": {
        "task": _ref("Task"),
        "instance": {"type": "object", "properties": {"id": {"type": "integer"},
                                                      "status": {"type": "string"}}},
        "next_task_id": {"type": ["integer", "null"],
                         "description": "the caller's next task in this instance"}}},
    "Instance": {"type": "object", "properties": {
        "id": {"type": "integer"}, "process_id": {"type": "string"},
        "version": {"type": "integer"},
        "status": {"type": "string", "enum": ["running", "completed", "error", "cancelled"]},
        "title": {"type": "string"}, "organisation": {"type": ["string", "null"]},
        "started_by": {"type": "string"}, "started_at": TIMESTAMP, "completed_at": TIMESTAMP}},
    "InstanceDetail": {"allOf": [_ref("Instance"), {"type": "object", "properties": {
        "process_name": {"type": "string"},
        "open_tasks": {"type": "array", "items": {"type": "object"}},
        "incidents": {"type": "array", "items": {"type": "object"}},
        "verification": {"type": "object", "description": "hash check of its audit events"},
        "events": {"type": "array", "items": {"type": "object"},
                   "description": "its audit events, in order"}}}]},
    "MeasurementRows": {"type": "object", "required": ["rows"], "properties": {
        "rows": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["sla", "metric", "measured_at", "value"],
            "properties": {"sla": {"type": "string", "description": "SLA reference"},
                           "metric": {"type": "string", "description": "metric key"},
                           "measured_at": {"type": "string", "format": "date-time"},
                           "value": {"type": ["number", "string"]}}}}}},
    "ImportResult": {"type": "object", "properties": {
        "imported": {"type": "integer"},
        "duplicates": {"type": "integer", "description": "rows already stored (or repeated)"},
        "total": {"type": "integer"},
        "rejected": {"type": "array", "items": {"type": "object", "properties": {
            "row": {"type": "integer", "description": "1-based position in rows"},
            "reason": {"type": "string"}}}}}},
    "Wish": {"type": "object", "required": ["text"], "properties": {
        "text": {"type": "string"}, "metric": {"type": ["string", "null"]},
        "comparator": {"type": ["string", "null"], "enum": [">=", "<=", None]},
        "value": {"type": ["number", "string", "null"]},
        "period": {"type": ["string", "null"], "enum": ["month", "quarter", None]},
        "clarify": {"type": ["boolean", "null"], "description":
                    "true: the customer cannot say how to measure it; a service level "
                    "manager clarifies it (then only text is required, else metric, value "
                    "and period are)"}}},
    "NewSLR": {"type": "object", "required": ["title", "need"], "properties": {
        "title": {"type": "string"}, "need": {"type": "string"},
        "service": {"type": ["string", "null"],
                    "description": "key of the catalogue service it is about, if any"},
        "wishes": {"type": "array", "items": _ref("Wish")}}},
    "SLR": {"type": "object", "properties": {
        "id": {"type": "integer"}, "title": {"type": "string"}, "need": {"type": "string"},
        "status": {"type": "string"}, "organisation": {"type": "string"},
        "submitted_by": {"type": "string"}, "created_at": TIMESTAMP,
        "instance_id": {"type": ["integer", "null"]},
        "service_id": {"type": ["integer", "null"]},
        "wishes": {"type": "array", "items": _ref("Wish")},
        "assessment": {"type": "object"}, "options": {"type": "array"}}},
    "Message": MESSAGE_SCHEMA,
    "MessageResult": {"type": "object", "properties": {
        "message_id": {"type": "integer"}, "name": {"type": "string"},
        "status": {"type": "string", "enum": ["delivered", "unclaimed"],
                   "description": "unclaimed: no instance waits for it; it is kept and "
                                  "delivered when one starts waiting"},
        "delivered_to": {"type": "array", "items": {"type": "integer"},
                         "description": "the instances that took it"}}},
    "Notification": {"type": "object", "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string"}, "title": {"type": "string"},
        "body": {"type": "string"},
        "link": {"type": "string", "description": "path of its subject in the web app"},
        "created_at": TIMESTAMP, "read_at": TIMESTAMP}},
}

TASK_FILTERS = [
    _query("view", "mine, unclaimed or all (managers, auditors); default: mine when I have "
                   "tasks, else unclaimed", {"type": "string",
                                             "enum": ["mine", "unclaimed", "all"]}),
    _query("process", "process id"), _query("role", "lane (role)"),
    _query("overdue", "1: only overdue tasks", {"type": "string", "enum": ["1"]}),
    _query("q", "search in the task and instance names")]
INSTANCE_FILTERS = [
    _query("process", "process id"), _query("version", "version", {"type": "integer"}),
    _query("status", "instance status",
           {"type": "string", "enum": ["running", "completed", "error", "cancelled"]}),
    _query("customer", "organisation key"), _query("sla", "SLA reference"),
    _query("actor", "someone who acted on the instance"),
    _query("from", "started at or after (ISO 8601)", {"type": "string", "format": "date"}),
    _query("to", "started before (ISO 8601)", {"type": "string", "format": "date"})]

EVENTLOG_FILTERS = [
    {**_query("process", "process id (required)"), "required": True},
    _query("version", "only instances on this diagram version", {"type": "integer"}),
    _query("from", "events at or after this day", {"type": "string", "format": "date"}),
    _query("to", "events up to the end of this day", {"type": "string", "format": "date"}),
    _query("organisation", "only this customer organisation's instances (key)")]
CHAIN_HEAD = {"X-SLM-Chain-Head": {
    "description": "the audit chain head the log was cut at (SEQ:HASH): check later with "
                   "`slm audit verify --anchor SEQ:HASH`", "schema": {"type": "string"}}}


def _eventlog(summary: str, media: str, description: str) -> dict:
    response = {"description": description, "headers": CHAIN_HEAD,
                "content": {media: {"schema": {"type": "string"}}}}
    return {"get": _op(summary, response, 422, params=EVENTLOG_FILTERS, tag="eventlogs")}


PATHS = {
    "/api/v1/me": {"get": _op("The caller, roles and organisation",
                              _json(_ref("Me"), "The caller"), tag="me")},
    "/api/v1/tasks": {"get": _op(
        "Open tasks the caller may see (as the task list)",
        _json({"allOf": [_page_of("#/components/schemas/Task"), {"properties": {
            "total_is_lower_bound": {"type": "boolean",
                                     "description": "counting stopped: there are more"},
            "view": {"type": "string", "enum": ["mine", "unclaimed", "all"]}}}]},
              "A page of tasks"),
        params=[*TASK_FILTERS, *PAGING], tag="tasks")},
    "/api/v1/tasks/{task_id}": {"get": _op(
        "A task with its form and data", _json(_ref("TaskDetail"), "The task"), 404,
        params=[TASK_ID], tag="tasks")},
    "/api/v1/tasks/{task_id}/claim": {"post": _op(
        "Claim a task", _json(_ref("TaskDetail"), "Claimed by the caller"), 404, 409,
        params=[TASK_ID], tag="tasks")},
    "/api/v1/tasks/{task_id}/unclaim": {"post": _op(
        "Give a task back to its role's queue", _json(_ref("TaskDetail"), "Unclaimed"),
        404, 409, params=[TASK_ID], tag="tasks")},
    "/api/v1/tasks/{task_id}/complete": {"post": _op(
        "Complete a task with its form data (validated against the form's JSON Schema)",
        _json(_ref("Completed"), "Completed; the process ran on"), 400, 404, 409, 422,
        params=[TASK_ID], tag="tasks",
        body={"type": "object", "description": "the form's fields"})},
    "/api/v1/instances": {"get": _op(
        "Search process instances (as the auditor's search)",
        _json(_page_of("#/components/schemas/Instance"), "A page of instances"), 422,
        params=[*INSTANCE_FILTERS, *PAGING], tag="instances")},
    "/api/v1/instances/{instance_id}": {"get": _op(
        "An instance with its open tasks, incidents and audit events",
        _json(_ref("InstanceDetail"), "The instance"), 404, params=[INSTANCE_ID],
        tag="instances")},
    "/api/v1/measurements": {"post": _op(
        "Import measurements (as the import page: duplicates are skipped, bad rows "
        "rejected with the reason)", _json(_ref("ImportResult"), "What was imported"),
        400, 422, body=_ref("MeasurementRows"), tag="measurements")},
    "/api/v1/slrs": {
        "get": _op("Service level requirements (customers: their organisation's)",
                   _json(_page_of("#/components/schemas/SLR"), "A page of requirements"),
                   404, params=PAGING, tag="slrs"),
        "post": _op("Submit a service level requirement (customers) and start its "
                    "agreement", _json(_ref("SLR"), "The new requirement"), 400, 404, 422,
                    503, body=_ref("NewSLR"), status=201, tag="slrs")},
    "/api/v1/eventlogs/xes": _eventlog(
        "A process's event log as XES (IEEE 1849): a trace per instance, an event per step",
        "application/xml", "The XES document (slm:chain_head: the anchor it was cut at)"),
    "/api/v1/eventlogs/ocel": _eventlog(
        "A process's event log as OCEL 2.0 JSON: instances, tasks, requirements, SLAs, "
        "reviews and change requests as objects", "application/json",
        "The OCEL 2.0 document (slm:chainHead: the anchor it was cut at)"),
    "/api/v1/messages": {"post": _op(
        "Send a message to the process instances waiting for it (process owners and "
        "service level managers), e.g. monitoring reporting a breach",
        _json(_ref("MessageResult"), "Which instances took it"), 400, 422,
        body=_ref("Message"), tag="messages")},
    "/api/v1/notifications": {"get": _op(
        "The caller's notifications, newest first, with the unread count",
        _json({"allOf": [_page_of("#/components/schemas/Notification"), {"properties": {
            "unread": {"type": "integer", "minimum": 0}}}]}, "A page of notifications"),
        params=PAGING, tag="notifications")},
    "/api/v1/notifications/{notification_id}/read": {"post": _op(
        "Mark one of the caller's notifications read", _json(_ref("Notification"), "Read"),
        404, params=[_path_id("notification_id")], tag="notifications")},
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "Service Level Management API", "version": "1",
             "description": "Token-authenticated JSON API: tasks, process instances, "
                            "measurements, service level requirements and event logs. Send "
                            "`Authorization: Bearer <token>`; create a token on the "
                            "API tokens page or with `slm api-token create`."},
    "servers": [{"url": "/"}],
    "security": [{"bearerAuth": []}],
    "paths": PATHS,
    "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
                   "schemas": SCHEMAS},
}


@bp.get("/openapi.json")
@public
def openapi():
    return ok(DOCUMENT)
