"""Helpers for end-to-end tests (the fixtures in conftest.py use them; tests may import them).

Import as ``from .support import ...`` from a test module in tests/e2e (a package).
"""
from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from werkzeug.serving import make_server

from engine.sealer import seal_pending
from handlers.people import operations as people
from web import create_app

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "e2e-only password 42"  # test data, not a secret
SECRET_KEY = "e2e-tests-only"
#: who and when, in the audit log, for people the tests set up directly
SETUP = {"actor": "test-setup", "now": datetime(2026, 1, 5, 8, 0)}


@dataclass(frozen=True)
class DemoUser:
    id: int
    username: str
    display_name: str
    roles: frozenset
    organisation: str | None  # key
    password: str = PASSWORD


@dataclass
class Demo:
    """The seeded people: ``users`` by role (second customer: "Customer 2"), ``orgs`` by key.

    ``extra`` is for records other fixtures add (ids for URLs, e.g. an SLA or a task).
    """

    users: dict[str, DemoUser]
    orgs: dict[str, int]
    extra: dict = field(default_factory=dict)


def make_app(db_url: str, **config):
    return create_app({"SLM_DATABASE_URL": db_url, "SLM_EMBEDDED_RUNNER": False,
                       "SECRET_KEY": SECRET_KEY, **config})


#: key, name, kind
DEMO_ORGANISATIONS = (("acme", "Acme Retail Ltd", "customer"),
                      ("globex", "Globex Logistics", "customer"),
                      ("it", "Our IT", "provider"))
#: key in Demo.users, username, display name, role, organisation key
DEMO_USERS = (
    ("Admin", "admin", "Ada Admin", "Admin", None),
    ("Process Owner", "owner", "Otto Owner", "Process Owner", "it"),
    ("Service Level Manager", "manager", "Mia Manager", "Service Level Manager", "it"),
    ("Customer", "acme", "Carla Customer (Acme)", "Customer", "acme"),
    ("Customer 2", "globex", "Gus Customer (Globex)", "Customer", "globex"),
    ("Auditor", "auditor", "Aldo Auditor", "Auditor", None),
)


def seed_demo(app) -> Demo:
    """Create the demo people in ``app``'s (empty) database; returns who they are."""
    with app.extensions["slm"].sessions() as session:
        for key, name, kind in DEMO_ORGANISATIONS:
            people.create_organisation(session, key, name, kind, **SETUP)
        shared = people.hash_password(PASSWORD)  # once: even cheap argon2 adds up
        users = {}
        for ref, username, display_name, role, org in DEMO_USERS:
            user = people.create_user(session, username, display_name, None, [role], org,
                                      password_hash=shared, **SETUP)
            users[ref] = DemoUser(user.id, username, display_name, frozenset({role}), org)
        session.commit()
        orgs = {o.key: o.id for o in people.list_organisations(session)}
    return Demo(users, orgs)


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str | bytes) -> str:
    """The CSRF token of the first form in ``html``."""
    text = html.decode() if isinstance(html, bytes) else html
    match = CSRF_RE.search(text)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def client_login(client, user: DemoUser) -> str:
    """Sign ``user`` in through the login form; returns a CSRF token for later POSTs."""
    token = csrf_token(client.get("/login").data)
    response = client.post("/login", data={"csrf_token": token, "username": user.username,
                                           "password": user.password})
    assert response.status_code == 302, f"login of {user.username} failed"
    return csrf_token(client.get("/", follow_redirects=True).data)  # customers: the portal


def dispose_when_idle(app, wait: float = 5.0) -> None:
    """Dispose the app's engine once no request holds a connection (for up to ``wait`` s).

    A live server's request thread may still be finishing when a test ends; a connection it
    hands back to a disposed pool is closed only by the garbage collector, which psycopg
    reports as a ResourceWarning in whatever test runs then."""
    services = app.extensions["slm"]
    db = services.db
    checked_out = getattr(db.pool, "checkedout", lambda: 0)
    # SQLite's sessions keep their connection once closed (engine.db.KeptSessions)
    release = getattr(services.sessions, "release", lambda: None)
    deadline = time.monotonic() + wait
    release()
    while checked_out() and time.monotonic() < deadline:
        time.sleep(0.02)
        release()
    db.dispose()


class LiveServer:
    """``app`` served by werkzeug in a thread on 127.0.0.1, on a free port."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as test-output/<name>.png."""
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, user: DemoUser, goto: bool = True) -> None:
    """Sign ``user`` in through the login page and wait until a signed-in page shows.

    ``goto=False``: the page shows the login form already (after a redirect to it).
    """
    if goto:
        page.goto("/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(user.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_selector("[data-testid=who]", state="attached")  # hidden in a phone's menu


def seal_all(sessions) -> int:
    """What the runners' sealer does within a second on PostgreSQL (the test app runs no
    runner): seal every committed audit event into the chain."""
    return seal_pending(sessions, "tests", release_after=True)
