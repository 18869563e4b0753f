"""The modeler in the process owner's language (issue 17), in Debian's Chromium: bpmn-js's
palette, context pad and replace menu, the properties panel's Engine group and the
modeler's own status line are Russian for a process owner who reads Russian, and English
for one who reads English. Screenshots: test-output/screens/.
"""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from engine.models import ProcessVersion
from handlers.people.models import User

from .studio_support import open_modeler
from .studio_support import owner as owner  # the fixture


def reads(app, username: str, language: str) -> None:
    with app.extensions["slm"].sessions() as s:
        s.scalar(select(User).where(User.username == username)).language = language
        s.commit()


def pick(page, element_id: str) -> None:
    page.evaluate("""id => window.slmModeler.get('selection').select(
        window.slmModeler.get('elementRegistry').get(id))""", element_id)


def test_a_russian_process_owner_reads_the_modeler_in_russian(app, owner, page, login, demo,
                                                               screenshot):
    _, vid = owner
    reads(app, demo.users["Process Owner"].username, "ru")
    open_modeler(page, login, demo, vid)
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    # bpmn-js's palette
    palette = page.locator(".djs-palette")
    expect(palette.get_by_role("button", name="Создать стартовое событие")).to_be_visible()
    expect(palette.get_by_role("button", name="Инструмент «Рука»")).to_be_visible()
    expect(page.locator(".djs-minimap .toggle")).to_have_attribute("title", "Закрыть мини-карту")
    # the context pad of the user task, and its replace menu
    page.locator(".djs-element[data-element-id='review_draft']").click()
    pad = page.locator(".djs-context-pad")
    expect(pad.locator("[data-action='append.append-task']")).to_have_attribute(
        "title", "Добавить задачу")
    expect(pad.locator("[data-action='replace']")).to_have_attribute("title", "Заменить элемент")
    pad.locator("[data-action='replace']").click()
    menu = page.locator(".djs-popup")
    expect(menu.get_by_text("Сервисная задача", exact=True)).to_be_visible()
    expect(menu.get_by_text("Задача-скрипт", exact=True)).to_be_visible()
    screenshot(page, "modeler-russian-replace-menu")
    page.keyboard.press("Escape")
    # our Engine group in the properties panel: labels and the due time in Russian words
    panel = page.get_by_test_id("panel")
    expect(panel.get_by_text("Движок", exact=True)).to_be_visible()
    expect(panel.get_by_label("Срок", exact=True)).to_have_value("P5D")
    expect(panel.get_by_text("Словами: 5 дней (P5D)")).to_be_visible()
    expect(panel.get_by_role("button", name="Изменить форму")).to_be_visible()
    expect(panel.get_by_text("Дорожка (роль):")).to_be_visible()
    # bpmn-js-properties-panel's own groups and header
    expect(panel.get_by_text("Общее", exact=True)).to_be_visible()
    assert panel.locator(".bio-properties-panel-header-type").text_content() == \
        "Пользовательская задача"
    # a new form starts in Russian, and the server's preview takes it as it is
    from .test_diagrams_web import ADD_TASK
    page.evaluate(ADD_TASK, ["bpmn:UserTask", True, "Проверить черновик"])
    panel.get_by_role("button", name="Новая форма").click()
    dialog = page.get_by_test_id("form-editor")
    expect(dialog.get_by_test_id("form-preview")).to_contain_text("Комментарий")
    expect(dialog.get_by_test_id("form-preview")).to_contain_text("одобрить")
    expect(dialog).to_have_attribute("data-valid", "yes")
    dialog.get_by_role("button", name="Отмена").click()
    # the status line: a change note is asked for in Russian
    page.locator("#deploy").click()
    expect(page.get_by_test_id("status")).to_have_text(
        "Сначала напишите примечание к изменению: почему диаграмма изменена?")
    page.locator("#validate").click()
    # the new task has no form: one problem, in Russian's singular
    expect(page.get_by_test_id("status")).to_have_text("1 проблема: см. диаграмму и список.")
    screenshot(page, "modeler-russian")


def test_an_english_process_owner_reads_it_in_english(app, owner, page, login, demo):
    _, vid = owner
    reads(app, demo.users["Process Owner"].username, "en")
    open_modeler(page, login, demo, vid)
    expect(page.locator(".djs-palette").get_by_role("button", name="Create start event")
           ).to_be_visible()
    pick(page, "review_draft")
    panel = page.get_by_test_id("panel")
    expect(panel.get_by_text("Engine", exact=True)).to_be_visible()
    expect(panel.get_by_text("In words: 5 days (P5D)")).to_be_visible()
    page.locator("#deploy").click()
    expect(page.get_by_test_id("status")).to_have_text(
        "Write a change note first: why was the diagram changed?")


def test_the_decision_table_editor_in_russian(app, demo, client, page, login, screenshot):
    from .support import client_login
    from .test_decisions_web import SET, upload

    client.environ_base["HTTP_X_CSRFTOKEN"] = client_login(client, demo.users["Process Owner"])
    assert upload(client, SET).status_code == 302
    with app.extensions["slm"].sessions() as s:
        vid = s.scalar(select(ProcessVersion.id))
    reads(app, demo.users["Process Owner"].username, "ru")
    login(page, demo.users["Process Owner"])
    page.goto(f"/diagrams/{vid}/decisions/risk_route.dmn")
    editor = page.locator("#dmn-editor[data-ready=yes]")
    editor.wait_for()
    expect(editor.get_by_text("Показать DRD")).to_be_visible()
    expect(editor.get_by_text("Политика срабатывания:")).to_be_visible()
    expect(editor.locator("[title='Добавить правило']")).to_have_count(1)
    expect(editor.locator("[title='Input label: Cost of the change']")).to_have_count(0)
    expect(editor.locator("[title='Подпись входа: Cost of the change']")).to_have_count(1)
    expect(editor.get_by_text("Cost of the change")).to_be_visible()  # the author's own words
    # the hit policy's name and explanation: dmn-js translates them by a variable
    expect(editor.locator(".hit-policy-edit-policy-select")).to_contain_text(
        "Уникальность (Unique)")
    expect(editor.locator(".hit-policy")).to_have_attribute(
        "title", "Правила не пересекаются: может сработать только одно правило")
    screenshot(page, "decisions-russian")
