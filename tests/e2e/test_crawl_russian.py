"""Every page in Russian opens (issue 17): no translation breaks a page.

On the seeded demo database each role signs in with a browser that prefers Russian, and
every page reachable from the navigation is opened, links followed breadth first (the
Flask test client, same session): none answers 500, and every page is written in Russian
(``<html lang="ru">``, no English left in the navigation; a stored customer report keeps
its customer's language). Irina (the demo's
Russian-speaking customer) chose Russian herself and gets it whatever her browser says.
"""
from __future__ import annotations

from collections import deque
from datetime import datetime
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
from lxml import html as lxml_html

from handlers.demo.seed import seed_demo

from .support import DemoUser, client_login

PASSWORD = "crawl-password-1"
PEOPLE = (("admin", "Admin", "ru"), ("owner", "Process Owner", "ru"),
          ("manager", "Service Level Manager", "ru"), ("auditor", "Auditor", "ru"),
          ("alice.northwind", "Customer", "ru"), ("irina.volga", "Customer", "en"))
MAX_PAGES = 120
LIST_PARAMS = ("page", "sort", "status", "view", "organisation", "service", "process",
               "a", "b", "with", "period", "q")
#: the navigation's words in Russian
RUSSIAN_NAV = {"Мои услуги", "Задачи", "Каталог", "Требования", "SLA", "Выполнение",
               "Обзоры", "Отчеты", "Диаграммы", "Аудит", "Администратор"}


@pytest.fixture
def seeded(app):
    with app.extensions["slm"].sessions() as session:
        seed_demo(session, app.extensions["slm"].engine, datetime(2026, 3, 10, 14, 30),
                  password=PASSWORD)
        session.commit()
    return app


def _key(url: str) -> str:
    parsed = urlparse(url)
    names = sorted({part.split("=")[0] for part in parsed.query.split("&") if part})
    return parsed.path + "?" + ",".join(n for n in names if n in LIST_PARAMS)


@pytest.mark.parametrize("username, role, browser_language", PEOPLE)
def test_every_page_opens_in_russian(seeded, client, username, role, browser_language):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = browser_language
    client_login(client, DemoUser(0, username, username, frozenset({role}), None, PASSWORD))
    queue, seen, broken, english, visited = deque(["/"]), set(), [], [], 0
    while queue and visited < MAX_PAGES:
        url = queue.popleft()
        if _key(url) in seen or "/logout" in url or "/api/" in url:
            continue
        seen.add(_key(url))
        answer = client.get(url, follow_redirects=True)
        visited += 1
        if answer.status_code >= 500:
            broken.append((url, answer.status_code))
            continue
        if "text/html" not in answer.content_type or answer.status_code != 200:
            continue
        tree = lxml_html.fromstring(answer.get_data(as_text=True))
        nav = {a.text_content().strip() for a in tree.xpath("//*[@data-testid='nav']//a")}
        # (a stored report is a document of its own, in its customer's language)
        if nav and tree.get("lang") != "ru":
            english.append(url)
        if nav - RUSSIAN_NAV:
            english.append((url, sorted(nav - RUSSIAN_NAV)))
        for href in tree.xpath("//a/@href"):
            link = urldefrag(urljoin("http://localhost" + url, href))[0]
            parsed = urlparse(link)
            if parsed.netloc == "localhost":
                queue.append(parsed.path + (f"?{parsed.query}" if parsed.query else ""))
    assert visited > 5, f"{username}: the crawl reached only {visited} pages"
    assert broken == [], f"{username}: pages that fail in Russian: {broken}"
    assert english == [], f"{username}: pages not in Russian: {english[:5]}"
