"""Russian and English on the same SLA, in a real browser (issue 17).

Globex works in Russian. Its customer opens the product in a browser that prefers Russian
(the sign-in page is Russian before anyone signs in), chooses Russian and Moscow time as
her own settings, submits her service level requirements, chooses an option with its cost
in roubles' manner of writing money, and accepts the SLA draft: every page in Russian, the
task form in the Russian texts its author gave it. The service level manager, in an
English browser, approves the same SLA in English. The customer's report is written in her
organisation's language: its PDF carries Cyrillic text (extracted with pypdf).

Screenshots of each step: test-output/languages/.
"""
from __future__ import annotations

import io
import re
import shutil
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from engine.clock import utcnow
from handlers.agreements.models import ServiceLevelAgreement
from handlers.people.models import Organisation, User
from handlers.reports.operations import customer_report
from handlers.reviews.operations import open_review

from . import sla_world
from .support import OUTPUT, PASSWORD, DemoUser
from .support import login as english_login

SHOTS = OUTPUT / "languages"


@pytest.fixture
def shots():
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    count = [0]

    def shot(page, name: str) -> None:
        count[0] += 1
        page.screenshot(path=str(SHOTS / f"{count[0]:02d}-{name}.png"), full_page=True)
    return shot


@pytest.fixture
def russian_globex(app, demo) -> DemoUser:
    """Globex works in Russian (its admin set it); its customer has chosen nothing yet."""
    with app.extensions["slm"].sessions() as s:
        s.scalar(select(Organisation).where(Organisation.key == "globex")).language = "ru"
        s.commit()
    return demo.users["Customer 2"]


@pytest.fixture
def browse(request, browser, live_server):
    """browse(locale) -> a page in a browser context whose Accept-Language is ``locale``."""
    contexts = []

    def open_in(locale: str):
        context = browser.new_context(base_url=live_server.url, locale=locale,
                                      viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_in
    for context in contexts:
        if getattr(request.node, "slm_failed", False) and context.pages:
            SHOTS.mkdir(parents=True, exist_ok=True)
            context.pages[0].screenshot(path=str(SHOTS / f"FAILED-{len(contexts)}.png"))
        context.close()


def nav(page, label: str) -> None:
    page.get_by_test_id("nav").get_by_role("link", name=label, exact=True).click()


def test_russian_customer_and_english_manager_on_one_sla(app, demo, russian_globex, browse,
                                                         shots):
    options = sla_world.build_catalogue(app)
    olga, mia = russian_globex, demo.users["Service Level Manager"]

    # -- before signing in, the browser's preference: a Russian sign-in page ---------------
    customer = browse("ru-RU")
    customer.goto("/login")
    expect(customer.locator("html")).to_have_attribute("lang", "ru")
    customer.get_by_label("Имя пользователя").fill(olga.username)
    customer.get_by_label("Пароль").fill(PASSWORD)
    shots(customer, "russian-sign-in")
    customer.get_by_role("button", name="Войти").click()
    expect(customer.get_by_test_id("flashes")).to_contain_text("Добро пожаловать")

    # -- she makes Russian and Moscow time her own settings ----------------------------------
    customer.get_by_test_id("preferences-link").click()
    customer.get_by_label("Язык", exact=True).select_option("ru")
    customer.get_by_label("Часовой пояс").fill("Europe/Moscow")
    customer.get_by_role("button", name="Сохранить").click()
    expect(customer.get_by_test_id("flashes")).to_contain_text("Язык и часовой пояс сохранены")
    with app.extensions["slm"].sessions() as s:
        saved = s.get(User, olga.id)
        assert (saved.language, saved.time_zone) == ("ru", "Europe/Moscow")
    shots(customer, "russian-preferences")

    # -- her requirements, in Russian --------------------------------------------------------
    nav(customer, "Мои услуги")
    customer.get_by_role("link", name="Подать новые требования").click()
    expect(customer.get_by_role("heading", level=1)).to_have_text(
        "Подайте требования к уровню услуг")
    customer.get_by_label("Заголовок").fill("Email для диспетчерской")
    customer.get_by_label("Ваша потребность своими словами").fill(
        "Диспетчеры круглосуточно переписываются с водителями по email; без почты машины "
        "простаивают.")
    rows = [("Почта работает круглосуточно", "availability", ">=", "99.9", "month"),
            ("Инциденты устраняются за 4 часа", "incident_resolution", "<=", "4", "month")]
    for i, (text, metric, comparator, value, period) in enumerate(rows, start=1):
        customer.get_by_label(f"Пожелание {i} своими словами").fill(text)
        customer.get_by_label(f"Пожелание {i}: что измерять").select_option(metric)
        customer.get_by_label(f"Пожелание {i}: не менее или не более").select_option(comparator)
        customer.get_by_label(f"Пожелание {i}: значение").fill(value)
        customer.get_by_label(f"Пожелание {i}: период").select_option(period)
    shots(customer, "russian-requirements")
    customer.get_by_role("button", name="Подать требования").click()
    expect(customer.get_by_test_id("flashes")).to_contain_text("Ваши требования поданы")
    expect(customer.get_by_test_id("stage-label")).to_have_text("Выберите вариант уровня услуги")

    # -- the options, money written the Russian way, and her choice ----------------------------
    customer.get_by_role("link", name="Сравните варианты и выберите").click()
    gold = customer.locator(f'[data-key="{options["Gold"]}"]')
    expect(gold).to_contain_text("выполняет все ваши требования")
    expect(gold.get_by_test_id("cost")).to_contain_text(re.compile(r"1\s200,00\s€"))
    shots(customer, "russian-options")
    customer.get_by_label("Комментарий для менеджера по уровню услуг").fill(
        "Gold: диспетчерская работает без выходных.")
    customer.get_by_role("button", name="Выбрать Email Gold").click()
    expect(customer.get_by_test_id("flashes")).to_contain_text("ваш выбор зарегистрирован")
    expect(customer.get_by_test_id("stage-label")).to_have_text("Рассмотрите проект SLA")

    # -- her review of the draft: the form's own Russian texts ----------------------------------
    customer.get_by_test_id("stage").get_by_role("link", name=re.compile(
        "Review the SLA draft")).click()  # the task's name, as the diagram's author wrote it
    expect(customer.get_by_test_id("instructions")).to_contain_text(
        "Ознакомьтесь с проектом SLA")
    expect(customer.get_by_test_id("subject").get_by_test_id("term-cost")).to_contain_text(
        re.compile(r"1\s200,00\s€"))
    expect(customer.get_by_test_id("subject").get_by_test_id("term-cycle")).to_have_text(
        "ежемесячно")
    customer.get_by_role("radio", name="Принять").check()
    customer.get_by_label("Комментарий", exact=True).fill("Условия нас устраивают.")
    shots(customer, "russian-review-of-the-draft")
    customer.get_by_role("button", name="Завершить задачу").click()
    expect(customer.get_by_test_id("flashes")).to_contain_text("выполнена")

    # -- the manager approves the same SLA, in English ------------------------------------------
    manager = browse("en-GB")
    english_login(manager, mia)
    expect(manager.locator("html")).to_have_attribute("lang", "en")
    nav(manager, "Tasks")
    manager.get_by_test_id("tasks").get_by_role("link", name="Approve the agreement").click()
    manager.get_by_role("button", name="Claim").click()
    expect(manager.get_by_test_id("thread")).to_contain_text("Условия нас устраивают.")
    expect(manager.get_by_test_id("subject").get_by_test_id("term-cost")).to_have_text(
        "EUR 1,200.00")
    manager.get_by_role("radio", name="Approve").check()
    shots(manager, "english-manager-approves")
    manager.get_by_role("button", name="Complete task").click()
    expect(manager.get_by_test_id("flashes")).to_contain_text("is done")

    # -- the SLA is active: "действует" for her, "active" for him --------------------------------
    with app.extensions["slm"].sessions() as s:
        sla = s.scalar(select(ServiceLevelAgreement).where(
            ServiceLevelAgreement.organisation_id == demo.orgs["globex"]))
        assert sla.status == "active"
        review, _ = open_review(s, sla, utcnow() + timedelta(days=1))
        report_id = customer_report(s, review, utcnow()).id
        s.commit()
        reference = sla.reference
    nav(customer, "Мои услуги")
    customer.get_by_test_id("portal-tabs").get_by_role("link", name="SLA").click()
    customer.get_by_test_id("slas").get_by_role("link", name=reference).click()
    expect(customer.get_by_test_id("status").first).to_have_text("действует")
    shots(customer, "russian-sla-active")
    nav(manager, "SLAs")
    manager.get_by_test_id("slas").get_by_role("link", name=reference).click()
    expect(manager.get_by_test_id("status").first).to_have_text("active")

    # -- her report, in Russian: the PDF's text is Cyrillic --------------------------------------
    customer.goto(f"/portal/reports/{report_id}")
    expect(customer.get_by_role("heading", level=1)).to_contain_text("Отчет о качестве услуги")
    shots(customer, "russian-report")
    answer = customer.request.get(f"/portal/reports/{report_id}/pdf")
    assert answer.ok and answer.headers["content-type"].startswith("application/pdf")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.body())).pages)
    for words in ("Отчет о качестве услуги", "Сводка", "Целевые показатели",
                  "Замечания заказчика", "Globex Logistics"):
        assert words in text, f"{words!r} missing from the PDF's text"


def test_api_errors_follow_accept_language(client):
    english = client.get("/api/v1/me", headers={"Accept-Language": "en"})
    russian = client.get("/api/v1/me", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert english.status_code == russian.status_code == 401
    assert english.get_json()["error"] == "authentication required"
    assert russian.get_json()["error"] == "требуется аутентификация"


def test_a_bad_time_zone_or_language_is_refused_and_nothing_changes(app, client, demo):
    from .support import client_login, csrf_token

    user = demo.users["Customer"]
    client_login(client, user)
    page = client.get("/account/preferences")
    answer = client.post("/account/preferences", data={
        "csrf_token": csrf_token(page.data), "language": "xx", "time_zone": "Mars/Olympus"})
    assert answer.status_code == 400
    body = answer.get_data(as_text=True)
    assert "choose one of the offered languages" in body
    assert "Mars/Olympus is not a time zone" in body
    with app.extensions["slm"].sessions() as s:
        saved = s.get(User, user.id)
        assert (saved.language, saved.time_zone) == (None, None)
