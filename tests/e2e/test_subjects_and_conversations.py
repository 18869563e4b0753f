"""Issue 10: every task shows its subject, one conversation per subject, targets that make
sense at every entry point, claiming that means something. Through the real app (Flask
client and the JSON API) on a real database, the negotiation run by the real diagram."""
from __future__ import annotations

import json
from io import BytesIO

import pytest
from sqlalchemy import func, select

from engine.clock import utcnow
from engine.models import AuditEvent, HumanTask
from handlers.agreements.models import ServiceLevelAgreement, SLAVersion
from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import ServiceLevelOption, Target
from handlers.conversations.models import Attachment, Comment
from handlers.errors import ValidationError

from .sla_world import build_catalogue, complete, customer, ready_task, submit
from .support import client_login, seal_all

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
       b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05"
       b"\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
#: the three nonsense targets of the issue: (metric, comparator, threshold, field refused)
NONSENSE = (("availability", ">=", 150.0, "threshold"),
            ("incident_resolution", "<=", -4.0, "threshold"),
            ("availability", "<=", 99.9, "comparator"))


@pytest.fixture
def world(app, demo):
    options = build_catalogue(app)
    user = demo.users["Customer"]
    slr_id, iid = submit(app, demo, user, "Email for the depots")
    complete(app, iid, "choose_option", customer(user), {"option_key": options["Silver"]})
    return {"iid": iid, "slr_id": slr_id, "user": user}


def count(app, model, *where):
    if model is AuditEvent:
        seal_all(app.extensions["slm"].sessions)  # what a runner does within a second
    with app.extensions["slm"].sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def sla_of(app, slr_id):
    with app.extensions["slm"].sessions() as s:
        return s.scalar(select(ServiceLevelAgreement).where(
            ServiceLevelAgreement.slr_id == slr_id))


def signed_in(app, user):
    client = app.test_client()
    return client, client_login(client, user)


def test_the_draft_its_diff_and_both_sides_comments_reach_every_task(app, demo, world):
    iid, user = world["iid"], world["user"]
    sla = sla_of(app, world["slr_id"])
    cust, token = signed_in(app, user)
    task_id = ready_task(app, iid, "review_draft")
    page = cust.get(f"/tasks/{task_id}").get_data(as_text=True)
    # the draft's terms: targets with units, cycle in words, cost with currency, the SLA link
    assert "&gt;= 99.5 % per month" in page and "monthly" in page and "EUR 800.00" in page
    assert f'href="/portal/slas/{sla.id}"' in page and "This is the first version" in page
    response = cust.post(f"/tasks/{task_id}", data={
        "csrf_token": token, "decision": "counter-propose",
        "comment": "We need 99.9 for the depots.",
        "requested_changes.targets.0.metric": "availability",
        "requested_changes.targets.0.threshold": "99.9"})
    assert response.status_code == 302
    manager, mtoken = signed_in(app, demo.users["Service Level Manager"])
    revise = ready_task(app, iid, "revise_sla")
    page = manager.get(f"/tasks/{revise}").get_data(as_text=True)
    assert "We need 99.9 for the depots." in page and "Review the SLA draft" in page
    assert f'href="/slas/{sla.id}"' in page  # the manager's SLA page
    response = manager.post(f"/tasks/{revise}", data={
        "csrf_token": mtoken, "comment": "Gold availability at a Silver price.",
        "changes.targets.0.metric": "availability", "changes.targets.0.threshold": "99.9"})
    assert response.status_code == 302
    task_id = ready_task(app, iid, "review_draft")
    page = cust.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Changes from version 1" in page
    assert "Availability target: &gt;= 99.5 % -&gt; &gt;= 99.9 %" in page
    thread = page[page.index('data-testid="thread"'):]
    assert thread.index("We need 99.9") < thread.index("Gold availability at a Silver price.")
    # the API's task detail carries the same subject and thread
    detail = api_task(app, user, task_id)
    assert detail["subject"]["view"] == "draft" and detail["subject"]["version"] == 2
    assert [c["text"] for c in detail["thread"]] == ["We need 99.9 for the depots.",
                                                     "Gold availability at a Silver price."]
    assert [c["role"] for c in detail["thread"]] == ["Customer", "Service Level Manager"]
    # the SLA's page shows the thread too, and posting is an audit event
    page = manager.get(f"/slas/{sla.id}").get_data(as_text=True)
    assert "We need 99.9 for the depots." in page and 'data-testid="conversation"' in page
    assert count(app, AuditEvent, AuditEvent.kind == "comment_posted") == 2


def api_task(app, user, task_id):
    response = app.test_client().get(f"/api/v1/tasks/{task_id}",
                                     headers={"Authorization": f"Bearer {_token(app, user)}"})
    assert response.status_code == 200, response.data
    return response.get_json()


@pytest.mark.parametrize("metric, comparator, threshold, field", NONSENSE)
def test_nonsense_targets_are_refused_at_every_entry_point(app, demo, world, metric,
                                                           comparator, threshold, field):
    iid, user = world["iid"], world["user"]
    sla = sla_of(app, world["slr_id"])
    # 1. the catalogue level's target form: a field error, nothing stored
    manager, mtoken = signed_in(app, demo.users["Service Level Manager"])
    with app.extensions["slm"].sessions() as s:
        option = s.scalar(select(ServiceLevelOption).where(ServiceLevelOption.name == "Bronze"))
        before = {(t.metric.key, t.comparator, t.threshold) for t in option.targets}
    response = manager.post(f"/catalogue/levels/{option.id}/targets", data={
        "csrf_token": mtoken, "metric": metric, "comparator": comparator,
        "threshold": str(threshold), "period": "month"})
    assert response.status_code == 400
    assert "is-invalid" in response.get_data(as_text=True)
    with app.extensions["slm"].sessions() as s:
        after = {(t.metric.key, t.comparator, t.threshold) for t in s.scalars(
            select(Target).where(Target.option_id == option.id))}
    assert after == before
    # 2. the domain (design specifications and imports call set_target)
    with app.extensions["slm"].sessions() as s:
        level = s.get(ServiceLevelOption, option.id)
        with pytest.raises(ValidationError) as refused:
            catalogue.set_target(s, level, metric, threshold, "month", comparator)
        assert field in refused.value.errors
    # 3. the customer's counter-proposal on the task page (the form has no comparator:
    #    the nonsense comparator is tried through the API below)
    cust, token = signed_in(app, user)
    task_id = ready_task(app, iid, "review_draft")
    if field == "threshold":
        response = cust.post(f"/tasks/{task_id}", data={
            "csrf_token": token, "decision": "counter-propose", "comment": "more",
            "requested_changes.targets.0.metric": metric,
            "requested_changes.targets.0.threshold": str(threshold)})
        assert response.status_code == 400
        assert "requested_changes.targets.0.threshold" in response.get_data(as_text=True) \
            or "is-invalid" in response.get_data(as_text=True)
    # 4. the API (counter-proposal through the task API): 422 by field; a counter-proposal
    #    keeps the target's comparator, so one that names a comparator is refused as well
    secret = _token(app, user)
    change = {"metric": metric, "threshold": threshold}
    if field == "comparator":
        change["comparator"] = comparator
    response = app.test_client().post(
        f"/api/v1/tasks/{task_id}/complete", headers={"Authorization": f"Bearer {secret}"},
        json={"decision": "counter-propose", "requested_changes": {"targets": [change]}})
    assert response.status_code == 422
    assert any(k.startswith("requested_changes.targets.0")
               for k in response.get_json()["errors"])
    # 5. the negotiation handler itself (the revision's draft_sla)
    from handlers.agreements.negotiation import apply_changes
    from handlers.agreements.operations import current_terms
    with app.extensions["slm"].sessions() as s:
        with pytest.raises(ValidationError) as refused:
            apply_changes(s, current_terms(s.get(ServiceLevelAgreement, sla.id)), {
                "targets": [{"metric": metric, "threshold": threshold,
                             "comparator": comparator}]})
        assert f"targets.0.{field}" in refused.value.errors
    # 6. a customer's wish, on the requirement form and through the API
    from handlers.requirements.models import ServiceLevelRequirement
    wish_field = "value" if field == "threshold" else "comparator"
    response = cust.post("/portal/requirements/new", data={
        "csrf_token": token, "title": "Nonsense", "need": "A need",
        "wishes-0-text": "a wish", "wishes-0-metric": metric,
        "wishes-0-comparator": comparator, "wishes-0-value": str(threshold),
        "wishes-0-period": "month"})
    assert response.status_code == 400
    assert f'id="wishes-0-{wish_field}-error"' in response.get_data(as_text=True)
    response = app.test_client().post(
        "/api/v1/slrs", headers={"Authorization": f"Bearer {secret}"},
        json={"title": "Nonsense", "need": "A need", "wishes": [
            {"text": "a wish", "metric": metric, "comparator": comparator,
             "value": threshold, "period": "month"}]})
    assert response.status_code == 422
    assert f"wishes.0.{wish_field}" in response.get_json()["errors"]
    assert count(app, ServiceLevelRequirement) == 1  # the world's own, nothing more
    # nothing stored anywhere: the task still waits, the SLA still has one version
    assert count(app, SLAVersion, SLAVersion.sla_id == sla.id) == 1
    with app.extensions["slm"].sessions() as s:
        assert s.get(HumanTask, task_id).status == "ready"


def _token(app, user) -> str:
    from handlers.people import tokens
    from handlers.people.models import User
    with app.extensions["slm"].sessions() as s:
        owner = s.scalar(select(User).where(User.username == user.username))
        secret = tokens.create_token(s, owner, "issue 10", utcnow(), actor=user.username)[1]
        s.commit()
    return secret


def test_attachments_are_checked_by_content_and_threads_stay_in_their_organisation(
        app, demo, world):
    sla = sla_of(app, world["slr_id"])
    cust, token = signed_in(app, world["user"])
    url = f"/conversations/sla/{sla.id}"
    response = cust.post(url, data={"csrf_token": token, "text": "the outage report",
                                    "files": (BytesIO(PNG), "outage.png")},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    # a program renamed to .pdf is refused by its content, nothing stored
    response = cust.post(url, data={"csrf_token": token, "text": "sneaky",
                                     "files": (BytesIO(b"MZ\x90\x00\x03" + b"\x00" * 64),
                                               "report.pdf")},
                         content_type="multipart/form-data")
    assert response.status_code == 302
    assert count(app, Comment) == 1 and count(app, Attachment) == 1
    thread = cust.get(url).get_json()["comments"]
    [attached] = thread[0]["attachments"]
    assert attached["content_type"] == "image/png"
    download = cust.get(attached["url"])
    assert download.data == PNG and "attachment" in download.headers["Content-Disposition"]
    assert count(app, AuditEvent, AuditEvent.kind == "attachment_added") == 1
    # the other organisation's customer sees neither the thread nor the file
    other, _ = signed_in(app, demo.users["Customer 2"])
    assert other.get(url).status_code == 404
    assert other.get(attached["url"]).status_code == 404


def test_completing_an_unclaimed_task_claims_it_on_the_record(app, demo, world):
    iid, user = world["iid"], world["user"]
    cust, token = signed_in(app, user)
    task_id = ready_task(app, iid, "review_draft")
    response = cust.post(f"/tasks/{task_id}", data={"csrf_token": token, "decision": "accept"},
                         follow_redirects=True)
    assert "you claimed it on completing" in response.get_data(as_text=True)
    seal_all(app.extensions["slm"].sessions)  # what a runner does within a second
    with app.extensions["slm"].sessions() as s:
        task = s.get(HumanTask, task_id)
        events = [(e.kind, json.loads(e.data) if isinstance(e.data, str) else e.data)
                  for e in s.scalars(select(AuditEvent).where(
                      AuditEvent.instance_id == iid, AuditEvent.task_id == task.task_id)
                      .order_by(AuditEvent.seq))]
    kinds = [k for k, _ in events]
    assert kinds.index("task_claimed") == kinds.index("task_completed") - 1
    assert dict(events)["task_claimed"]["implicit"] is True
    assert task.assignee == user.username


def test_the_review_discussion_reaches_the_review_page_and_both_sides(app, demo):
    from engine.instances import start_instance
    from handlers.reviews.operations import open_review

    from .sla_world import MANAGER, agreed_sla
    options = build_catalogue(app)
    user = demo.users["Customer"]
    made = agreed_sla(app, demo, user, options)
    services = app.extensions["slm"]
    with services.sessions() as s:
        sla = s.get(ServiceLevelAgreement, made["sla_id"])
        review, _ = open_review(s, sla, utcnow(), lambda pid, data, **kw: start_instance(
            services.engine, s, pid, actor="system", now=utcnow(), data=data, **kw))
        s.commit()
        review_id, iid = review.id, review.instance_id
    cust, token = signed_in(app, user)
    task_id = ready_task(app, iid, "discuss_results")
    page = cust.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'data-view="review"' in page and "targets met" in page
    cust.post(f"/tasks/{task_id}", data={"csrf_token": token, "agree": "on",
                                         "notes": "The Monday outage hurt our depots."})
    manager, mtoken = signed_in(app, demo.users["Service Level Manager"])
    record = ready_task(app, iid, "record_the_review")
    page = manager.get(f"/tasks/{record}").get_data(as_text=True)
    assert "The Monday outage hurt our depots." in page  # what was said so far
    page = manager.get(f"/reviews/{review_id}").get_data(as_text=True)
    assert "The Monday outage hurt our depots." in page and "Not discussed yet" not in page
    # the customer reads the same thread beside the review's service report
    from handlers.reports.models import CustomerReport
    with services.sessions() as s:
        report_id = s.scalar(select(CustomerReport.id).where(
            CustomerReport.review_id == review_id))
    page = cust.get(f"/portal/reports/{report_id}").get_data(as_text=True)
    assert "The Monday outage hurt our depots." in page
    complete(app, iid, "record_the_review", MANAGER, {"record": "Agreed: monitor Mondays."})


def test_customers_see_their_attainment_live_and_no_other(app, demo):
    from .sla_world import agreed_sla
    options = build_catalogue(app)
    made = agreed_sla(app, demo, demo.users["Customer"], options)
    cust, _ = signed_in(app, demo.users["Customer"])
    page = cust.get(f"/portal/slas/{made['sla_id']}").get_data(as_text=True)
    assert 'data-testid="attainment-now"' in page
    month = utcnow().strftime("%Y-%m")
    page = cust.get(f"/attainment/{made['sla_id']}?period={month}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'rel="next"' not in text  # no link into the future
    assert f'href="/portal/slas/{made["sla_id"]}"' in text
    other, _ = signed_in(app, demo.users["Customer 2"])
    assert other.get(f"/attainment/{made['sla_id']}").status_code == 404


def test_customers_browse_the_catalogue_and_ask_for_a_service(app, demo):
    build_catalogue(app)
    cust, _ = signed_in(app, demo.users["Customer"])
    page = cust.get("/portal/catalogue").get_data(as_text=True)
    assert "Email" in page and "EUR 1,200.00" in page and "&gt;= 99.9 % per month" in page
    assert 'href="/portal/requirements/new?service=email"' in page
    form = cust.get("/portal/requirements/new?service=email").get_data(as_text=True)
    assert 'value="Email"' in form and 'data-testid="requested-service"' in form
    # staff keep their own catalogue pages; the portal's is the customers'
    manager, _ = signed_in(app, demo.users["Service Level Manager"])
    assert manager.get("/portal/catalogue").status_code == 403


def test_each_role_lands_where_its_work_is(app, demo, world):
    manager, _ = signed_in(app, demo.users["Service Level Manager"])
    page = manager.get("/").get_data(as_text=True)
    assert 'data-testid="manager-home"' in page and "SLAs with breaches this month" in page
    owner, _ = signed_in(app, demo.users["Process Owner"])
    page = owner.get("/").get_data(as_text=True)
    assert 'data-testid="owner-home"' in page and "SLA agreement" in page
    auditor, _ = signed_in(app, demo.users["Auditor"])
    page = auditor.get("/").get_data(as_text=True)
    assert 'data-testid="auditor-home"' in page and "task completed" in page
    assert 'data-testid="counts"' not in page  # the auditor's own work, not global counters


def test_a_stored_report_says_when_its_data_changed(app, demo):
    from datetime import timedelta

    from handlers.delivery.measurements import import_rows
    from handlers.reports.operations import management_report

    from .sla_world import agreed_sla
    made = agreed_sla(app, demo, demo.users["Customer"], build_catalogue(app))
    now = utcnow()
    start = (now - timedelta(days=5)).date()
    with app.extensions["slm"].sessions() as s:
        report = management_report(s, start, now.date(), now - timedelta(hours=1))
        s.commit()
        report_id = report.id
    manager, _ = signed_in(app, demo.users["Service Level Manager"])
    assert 'data-testid="report-outdated"' not in manager.get(
        f"/management/{report_id}").get_data(as_text=True)
    with app.extensions["slm"].sessions() as s:
        reference = s.get(ServiceLevelAgreement, made["sla_id"]).reference
        result = import_rows(s, [{"sla": reference, "metric": "availability",
                                  "measured_at": (now - timedelta(days=2)).isoformat(),
                                  "value": 97.5}], "late import", now)
        assert result["imported"] == 1, result
        s.commit()
    page = manager.get(f"/management/{report_id}").get_data(as_text=True)
    assert 'data-testid="report-outdated"' in page and "1 measurement imported" in page
