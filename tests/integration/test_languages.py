"""Each reader's language in the domain: notifications and mails to many people, each in
their own language (their own choice, else their organisation's); the words a mail adds;
numbers, money and dates per language; a person's settings refused when they are not valid.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select

from engine.i18n import current_language, lazy_gettext, normalise, use_language
from handlers.notifications.mailer import build_message
from handlers.notifications.models import MailMessage, Notification
from handlers.notifications.operations import notify
from handlers.people import operations as people
from handlers.people.preferences import set_preferences
from handlers.reports.text import fmt, kind_label, observation_counts

NOW = datetime(2026, 3, 2, 9, 0)
AUDIT = {"actor": "test", "now": NOW}


def _people(s):
    people.create_organisation(s, "volga", "ООО «Волга»", **AUDIT).language = "ru"
    people.create_organisation(s, "acme", "Acme", **AUDIT)
    made = {}
    for username, org, language in (("irina", "volga", None), ("anna", "acme", "ru"),
                                    ("carl", "acme", None)):
        user = people.create_user(s, username, username.title(), None, ["Customer"], org,
                                  email=f"{username}@example.org", password_hash="x", **AUDIT)
        user.language = language
        made[username] = user
    s.flush()
    return made


def test_one_notification_reaches_each_person_in_their_language(factory):
    with factory() as s:
        who = _people(s)
        notify(s, who.values(), "sla_active", lazy_gettext("Your SLA is active"), now=NOW,
               link="/portal/slas/1", body=lazy_gettext(
                   "The agreement is in force until %(valid_until)s.", valid_until="2027-03-01"))
        s.commit()
        titles = dict(s.execute(select(Notification.user_id, Notification.title)).all())
        bodies = dict(s.execute(select(MailMessage.user_id, MailMessage.body)).all())
    # irina: her organisation's language; anna: her own; carl: English
    assert titles[who["irina"].id] == titles[who["anna"].id] == "Ваше SLA вступило в действие"
    assert titles[who["carl"].id] == "Your SLA is active"
    assert bodies[who["irina"].id] == "Соглашение действует до 2027-03-01."
    assert bodies[who["carl"].id] == "The agreement is in force until 2027-03-01."


def _plain(mail) -> str:
    message = build_message(mail, sender="SLM <slm@example.org>", base_url="http://slm",
                            key="k" * 32)
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode()


def test_a_mail_adds_its_words_in_its_readers_language():
    mail = SimpleNamespace(id=7, user_id=1, kind="sla_active", to_addr="i@example.org",
                           subject="Тема", body="Текст", link="/portal/slas/1",
                           may_unsubscribe=True, language="ru")
    russian = _plain(mail)
    assert "Открыть: http://slm/portal/slas/1" in russian
    assert "Отключить эти письма (SLA вступило в действие)" in russian
    assert "Open it" not in russian
    mail.language = "en"
    english = _plain(mail)
    assert "Open it: http://slm/portal/slas/1" in english
    assert "Stop these mails (An SLA is active)" in english


def test_figures_money_and_plurals_follow_the_language():
    assert current_language() == "en" and normalise("ru_RU") == "ru" and normalise("de") == "en"
    assert fmt(99.95, "%") == "99.95%" and kind_label("complaint", 2) == "2 complaints"
    with use_language("ru"):
        assert fmt(99.95, "%") == "99,95%"
        assert [kind_label("complaint", n) for n in (1, 3, 5, 21)] == [
            "1 жалоба", "3 жалобы", "5 жалоб", "21 жалоба"]
        assert observation_counts({"observation_count": 2,
                                   "observations_by_kind": {"outage": 2}}) == (
            "2 замечания заказчика: 2 замеченных сбоя.")
        with use_language("en"):  # nested: the inner reader wins, then the outer again
            assert fmt(None) == "no data"
        assert fmt(None) == "нет данных"
    assert fmt(None) == "no data"


def test_web_formats_money_numbers_and_dates_per_language():
    from web.formatting import fixed, money, number
    from web.i18n import day, when

    assert money(Decimal("2400")) == "EUR 2,400.00" and number(1234.5) == "1,234.5"
    assert day(date(2026, 1, 5)) == "2026-01-05"
    assert when(datetime(2026, 1, 5, 10, 0)) == "2026-01-05 10:00 UTC"
    with use_language("ru"):
        assert money(Decimal("2400")) == "2\xa0400,00\xa0€"
        assert number(1234.5) == "1\xa0234,5" and fixed(99.456, 2) == "99,46"
        assert day(date(2026, 1, 5)) == "05.01.2026"
        assert when(datetime(2026, 1, 5, 10, 0)) == "05.01.2026, 10:00 UTC"


def test_settings_that_are_not_valid_are_refused_and_nothing_changes(factory):
    with factory() as s:
        user = _people(s)["carl"]
        errors = set_preferences(s, user, "fr", "Europe/Atlantis", now=NOW)
        assert set(errors) == {"language", "time_zone"}
        assert (user.language, user.time_zone) == (None, None)
        assert set_preferences(s, user, "ru", "Europe/Moscow", now=NOW) == {}
        assert (user.language, user.time_zone) == ("ru", "Europe/Moscow")
        assert set_preferences(s, user, "", "", now=NOW) == {}  # back to the browser's
        assert (user.language, user.time_zone) == (None, None)
        s.rollback()
