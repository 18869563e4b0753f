"""Issue 10, item 7: no page shows a person a link they cannot open.

On the seeded demo database, Chromium signs in as each role, opens every page reachable
from the navigation and follows every link on every page reached (same site, GET): none
answers 403, 404 or 500. Links are fetched with the browser context's own requests (same
session cookie); HTML pages are parsed for further links, breadth first.
"""
from __future__ import annotations

from collections import deque
from datetime import datetime
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from lxml import html as lxml_html

from handlers.demo.seed import seed_demo

from .support import DemoUser

PASSWORD = "crawl-password-1"
#: (username, role) of the seeded people, one per role
PEOPLE = (("admin", "Admin"), ("owner", "Process Owner"), ("manager", "Service Level Manager"),
          ("auditor", "Auditor"), ("alice.northwind", "Customer"))
#: pages per role at most: lists with many filters and pages would otherwise go on and on
MAX_PAGES = 250
#: query parameters that only page or filter a list: one value of each is enough
LIST_PARAMS = ("page", "sort", "status", "view", "organisation", "service", "process",
               "a", "b", "with", "period", "q")


@pytest.fixture
def seeded(app):
    with app.extensions["slm"].sessions() as session:
        seed_demo(session, app.extensions["slm"].engine, datetime(2026, 3, 10, 14, 30),
                  password=PASSWORD)
        session.commit()
    return app


def _key(url: str) -> str:
    """Pages that differ only in list paging/filter values count once."""
    parsed = urlparse(url)
    names = sorted({part.split("=")[0] for part in parsed.query.split("&") if part})
    listed = [n for n in names if n in LIST_PARAMS]
    return parsed.path + ("?" + ",".join(listed) if listed else "")


def _links(base: str, body: str) -> list[str]:
    try:
        tree = lxml_html.fromstring(body)
    except (ValueError, lxml_html.etree.ParserError):
        return []
    return [urldefrag(urljoin(base, href))[0] for href in tree.xpath("//a/@href")]


def crawl(page, origin: str) -> tuple[list[tuple[str, int, str]], int]:
    """(bad links as (url, status, found on), pages visited)."""
    start = [urljoin(origin, a) for a in page.locator(
        "[data-testid=nav] a").evaluate_all("links => links.map(a => a.getAttribute('href'))")]
    queue = deque((url, "navigation") for url in [origin + "/", *start])
    seen, bad, visited = set(), [], 0
    while queue and visited < MAX_PAGES:
        url, found_on = queue.popleft()
        if not url.startswith(origin) or _key(url) in seen or "/logout" in url:
            continue
        seen.add(_key(url))
        response = page.request.get(url, max_redirects=5)
        visited += 1
        if response.status in (403, 404) or response.status >= 500:
            bad.append((url[len(origin):], response.status, found_on))
            continue
        if "text/html" in response.headers.get("content-type", ""):
            for link in _links(url, response.text()):
                queue.append((link, url[len(origin):]))
    return bad, visited


@pytest.mark.parametrize("username, role", PEOPLE)
def test_every_link_a_role_sees_opens(seeded, page, login, live_server, username, role):
    login(page, DemoUser(0, username, username, frozenset({role}), None, PASSWORD))
    bad, visited = crawl(page, live_server.url)
    assert visited > 5, f"{role}: the crawl reached only {visited} pages"
    assert bad == [], f"{role}: links that do not open (url, status, found on): {bad}"
