"""RFC 8058 one-click unsubscribe: the mail as the SMTP server received it carries
``List-Unsubscribe: <https://...>`` and ``List-Unsubscribe-Post``; a POST to that URL
without a session or CSRF token stops that person's mails of that kind; a GET only asks;
a damaged, forged, expired or oversized token is refused with a clear 4xx."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from smtp_sink import SmtpSink
from sqlalchemy import select

from engine.clock import utcnow
from handlers.notifications import operations as notes
from handlers.notifications.delivery import deliver_due
from handlers.notifications.mailer import UNSUBSCRIBE_DAYS, signing_key, unsubscribe_token
from handlers.people.models import User

from . import task_records
from .notify_world import address, give_addresses
from .support import client_login

BASE = "https://slm.example.test"


def _mail_for_acme(app, demo) -> str:
    """A task for Acme, delivered over SMTP; the List-Unsubscribe URL of acme's mail."""
    give_addresses(app, demo)
    iid = task_records.requirement(app, "acme", "acme", "Mail with a way out")
    task_records.ready_task(app, iid)
    services = app.extensions["slm"]
    with SmtpSink() as sink:
        settings = replace(services.mail_settings(), smtp_url=sink.url, base_url=BASE)
        sent = deliver_due(services.sessions, settings, utcnow(), services.runner).sent
        sink.wait_for(sent)
    [msg] = sink.to(address("acme"))
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = str(msg["List-Unsubscribe"]).strip()  # (folded onto its own line)
    assert header.startswith(f"<{BASE}/notifications/unsubscribe/") and header.endswith(">")
    url = header[1:-1]
    assert url in msg.get_body(("plain",)).get_content()  # and a link people can click
    return url.removeprefix(BASE)


def _channel(app, username: str, kind: str = "task_ready") -> str:
    with app.extensions["slm"].sessions() as s:
        uid = s.scalar(select(User.id).where(User.username == username))
        return notes.preferences(s, uid)[kind]


def test_one_click_post_without_a_session_unsubscribes_and_a_get_only_asks(app, demo,
                                                                          client):
    path = _mail_for_acme(app, demo)
    page = client.get(path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Stop e-mails for “A task is ready in your role" in text and "<button" in text
    assert _channel(app, "acme") == "email"  # a GET changes nothing
    # what a mail provider sends (RFC 8058 3.2): no cookie, no CSRF token
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and b"no more e-mails" in done.data
    assert _channel(app, "acme") == "in_app"
    assert _channel(app, "acme2") == "email"  # only the person the link was made for
    assert _channel(app, "acme", "task_assigned") == "email"  # and only that kind
    assert client.post(path).status_code == 200  # again: still done, nothing breaks


def test_the_exemption_is_that_endpoint_only(app, demo, client):
    client_login(client, demo.users["Service Level Manager"])
    refused = client.post("/notifications/read-all")  # no CSRF token
    assert refused.status_code == 400


def test_bad_forged_expired_and_oversized_tokens_are_refused_clearly(app, demo, client):
    path = _mail_for_acme(app, demo)
    token = path.rsplit("/", 1)[1]
    with app.extensions["slm"].sessions() as s:
        key = signing_key(s)
        acme = s.scalar(select(User.id).where(User.username == "acme"))
    today = utcnow().date()
    old = unsubscribe_token(key, acme, "task_ready", today - timedelta(days=UNSUBSCRIBE_DAYS + 1))
    forged = unsubscribe_token("not-the-key", acme, "task_ready", today)
    cases = {
        token[:-4] + "abcd": (400, "not valid"),  # damaged
        forged: (400, "not valid"),  # signed with another key
        "x": (400, "not valid"),
        "%C3%A9t%C3%A9.x": (400, "not valid"),  # not even the token alphabet
        old: (410, "has expired"),
        "a" * 300: (400, "too long"),
    }
    for bad, (status, words) in cases.items():
        for method in (client.get, client.post):
            got = method(f"/notifications/unsubscribe/{bad}")
            assert got.status_code == status, (bad, method)
            assert words in got.get_data(as_text=True), bad
    assert _channel(app, "acme") == "email"  # none of them changed anything
    # a token of the right key but for another kind still only does what it says
    other = unsubscribe_token(key, acme, "review_due", today)
    assert client.post(f"/notifications/unsubscribe/{other}").status_code == 200
    assert (_channel(app, "acme"), _channel(app, "acme", "review_due")) == ("email",
                                                                            "in_app")


def test_in_the_browser_the_link_asks_and_the_button_stops_the_mails(app, page, demo,
                                                                     screenshot):
    path = _mail_for_acme(app, demo)
    page.goto(path)
    assert "A task is ready in your role" in page.locator("main").inner_text()
    screenshot(page, "unsubscribe-confirm")
    assert _channel(app, "acme") == "email"
    page.get_by_role("button", name="Stop these e-mails").click()
    assert "no more e-mails" in page.get_by_test_id("unsubscribed").inner_text()
    screenshot(page, "unsubscribe-done")
    assert _channel(app, "acme") == "in_app"
    page.goto(path[:-4] + "abcd")
    assert "not valid" in page.get_by_test_id("unsubscribe-refused").inner_text()
    screenshot(page, "unsubscribe-refused")
