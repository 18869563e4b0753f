"""The JSON API's tasks and service level requirements, on the real process (SQLite and
PostgreSQL).

- a full round: a customer submits an SLR by the API, finds, claims and completes their
  tasks; the manager's approval task appears in the manager's list and is claimed and
  completed by the API; the SLA becomes active;
- invalid form data: 422 naming the field, and nothing changed (task, instance, audit log);
- conflicts 409 (completed already, claimed by someone else), wrong role 403, another
  organisation's task 404 and not listed, its requirements not listed.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.models import AuditEvent, HumanTask, ProcessInstance
from handlers.agreements.models import ServiceLevelAgreement
from handlers.people import operations as people

from . import sla_world
from .api_support import api_as
from .support import PASSWORD, SETUP, DemoUser


@pytest.fixture
def options(app, demo):
    return sla_world.build_catalogue(app)


def _task(api, element_id: str, **query) -> dict:
    listed = api.get("/api/v1/tasks", **query)
    assert listed.status_code == 200
    found = [t for t in listed.get_json()["items"] if t["name"] and t["id"] and
             api.get(f"/api/v1/tasks/{t['id']}").get_json()["element_id"] == element_id]
    assert found, f"no {element_id} task in {listed.get_json()}"
    return found[0]


def _state(app, instance_id: int) -> tuple:
    with app.extensions["slm"].sessions() as s:
        instance = s.get(ProcessInstance, instance_id)
        return (instance.revision, instance.status,
                s.scalar(select(func.count()).select_from(AuditEvent)),
                tuple(s.scalars(select(HumanTask.status).where(
                    HumanTask.instance_id == instance_id).order_by(HumanTask.id))))


def test_a_customer_submits_and_the_manager_approves_all_by_the_api(app, demo, options):
    acme, manager = api_as(app, demo.users["Customer"]), api_as(
        app, demo.users["Service Level Manager"])
    submitted = acme.post("/api/v1/slrs", {"title": "Mail for the depot",
                                           "need": "Drivers read orders by mail.",
                                           "wishes": sla_world.MEASURABLE_WISHES})
    assert submitted.status_code == 201, submitted.get_json()
    slr = submitted.get_json()
    assert slr["organisation"] == "acme" and slr["instance_id"] and slr["options"]
    iid = slr["instance_id"]

    choose = _task(acme, "choose_option")
    detail = acme.get(f"/api/v1/tasks/{choose['id']}").get_json()
    keys = detail["form"]["properties"]["option_key"]["enum"]  # resolved for this task
    assert options["Gold"] in keys and detail["context"]["instance_id"] == iid
    assert acme.post(f"/api/v1/tasks/{choose['id']}/claim").get_json()["assignee"] == "acme"

    before = _state(app, iid)
    refused = acme.post(f"/api/v1/tasks/{choose['id']}/complete", {"option_key": "opt-nope"})
    assert refused.status_code == 422 and "option_key" in refused.get_json()["errors"]
    assert _state(app, iid) == before  # nothing changed
    assert acme.client.post(f"/api/v1/tasks/{choose['id']}/complete", data="[1]",
                            headers=acme.headers,
                            content_type="application/json").status_code == 400

    done = acme.post(f"/api/v1/tasks/{choose['id']}/complete", {"option_key": options["Gold"]})
    assert done.status_code == 200 and done.get_json()["instance"]["status"] == "running"
    again = acme.post(f"/api/v1/tasks/{choose['id']}/complete",
                      {"option_key": options["Gold"]})
    assert again.status_code == 409 and "already completed" in again.get_json()["error"]

    review = _task(acme, "review_draft")
    assert acme.post(f"/api/v1/tasks/{review['id']}/complete",
                     {"decision": "accept"}).status_code == 200

    approve = _task(manager, "approve_agreement", view="unclaimed")
    assert approve["lane"] == "Service Level Manager" and approve["actions"]["claim"]
    assert manager.post(f"/api/v1/tasks/{approve['id']}/claim").status_code == 200
    assert any(t["id"] == approve["id"]
               for t in manager.get("/api/v1/tasks", view="mine").get_json()["items"])
    finished = manager.post(f"/api/v1/tasks/{approve['id']}/complete", {"decision": "approve"})
    assert finished.status_code == 200, finished.get_json()
    with app.extensions["slm"].sessions() as s:
        sla = s.scalar(select(ServiceLevelAgreement).where(
            ServiceLevelAgreement.slr_id == slr["id"]))
        assert sla.status == "active"
    trace = manager.get(f"/api/v1/instances/{iid}").get_json()
    assert trace["id"] == iid and trace["process_id"] == "sla_agreement"
    assert trace["verification"]["ok"] and trace["version"] == 1
    assert [e["kind"] for e in trace["events"]].count("task_completed") == 3


def test_claimed_by_someone_else_is_409(app, demo, options):
    slr_id, iid = sla_world.submit(app, demo, demo.users["Customer"], "Mail for the office")
    task_id = sla_world.ready_task(app, iid, "choose_option")
    with app.extensions["slm"].sessions() as s:
        other = people.create_user(s, "acme.two", "Second Acme", PASSWORD, ["Customer"], "acme",
                                   **SETUP)
        s.commit()
        colleague = DemoUser(other.id, "acme.two", "Second Acme", frozenset({"Customer"}),
                             "acme")
    acme, second = api_as(app, demo.users["Customer"]), api_as(app, colleague)
    assert acme.post(f"/api/v1/tasks/{task_id}/claim").status_code == 200
    assert second.post(f"/api/v1/tasks/{task_id}/claim").status_code == 409
    taken = second.post(f"/api/v1/tasks/{task_id}/complete", {"option_key": "x"})
    assert taken.status_code == 409 and "acme" in taken.get_json()["error"]
    assert second.post(f"/api/v1/tasks/{task_id}/unclaim").status_code == 403
    assert acme.post(f"/api/v1/tasks/{task_id}/unclaim").get_json()["assignee"] is None
    assert acme.post(f"/api/v1/tasks/{task_id}/unclaim").status_code == 409  # not claimed


def test_another_organisation_sees_nothing_and_roles_are_checked(app, demo, options):
    slr_id, iid = sla_world.submit(app, demo, demo.users["Customer"], "Acme's secret mail")
    task_id = sla_world.ready_task(app, iid, "choose_option")
    globex = api_as(app, demo.users["Customer 2"])
    assert globex.get(f"/api/v1/tasks/{task_id}").status_code == 404
    assert globex.post(f"/api/v1/tasks/{task_id}/claim").status_code == 404
    assert globex.post(f"/api/v1/tasks/{task_id}/complete",
                       {"option_key": options["Gold"]}).status_code == 404
    for view in ("mine", "unclaimed"):
        assert globex.get("/api/v1/tasks", view=view).get_json()["items"] == []
    assert globex.get("/api/v1/slrs").get_json() == {"items": [], "page": 1, "per_page": 25,
                                                     "total": 0}
    acme_list = api_as(app, demo.users["Customer"]).get("/api/v1/slrs").get_json()
    assert [s["id"] for s in acme_list["items"]] == [slr_id] and acme_list["total"] == 1
    staff = api_as(app, demo.users["Service Level Manager"]).get("/api/v1/slrs", per_page=1)
    assert staff.get_json()["total"] == 1 and staff.get_json()["per_page"] == 1
    # roles: the manager may not do the customer's task; admins have no task list;
    # only customers submit requirements; auditors change nothing
    manager = api_as(app, demo.users["Service Level Manager"])
    assert manager.get(f"/api/v1/tasks/{task_id}").status_code == 200
    assert manager.post(f"/api/v1/tasks/{task_id}/complete",
                        {"option_key": options["Gold"]}).status_code == 403
    assert api_as(app, demo.users["Admin"]).get("/api/v1/tasks").status_code == 403
    assert manager.post("/api/v1/slrs", {"title": "t", "need": "n"}).status_code == 403
    auditor = api_as(app, demo.users["Auditor"])
    assert auditor.get(f"/api/v1/tasks/{task_id}").status_code == 200
    assert auditor.post(f"/api/v1/tasks/{task_id}/claim").status_code == 403
    assert globex.get("/api/v1/tasks/999999").status_code == 404


def test_an_invalid_requirement_is_422_and_nothing_is_saved(app, demo, options):
    acme = api_as(app, demo.users["Customer"])
    refused = acme.post("/api/v1/slrs", {"title": "Mail", "need": " ",
                                         "wishes": [{"text": ""}]})
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {  # a wish is measurable or to clarify
        "need", "wishes.0.text", "wishes.0.metric", "wishes.0.value", "wishes.0.period"}
    refused = acme.post("/api/v1/slrs", {"title": "Mail", "need": "n", "wishes": [
        {"text": "Up", "metric": "availability", "value": 150, "period": "month"}]})
    assert refused.status_code == 422
    assert "not between 0 and 100" in refused.get_json()["errors"]["wishes.0.value"][0]
    assert acme.post("/api/v1/slrs", {"title": "Mail", "need": "n",
                                      "wishes": "all"}).status_code == 422
    assert acme.get("/api/v1/slrs").get_json()["total"] == 0


def test_without_the_agreement_process_a_requirement_is_503_and_not_kept(app, demo):
    acme = api_as(app, demo.users["Customer"])
    refused = acme.post("/api/v1/slrs", {"title": "Mail", "need": "We need mail."})
    assert refused.status_code == 503
    assert acme.get("/api/v1/slrs").get_json()["total"] == 0
