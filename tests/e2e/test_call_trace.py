"""The auditor's trace links a calling instance and the instance its call activity started
(a process deployed on its own), both ways."""
from __future__ import annotations

from sqlalchemy import select

from engine.clock import utcnow
from engine.deploy import deploy
from engine.instances import start_instance
from engine.models import ProcessInstance

from .support import seal_all

CALLS = __import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "calls"


def called_pair(app) -> tuple[int, int]:
    slm = app.extensions["slm"]
    with slm.sessions() as s:
        for name in ("child.bpmn", "parent.bpmn"):
            deploy(s, (CALLS / name).read_bytes(), name, registry=slm.engine.registry,
                   known_lanes=slm.engine.known_lanes, form_loader=lambda _n: None,
                   actor="owner", now=utcnow())
        s.commit()
        parent = start_instance(slm.engine, s, "calling_parent", actor="owner", now=utcnow())
        s.commit()
        child = s.scalars(select(ProcessInstance.id).where(
            ProcessInstance.parent_instance_id == parent)).one()
    seal_all(slm.sessions)
    return parent, child


def test_trace_links_parent_and_child(app, demo, page, login, screenshot):
    parent, child = called_pair(app)
    login(page, demo.users["Auditor"])
    page.goto(f"/audit/instances/{parent}")
    called = page.get_by_test_id("called")
    assert "called_child version 1, completed" in called.inner_text()
    screenshot(page, "trace-caller")
    called.get_by_role("link", name=f"instance {child}").click()
    page.wait_for_url(f"**/audit/instances/{child}")
    by = page.get_by_test_id("called-by")
    assert "calling_parent" in by.inner_text() and "version 1 of called_child" in by.inner_text()
    screenshot(page, "trace-called")
    by.get_by_role("link", name=f"instance {parent} (calling_parent)").click()
    page.wait_for_url(f"**/audit/instances/{parent}")


def test_the_studio_validates_a_call_to_a_deployed_process_as_deploy_does(app, demo, client):
    from .support import client_login
    client.environ_base["HTTP_X_CSRFTOKEN"] = client_login(client, demo.users["Process Owner"])
    parent = (CALLS / "parent.bpmn").read_text()

    def check(url):
        return client.post(url, json={"xml": parent, "name": "parent.bpmn", "note": "",
                                      "forms": {}}).get_json()

    answer = check("/diagrams/validate")
    assert answer["valid"] is False
    assert answer["problems"] == [{"element_id": "call", "message": (
        "called process 'called_child' is neither deployed nor in this upload: deploy it "
        "first or add it")}]
    child = (CALLS / "child.bpmn").read_text()
    assert client.post("/diagrams/deploy", json={"xml": child, "name": "child.bpmn",
                                                 "note": "", "forms": {}}).status_code == 200
    assert check("/diagrams/validate") == {"valid": True, "problems": []}
    assert check("/diagrams/deploy")["valid"] is True
