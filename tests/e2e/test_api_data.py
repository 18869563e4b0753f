"""The JSON API's measurements import, instance search and OpenAPI document (SQLite and
PostgreSQL).

- measurements: the import page's importer, so the same rows give the same answer: good
  rows imported, bad rows rejected by row with the reason, a repeat imports nothing;
- instances: the auditor's search with its filters, one instance with its events;
- the OpenAPI document describes exactly the registered /api/v1 routes.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import func, select

from engine.clock import utcnow
from handlers.agreements.models import ServiceLevelAgreement
from handlers.delivery.measurements import import_csv
from handlers.delivery.models import Measurement
from web.api.openapi import DOCUMENT

from . import sla_world
from .api_support import api_as


@pytest.fixture
def agreed(app, demo) -> dict:
    made = sla_world.agreed_sla(app, demo, demo.users["Customer"], sla_world.build_catalogue(app))
    with app.extensions["slm"].sessions() as s:
        made["reference"] = s.get(ServiceLevelAgreement, made["sla_id"]).reference
    return made


def _count(app) -> int:
    with app.extensions["slm"].sessions() as s:
        return s.scalar(select(func.count()).select_from(Measurement))


def test_measurements_import_good_and_bad_rows_and_a_repeat_adds_nothing(app, demo, agreed):
    ref, day = agreed["reference"], utcnow() - timedelta(days=2)
    rows = [
        {"sla": ref, "metric": "availability", "measured_at": day.isoformat(), "value": 99.95},
        {"SLA": ref, "Metric": "incident_resolution",
         "measured_at": (day + timedelta(hours=1)).isoformat(), "value": "3.5"},
        {"sla": "SLA-1999-0999", "metric": "availability", "measured_at": day.isoformat(),
         "value": 99},
        {"sla": ref, "metric": "availability", "measured_at": "yesterday", "value": 99},
        {"sla": ref, "metric": "availability", "measured_at": day.isoformat(), "value": 140},
        "not a row",
    ]
    manager = api_as(app, demo.users["Service Level Manager"])
    first = manager.post("/api/v1/measurements", {"rows": rows})
    assert first.status_code == 200, first.get_json()
    result = first.get_json()
    assert (result["imported"], result["duplicates"], result["total"]) == (2, 0, 6)
    reasons = {r["row"]: r["reason"] for r in result["rejected"]}
    assert sorted(reasons) == [3, 4, 5, 6]
    assert reasons[3] == "unknown SLA 'SLA-1999-0999'" and "ISO 8601" in reasons[4]
    assert "out of range" in reasons[5]
    assert _count(app) == 2
    repeat = manager.post("/api/v1/measurements", {"rows": rows}).get_json()
    assert (repeat["imported"], repeat["duplicates"]) == (0, 2) and _count(app) == 2
    # the CSV import page's importer answers the same for the same rows
    header = "sla,metric,measured_at,value\n"
    text = header + "".join(f"{r.get('sla', r.get('SLA'))},{r.get('metric', r.get('Metric'))},"
                            f"{r['measured_at']},{r['value']}\n"
                            for r in rows if isinstance(r, dict))
    with app.extensions["slm"].sessions() as s:
        csv_result = import_csv(s, text, now=utcnow())
        s.rollback()
    assert [r["reason"] for r in csv_result["rejected"]] == [reasons[3], reasons[4], reasons[5]]
    assert manager.post("/api/v1/measurements", {"rows": []}).status_code == 422
    owner = api_as(app, demo.users["Process Owner"])
    assert owner.post("/api/v1/measurements", {"rows": rows}).get_json()["imported"] == 0
    for user in ("Customer", "Auditor", "Admin"):
        assert api_as(app, demo.users[user]).post(
            "/api/v1/measurements", {"rows": rows}).status_code == 403, user


def test_instances_search_and_one_instance(app, demo, agreed):
    iid = agreed["instance_id"]
    auditor = api_as(app, demo.users["Auditor"])
    found = auditor.get("/api/v1/instances", process="sla_agreement", customer="acme")
    body = found.get_json()
    assert found.status_code == 200 and body["total"] == 1 and body["page"] == 1
    assert body["items"][0]["id"] == iid and body["items"][0]["version"] == 1
    assert auditor.get("/api/v1/instances", customer="globex").get_json()["total"] == 0
    assert auditor.get("/api/v1/instances", sla=agreed["reference"]).get_json()["total"] == 1
    assert auditor.get("/api/v1/instances", actor="acme").get_json()["total"] == 1
    assert auditor.get("/api/v1/instances", **{"from": "yesterday"}).status_code == 422
    one = auditor.get(f"/api/v1/instances/{iid}").get_json()
    assert one["organisation"] == "acme" and one["incidents"] == []
    kinds = [e["kind"] for e in one["events"]]
    assert kinds[0] == "instance_started" and "task_completed" in kinds
    assert auditor.get("/api/v1/instances/999999").status_code == 404
    for user in ("Service Level Manager", "Process Owner", "Admin"):
        assert api_as(app, demo.users[user]).get(f"/api/v1/instances/{iid}").status_code == 200
    assert api_as(app, demo.users["Customer"]).get("/api/v1/instances").status_code == 403


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule)


def test_the_openapi_document_describes_exactly_the_v1_routes(app, client):
    response = client.get("/api/openapi.json")  # public: no token needed
    assert response.status_code == 200 and response.get_json() == DOCUMENT
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    routes = {(_openapi_path(rule.rule), method.lower()) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in doc["paths"].items() for method in item}
    assert routes == documented
    for path, item in doc["paths"].items():
        names = set(re.findall(r"{([a-z_]+)}", path))
        for method, op in item.items():
            declared = {p["name"] for p in op["parameters"] if p["in"] == "path"}
            assert declared == names, (path, method)
            assert "401" in op["responses"], (path, method)
    refs = set(re.findall(r'"#/components/schemas/([A-Za-z]+)"', response.text))
    assert refs <= set(doc["components"]["schemas"])
    for schema in doc["components"]["schemas"].values():  # OpenAPI 3.1: JSON Schema 2020-12
        Draft202012Validator.check_schema(schema)
