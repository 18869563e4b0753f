"""Every route, as every role and anonymously, against an explicit matrix of status codes.

Adding a route? Add a row to MATRIX (and, if its URL has parameters, an entry to URL_ARGS);
``test_every_route_is_in_the_matrix`` fails until you do. The rows say what each actor gets:

- anonymous: 302 (to the login page) unless the route is public;
- a role the view does not declare: 403;
- an auditor: 403 for every POST/PUT/PATCH/DELETE (signing out excepted);
- an allowed role: the code of the page (GETs: 200). POSTs are sent with a valid CSRF
  token and an otherwise empty form, so an allowed role usually gets 400 (validation:
  nothing saved); a POST that does change data with an empty form must be harmless to
  repeat, because one database serves the whole module.

The app is the real one (create_app) on a migrated SQLite and PostgreSQL database with the
demo people; each actor signs in once through the login form.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from engine.clock import utcnow
from engine.db import Base, make_engine
from engine.heartbeat import beat
from handlers.outputs.models import ChangeRequest
from handlers.people import operations as people
from handlers.people import tokens as api_tokens
from web.auth.access import AUDITOR_MAY_POST, SAFE_METHODS, allowed_roles

from . import manager_world, sla_world, task_records
from .matrix_urls import URL_ARGS
from .support import Demo, client_login, csrf_token, make_app, seed_demo

ACTORS = ("anonymous", "Admin", "Process Owner", "Service Level Manager", "Customer", "Auditor")
ALL = (200,) * 6

# (endpoint, method):               anon  Admin  PO   SLM  Cust  Aud
MATRIX = {
    ("static", "GET"):               ALL,
    ("vendor.asset", "GET"):         ALL,
    ("home.health", "GET"):          ALL,
    ("ops.ready", "GET"):            ALL,  # a runner reported (world); see test_ops.py
    ("ops.metrics", "GET"):          (302, 200, 403, 403, 403, 200),  # or a scraper's token
    ("home.index", "GET"):           (302, 200, 200, 200, 302, 200),  # customer -> portal
    ("auth.login", "GET"):           (200, 302, 302, 302, 302, 302),
    ("auth.login", "POST"):          (401, 302, 302, 302, 302, 403),
    ("auth.logout", "POST"):         (302, 302, 302, 302, 302, 302),
    ("admin.users", "GET"):          (302, 200, 403, 403, 403, 200),
    ("admin.new_user", "GET"):       (302, 200, 403, 403, 403, 403),
    ("admin.new_user", "POST"):      (302, 400, 403, 403, 403, 403),
    ("admin.edit_user", "GET"):      (302, 200, 403, 403, 403, 403),
    ("admin.edit_user", "POST"):     (302, 400, 403, 403, 403, 403),
    ("admin.organisations", "GET"):  (302, 200, 403, 403, 403, 200),
    ("admin.organisations", "POST"): (302, 400, 403, 403, 403, 403),
    # issue 14: roles are data (retiring: a role that does not exist, 404, nothing changes)
    ("admin.roles", "GET"):          (302, 200, 403, 403, 403, 200),
    ("admin.roles", "POST"):         (302, 400, 403, 403, 403, 403),
    ("admin.retire_role", "POST"):   (302, 404, 403, 403, 403, 403),
    # portal
    ("portal.index", "GET"):           (302, 403, 403, 403, 200, 403),
    ("portal.requirements", "GET"):    (302, 403, 403, 403, 200, 403),
    ("portal.new_requirement", "GET"): (302, 403, 403, 403, 200, 403),
    ("portal.new_requirement", "POST"): (302, 403, 403, 403, 400, 403),
    ("portal.requirement", "GET"):     (302, 403, 403, 403, 200, 403),
    ("portal.options", "GET"):         (302, 403, 403, 403, 200, 403),
    ("portal.choose", "POST"):         (302, 403, 403, 403, 400, 403),
    ("portal.slas", "GET"):            (302, 403, 403, 403, 200, 403),
    ("portal.sla", "GET"):             (302, 403, 403, 403, 200, 403),
    ("portal.observe", "POST"):        (302, 403, 403, 403, 400, 403),
    ("portal.reports", "GET"):         (302, 403, 403, 403, 200, 403),
    ("portal.report", "GET"):          (302, 403, 403, 403, 200, 403),
    ("portal.report_document", "GET"): (302, 403, 403, 403, 200, 403),
    ("portal.report_pdf", "GET"):      (302, 403, 403, 403, 200, 403),
    # slas
    ("agreements.index", "GET"):             (302, 403, 200, 200, 403, 200),
    ("agreements.show", "GET"):              (302, 403, 200, 200, 403, 200),
    # requirements for the staff (issue 10)
    ("requirements.index", "GET"):           (302, 403, 200, 200, 403, 200),
    ("requirements.show", "GET"):            (302, 403, 200, 200, 403, 200),
    # catalogue, delivery, reviews, reports (the service level manager's pages)
    ("catalogue.index", "GET"):               (302, 403, 200, 200, 403, 200),
    ("catalogue.service", "GET"):             (302, 403, 200, 200, 403, 200),
    ("catalogue.new_service", "GET"):         (302, 403, 200, 200, 403, 403),
    ("catalogue.new_service", "POST"):        (302, 403, 400, 400, 403, 403),
    ("catalogue.edit_service", "GET"):        (302, 403, 200, 200, 403, 403),
    ("catalogue.edit_service", "POST"):       (302, 403, 400, 400, 403, 403),
    ("catalogue.new_level", "GET"):           (302, 403, 200, 200, 403, 403),
    ("catalogue.new_level", "POST"):          (302, 403, 400, 400, 403, 403),
    ("catalogue.edit_level", "GET"):          (302, 403, 200, 200, 403, 403),
    ("catalogue.edit_level", "POST"):         (302, 403, 400, 400, 403, 403),
    ("catalogue.targets", "GET"):             (302, 403, 200, 200, 403, 200),
    ("catalogue.targets", "POST"):            (302, 403, 400, 400, 403, 403),
    ("catalogue.remove_target", "POST"):      (302, 403, 400, 400, 403, 403),
    ("catalogue.supporting", "GET"):          (302, 403, 200, 200, 403, 403),
    ("catalogue.supporting", "POST"):         (302, 403, 400, 400, 403, 403),
    ("catalogue.link_ci", "POST"):            (302, 403, 400, 400, 403, 403),
    ("catalogue.unlink_ci", "POST"):          (302, 403, 400, 400, 403, 403),
    ("catalogue.metrics", "GET"):             (302, 403, 200, 200, 403, 200),
    ("catalogue.new_metric", "GET"):          (302, 403, 200, 200, 403, 403),
    ("catalogue.new_metric", "POST"):         (302, 403, 400, 400, 403, 403),
    ("catalogue.edit_metric", "GET"):         (302, 403, 200, 200, 403, 403),
    ("catalogue.edit_metric", "POST"):        (302, 403, 400, 400, 403, 403),
    ("catalogue.cis", "GET"):                 (302, 403, 200, 200, 403, 200),
    ("catalogue.new_ci", "GET"):              (302, 403, 200, 200, 403, 403),
    ("catalogue.new_ci", "POST"):             (302, 403, 400, 400, 403, 403),
    ("catalogue.edit_ci", "GET"):             (302, 403, 200, 200, 403, 403),
    ("catalogue.edit_ci", "POST"):            (302, 403, 400, 400, 403, 403),
    ("delivery.index", "GET"):                (302, 403, 200, 200, 403, 200),
    ("delivery.attainment", "GET"):           (302, 403, 200, 200, 200, 200),
    ("delivery.import_measurements", "GET"):  (302, 403, 200, 200, 403, 403),
    ("delivery.import_measurements", "POST"): (302, 403, 400, 400, 403, 403),
    ("reviews.index", "GET"):                 (302, 403, 200, 200, 403, 200),
    ("reviews.detail", "GET"):                (302, 403, 200, 200, 403, 200),
    ("reviews.proposals", "GET"):             (302, 403, 200, 200, 403, 200),
    ("reviews.change_requests", "GET"):       (302, 403, 200, 200, 403, 200),
    ("reviews.change_request", "GET"):        (302, 403, 200, 200, 403, 200),
    ("reports.index", "GET"):                 (302, 403, 200, 200, 403, 200),
    ("reports.export", "GET"):                (302, 403, 200, 200, 403, 200),
    ("reports.customer_report", "GET"):       (302, 403, 200, 200, 403, 200),
    ("reports.customer_report_pdf", "GET"):   (302, 403, 200, 200, 403, 200),
    ("reports.management", "GET"):            (302, 403, 200, 200, 403, 200),
    ("reports.generate", "POST"):             (302, 403, 400, 400, 403, 403),
    ("reports.management_report", "GET"):     (302, 403, 200, 200, 403, 200),
    ("reports.management_pdf", "GET"):        (302, 403, 200, 200, 403, 200),
    ("reports.history", "GET"):               (302, 403, 200, 200, 403, 200),
    # tasks
    ("tasks.index", "GET"):                   (302, 403, 200, 200, 200, 200),
    ("tasks.show", "GET"):                    (302, 403, 200, 200, 404, 200),
    ("tasks.diagram", "GET"):                 (302, 403, 200, 200, 404, 200),
    ("tasks.complete", "POST"):               (302, 403, 400, 403, 404, 403),
    ("tasks.claim", "POST"):                  (302, 403, 403, 302, 404, 403),
    ("tasks.unclaim", "POST"):                (302, 403, 403, 302, 404, 403),
    ("tasks.assign", "POST"):                 (302, 403, 403, 400, 403, 403),
    # diagrams
    ("diagrams.index", "GET"):                (302, 200, 200, 403, 403, 200),
    ("diagrams.version", "GET"):              (302, 200, 200, 403, 403, 200),
    ("diagrams.diff", "GET"):                 (302, 200, 200, 403, 403, 200),
    ("diagrams.stats", "GET"):                (302, 200, 200, 403, 403, 200),
    ("diagrams.download", "GET"):             (302, 200, 200, 403, 403, 200),
    ("diagrams.modeler", "GET"):              (302, 200, 200, 403, 403, 403),
    ("diagrams.migrate", "POST"):             (302, 400, 400, 403, 403, 403),
    ("diagrams.validate", "POST"):            (302, 400, 400, 403, 403, 403),
    ("diagrams.deploy_diagram", "POST"):      (302, 400, 400, 403, 403, 403),
    # issue 15: the process owner's studio
    ("diagrams.form_preview", "POST"):        (302, 400, 400, 403, 403, 403),
    ("diagrams.try_expression_view", "POST"): (302, 400, 400, 403, 403, 403),
    ("diagrams.health", "GET"):               (302, 200, 200, 403, 403, 200),
    ("diagrams.health_export", "GET"):        (302, 200, 200, 403, 403, 200),
    # issue 14: decision tables, deploying a set
    ("diagrams.decision", "GET"):             (302, 200, 200, 403, 403, 200),
    ("diagrams.decision_download", "GET"):    (302, 200, 200, 403, 403, 200),
    ("diagrams.deploy_set_view", "POST"):     (302, 422, 422, 403, 403, 403),
    ("diagrams.messages", "GET"):             (302, 200, 200, 403, 403, 200),
    # audit
    ("audit.index", "GET"):                   (302, 200, 403, 403, 403, 200),
    ("audit.trace", "GET"):                   (302, 200, 200, 403, 403, 200),
    ("audit.diagram", "GET"):                 (302, 200, 200, 403, 403, 200),
    ("audit.trace_json", "GET"):              (302, 200, 200, 403, 403, 200),
    ("audit.trace_csv", "GET"):               (302, 200, 200, 403, 403, 200),
    ("audit.log_csv", "GET"):                 (302, 200, 403, 403, 403, 200),
    ("audit.verify", "GET"):                  (302, 200, 403, 403, 403, 200),
    # issue 18: event logs for process mining (XES, OCEL 2.0), page and API
    ("audit.eventlog", "GET"):                (302, 200, 200, 403, 403, 200),
    ("api.eventlog_xes", "GET"):              (401, 200, 200, 403, 403, 200),
    ("api.eventlog_ocel", "GET"):             (401, 200, 200, 403, 403, 200),
    # the signed-in user's API tokens (an auditor may manage their own: AUDITOR_MAY_POST)
    ("account.tokens", "GET"):                (302, 200, 200, 200, 200, 200),
    ("account.create_token", "POST"):         (302, 400, 400, 400, 400, 400),
    ("account.revoke_token", "POST"):         (302, 404, 404, 404, 404, 404),
    # issue 12: one's own signed-in sessions (see, end one, end all others)
    ("account.sessions", "GET"):              (302, 200, 200, 200, 200, 200),
    ("account.end_session", "POST"):          (302, 404, 404, 404, 404, 404),
    ("account.end_other_sessions", "POST"):   (302, 302, 302, 302, 302, 302),
    # JSON API: a bearer token per actor; anonymous 401, invalid input 422
    ("api.openapi", "GET"):                   ALL,
    ("api.me", "GET"):                        (401, 200, 200, 200, 200, 200),
    ("api.tasks", "GET"):                     (401, 403, 200, 200, 200, 200),
    ("api.task", "GET"):                      (401, 403, 200, 200, 404, 200),
    ("api.complete", "POST"):                 (401, 403, 422, 403, 404, 403),
    ("api.claim", "POST"):                    (401, 403, 404, 404, 404, 403),
    ("api.unclaim", "POST"):                  (401, 403, 404, 404, 404, 403),
    ("api.instances", "GET"):                 (401, 200, 200, 200, 403, 200),
    ("api.instance", "GET"):                  (401, 200, 200, 200, 403, 200),
    ("api.import_measurements", "POST"):      (401, 403, 422, 422, 403, 403),
    ("api.slrs", "GET"):                      (401, 403, 200, 200, 200, 200),
    ("api.submit", "POST"):                   (401, 403, 403, 403, 422, 403),
    # issue 10: one conversation per subject (an empty comment is refused: back to the page)
    ("portal.catalogue", "GET"):              (302, 403, 403, 403, 200, 403),
    ("conversations.post", "POST"):           (302, 403, 302, 302, 302, 403),
    ("conversations.thread", "GET"):          (302, 403, 200, 200, 200, 200),
    ("conversations.download", "GET"):        (302, 403, 404, 404, 404, 404),
    # issue 13: notifications, the mail outbox, accounts by e-mail
    ("notifications.index", "GET"):           (302, 200, 200, 200, 200, 200),
    ("notifications.open_one", "POST"):       (302, 404, 404, 404, 404, 403),
    ("notifications.read_all", "POST"):       (302, 302, 302, 302, 302, 403),
    ("notifications.preferences", "GET"):     (302, 200, 200, 200, 200, 200),
    ("notifications.preferences", "POST"):    (302, 302, 302, 302, 302, 403),
    ("notifications.unsubscribe", "GET"):     (400, 400, 400, 400, 400, 400),
    ("notifications.unsubscribe", "POST"):    (400, 400, 400, 400, 400, 400),
    ("admin.outbox", "GET"):                  (302, 200, 403, 403, 403, 403),
    ("admin.mail", "GET"):                    (302, 404, 403, 403, 403, 403),
    ("admin.send_mail_again", "POST"):        (302, 404, 403, 403, 403, 403),
    ("api.notifications", "GET"):             (401, 200, 200, 200, 200, 200),
    ("api.post_message", "POST"):             (401, 403, 422, 422, 403, 403),
    ("api.read_notification", "POST"):        (401, 404, 404, 404, 404, 403),
    # issue 17: one's own language and time zone (an auditor may set their own)
    ("account.preferences", "GET"):           (302, 200, 200, 200, 200, 200),
    ("account.preferences", "POST"):          (302, 302, 302, 302, 302, 302),
    ("account.change_password", "GET"):       (302, 200, 200, 200, 200, 200),
    ("account.change_password", "POST"):      (302, 400, 400, 400, 400, 400),
    ("account.accept_invitation", "GET"):     (410, 410, 410, 410, 410, 410),
    ("account.accept_invitation", "POST"):    (410, 410, 410, 410, 410, 403),
    ("account.reset_password", "GET"):        (410, 410, 410, 410, 410, 410),
    ("account.reset_password", "POST"):       (410, 410, 410, 410, 410, 403),
    ("account.request_reset", "GET"):         ALL,
    ("account.request_reset", "POST"):        (200, 200, 200, 200, 200, 403),
    ("admin.invite", "GET"):                  (302, 200, 403, 403, 403, 403),
    ("admin.invite", "POST"):                 (302, 400, 403, 403, 403, 403),
    ("admin.edit_organisation", "GET"):       (302, 200, 403, 403, 403, 403),
    ("admin.edit_organisation", "POST"):      (302, 400, 403, 403, 403, 403),
}



def registered_routes(app) -> set[tuple[str, str]]:
    """(endpoint, method) of every route, HEAD and OPTIONS aside."""
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def _collection_app():
    return make_app("sqlite://")  # only for the list of routes: no database is touched


ROUTES = sorted(registered_routes(_collection_app()) | set(MATRIX))


# -- fixtures: one database per backend for the module, one signed-in client per actor --------
def _reset(url: str) -> None:
    eng = make_engine(url)
    with eng.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name == "role":  # the built-in roles are seeded by the migration
                conn.execute(table.delete().where(table.c.builtin.is_(False)))
            elif table.name != "audit_head":
                conn.execute(table.delete())
        conn.execute(text("UPDATE audit_head SET seq = 0, hash = :h"), {"h": "0" * 64})
    eng.dispose()


@pytest.fixture(scope="module", params=["sqlite", "pg"])
def matrix_app(request, tmp_path_factory):
    url = request.getfixturevalue(f"{request.param}_server_url")
    _reset(url)
    vendor = tmp_path_factory.mktemp("node_modules")  # the matrix tests access, not npm
    (vendor / "bootstrap" / "dist" / "css").mkdir(parents=True)
    (vendor / "bootstrap" / "dist" / "css" / "test.css").write_text("body {}\n")
    app = make_app(url, SLM_NODE_MODULES=str(vendor), SLM_READY_HEARTBEAT_AGE=86400)
    yield app
    app.extensions["slm"].db.dispose()


@pytest.fixture(scope="module")
def world(matrix_app) -> Demo:
    demo = seed_demo(matrix_app)
    # portal, slas: an active SLA of the Customer's organisation, with a review and a report
    demo.extra.update(sla_world.agreed_sla(matrix_app, demo, demo.users["Customer"],
                                           sla_world.build_catalogue(matrix_app)))
    # catalogue, delivery, reviews, reports: a CI, a management report, ids for their URLs
    demo.extra.update(manager_world.records(matrix_app))
    # tasks: one open task per state-changing route
    demo.extra["tasks"] = task_records.matrix_tasks(matrix_app)
    # the JSON API: a bearer token per user
    with matrix_app.extensions["slm"].sessions() as s:
        demo.extra["api_tokens"] = {
            actor: api_tokens.create_token(s, people.get_user(s, user.id), "matrix",
                                           utcnow(), actor="test-setup")[1]
            for actor, user in demo.users.items()}
        s.commit()
    # /readyz: a runner has reported; reviews.change_request: a stand-alone change request
    with matrix_app.extensions["slm"].sessions() as s:
        beat(s, "matrix-runner", utcnow())
        change = ChangeRequest(reference="CR-2026-9001", title="Matrix", description="-",
                               status="open", created_by="test", created_at=utcnow())
        s.add(change)
        s.commit()
        demo.extra["change_id"] = change.id
    # diagrams: a deployed version
    with matrix_app.extensions["slm"].sessions() as s:
        demo.extra["version_id"] = s.execute(text("select min(id) from process_version")).scalar()
        demo.extra["dmn_version_id"] = s.execute(text(
            "select min(id) from process_version where dmn_json <> '{}'")).scalar()
    return demo


@pytest.fixture(scope="module")
def clients(matrix_app, world):
    """actor -> (test client, CSRF token); built on first use."""
    cache = {}

    def get(actor: str, fresh: bool = False):
        if fresh:  # signing out ends every session of that person: sign the others in again
            cache.pop(actor, None)
        if fresh or actor not in cache:
            client = matrix_app.test_client()
            if actor == "anonymous":
                token = csrf_token(client.get("/login").data)
            else:
                token = client_login(client, world.users[actor])
            if fresh:
                return client, token
            cache[actor] = (client, token)
        return cache[actor]

    return get


# -- the matrix itself -----------------------------------------------------------------------
def test_every_route_is_in_the_matrix(matrix_app):
    routes = registered_routes(matrix_app)
    missing = sorted(routes - set(MATRIX))
    stale = sorted(set(MATRIX) - routes)
    assert not missing, f"routes without a row in MATRIX (tests/e2e/test_role_matrix.py): {missing}"
    assert not stale, f"MATRIX rows for routes that no longer exist: {stale}"
    needs_args = sorted({rule.endpoint for rule in matrix_app.url_map.iter_rules()
                         if rule.arguments} - set(URL_ARGS))
    assert not needs_args, f"routes with URL parameters but no URL_ARGS entry: {needs_args}"


def test_the_matrix_follows_the_rules(matrix_app):
    """Rows cannot grant what the rules forbid, and agree with the views' declared roles."""
    for (endpoint, method), codes in MATRIX.items():
        view = matrix_app.view_functions.get(endpoint)
        if view is None:
            continue
        roles = allowed_roles(view) if endpoint != "static" else None
        expected = dict(zip(ACTORS, codes, strict=True))
        if roles is not None:
            anonymous = 401 if endpoint.startswith("api.") else 302  # API: no login page
            assert expected["anonymous"] == anonymous, (endpoint, method, "must sign in")
            for role in ACTORS[1:]:
                if role not in roles:
                    assert expected[role] == 403, (endpoint, method, role, "not declared")
        if method not in SAFE_METHODS and endpoint not in AUDITOR_MAY_POST:
            assert expected["Auditor"] == 403, (endpoint, method, "auditors change nothing")


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("endpoint, method", ROUTES)
def test_route_answers_each_actor_as_the_matrix_says(matrix_app, world, clients, endpoint,
                                                     method, actor):
    assert (endpoint, method) in MATRIX, f"add ({endpoint!r}, {method!r}) to MATRIX"
    expected = MATRIX[(endpoint, method)][ACTORS.index(actor)]
    if endpoint not in matrix_app.view_functions:
        pytest.fail(f"MATRIX names {endpoint!r}, which is not registered")
    args = URL_ARGS[endpoint](world) if endpoint in URL_ARGS else {}
    with matrix_app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **args)
    # signing in or out changes the client's session: those use a client of their own
    client, token = clients(actor, fresh=endpoint.startswith("auth."))
    if url.startswith("/api/"):  # by bearer token, JSON in; the session cookie is ignored
        headers = {} if actor == "anonymous" else {
            "Authorization": f"Bearer {world.extra['api_tokens'][actor]}"}
        response = client.open(url, method=method, headers=headers,
                               json=None if method in SAFE_METHODS else {})
    elif method in SAFE_METHODS:
        response = client.open(url, method=method)
    else:
        response = client.open(url, method=method, data={"csrf_token": token})
    with response:
        assert response.status_code == expected, (
            f"{actor} {method} {url}: got {response.status_code}, MATRIX says {expected}")
        if expected == 302 and actor == "anonymous":
            assert Path(response.headers["Location"].split("?")[0]).name == "login"
