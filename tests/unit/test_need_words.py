"""The options that serve a need (issue 10) for a need written in English or in Russian
(issue 17): the telling words of each language, stemmed by its Snowball stemmer."""
from __future__ import annotations

import pytest

from handlers.requirements.matching import serves, words


def test_english_words_are_stemmed_and_stop_words_dropped():
    assert words("We need e-mail for all our incidents, restored quickly") == {
        "mail", "incid", "restor"}
    assert words("incident") == words("incidents")


def test_russian_words_are_stemmed_and_stop_words_dropped():
    assert words("Нам нужна круглосуточная поддержка электронной почты для сотрудников") == {
        "круглосуточн", "поддержк", "электрон", "почт"}
    assert words("почта") == words("почты") == words("почтой")
    assert words("Ещё всё") == set()  # stop words, "ё" or not


@pytest.mark.parametrize(("need", "service", "served"), [
    ("Нам нужна электронная почта", "Электронная почта: почтовые ящики и рассылки", True),
    ("Почтовые ящики для отдела продаж", "Электронная почта: почтовые ящики", True),
    ("Расчёт зарплаты каждый месяц", "Расчет заработной платы и кадровый учет", True),
    ("Нам нужна электронная почта", "Бухгалтерия и расчёт зарплаты", False),
    ("Restore incidents within hours", "Incident handling and restoration", True),
    ("Email for sales staff", "Payroll and accounting", False),
])
def test_a_need_in_either_language_finds_the_services_that_speak_of_it(need, service, served):
    assert serves(words(need), service) is served
