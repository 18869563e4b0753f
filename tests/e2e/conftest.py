"""End-to-end fixtures: the real app on a live server, demo people, Debian's Chromium.

- ``app``: ``create_app`` on the migrated, emptied database of ``db_url`` (SQLite and
  PostgreSQL); ``client``: its Flask test client.
- ``demo``: the demo people (one user per role, two customer organisations), all with
  ``support.PASSWORD``; ``demo.users["Customer"]`` is Acme's customer,
  ``demo.users["Customer 2"]`` Globex's.
- ``live_server``: the app served by werkzeug in a thread on 127.0.0.1, on a free port.
- ``browser``: Chromium from Debian (/usr/bin/chromium) driven by Playwright; never a
  downloaded browser. Missing: the browser tests are skipped, or fail under CI=true.
- ``page``: a fresh browser context on the live server (relative URLs work); a failing
  test leaves a screenshot in test-output/.
- ``login(page, user)`` and ``screenshot(page, name)`` as fixtures (also importable from
  support, with ``client_login`` and ``csrf_token`` for the Flask test client).
"""
from __future__ import annotations

import os

import pytest
from conftest import cheap_passwords

from .support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    Demo,
    LiveServer,
    dispose_when_idle,
    make_app,
    seed_demo,
)
from .support import login as _login
from .support import screenshot as _screenshot


@pytest.fixture(scope="session", autouse=True)
def cheap_hasher():
    """argon2 with small parameters: the defaults cost about a second per hash here."""
    with cheap_passwords():
        yield


@pytest.fixture
def app(db_url):
    app = make_app(db_url)
    yield app
    dispose_when_idle(app)


@pytest.fixture
def demo(app) -> Demo:
    return seed_demo(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        reason = (f"{CHROMIUM} is missing: install Debian's chromium (make system-deps); "
                  "browsers are never downloaded")
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.slm_failed = report.failed


@pytest.fixture
def page(request, browser, live_server):
    context = browser.new_context(base_url=live_server.url,
                                  viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    if getattr(request.node, "slm_failed", False):
        _screenshot(page, f"FAILED-{request.node.name}")
    context.close()


@pytest.fixture
def login():
    """login(page, user, goto=True): sign in through the login page."""
    return _login


@pytest.fixture
def screenshot():
    """screenshot(page, name): save test-output/<name>.png."""
    return _screenshot
