"""`slm` speaks the operator's language (issue 17): SLM_LANGUAGE, else the POSIX locale
variables as gettext reads them, else English. Messages to people are translated; what
programs read (the audit anchor, exported CSV) stays as it is. Driven with click's CliRunner
on a SQLite file.
"""
from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from engine.i18n import current_language
from web.cli import main
from web.cli_support import cli_language

QUIET = {"SLM_LANGUAGE": None, "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None,
         "LANG": None}


@pytest.mark.parametrize(("environ", "language"), [
    ({}, "en"),
    ({"LANG": "ru_RU.UTF-8"}, "ru"),
    ({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8"}, "ru"),
    ({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "ru_RU.UTF-8", "LANG": "ru_RU"}, "en"),
    ({"LANGUAGE": "de:ru", "LANG": "en_US.UTF-8"}, "ru"),  # gettext's list of preferences
    ({"LC_ALL": "C", "LANG": "ru_RU.UTF-8"}, "en"),
    ({"LANG": "de_DE.UTF-8"}, "en"),  # a language the product has not
    ({"LANG": "ru_RU.UTF-8", "SLM_LANGUAGE": "en"}, "en"),  # the product's own setting first
    ({"LANG": "C.UTF-8", "SLM_LANGUAGE": "ru"}, "ru"),
])
def test_the_language_is_chosen_the_way_gettext_does(environ, language):
    assert cli_language(environ) == language


def test_a_bad_slm_language_is_a_clear_usage_error():
    with pytest.raises(click.UsageError, match="SLM_LANGUAGE='de': choose one of en, ru"):
        cli_language({"SLM_LANGUAGE": "de"})
    result = CliRunner().invoke(main, ["db", "upgrade"], env={**QUIET, "SLM_LANGUAGE": "de"})
    assert result.exit_code == 2 and "choose one of en, ru" in result.output


@pytest.fixture
def database(tmp_path):
    url = f"sqlite:///{tmp_path / 'slm.sqlite3'}"
    upgraded = CliRunner().invoke(main, ["db", "upgrade"], env={**QUIET, "SLM_DATABASE_URL": url})
    assert upgraded.exit_code == 0, upgraded.output
    return url


def slm(url: str, *args: str, **env: str):
    return CliRunner().invoke(main, list(args), env={**QUIET, "SLM_DATABASE_URL": url, **env},
                              catch_exceptions=False)


def test_messages_in_english_and_in_russian(database, tmp_path):
    assert "is at head" in slm(database, "db", "upgrade").output
    assert "в ревизии head" in slm(database, "db", "upgrade", LANG="ru_RU.UTF-8").output

    english = slm(database, "start", "sla_agreement", "--data", "[1]")
    russian = slm(database, "start", "sla_agreement", "--data", "[1]", SLM_LANGUAGE="ru")
    assert english.exit_code == russian.exit_code == 2
    assert "must be a JSON object" in english.output
    assert "должен быть объектом JSON" in russian.output

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"sla,metric,measured_at,value\n\xff\xfe\n")
    english = slm(database, "import-measurements", str(bad))
    russian = slm(database, "import-measurements", str(bad), LC_ALL="ru_RU.UTF-8")
    assert english.exit_code == russian.exit_code == 1
    assert "cannot be read: not UTF-8 text; nothing imported" in english.output
    assert "не удаётся прочитать: это не текст в UTF-8; ничего не импортировано" in russian.output

    english = slm(database, "users", "password", "nobody", "--password", "x" * 12)
    russian = slm(database, "users", "password", "nobody", "--password", "x" * 12,
                  LANG="ru_RU.UTF-8")
    assert "no user 'nobody'" in english.output
    assert "нет пользователя 'nobody'" in russian.output

    created = slm(database, "users", "create", "olga", "--name", "Ольга", "--role", "Admin",
                  "--password", "a-long-password-1", LANG="ru_RU.UTF-8")
    assert created.exit_code == 0 and "пользователь olga создан" in created.output
    token = slm(database, "api-token", "create", "olga", "ci", LANG="ru_RU.UTF-8")
    assert "он показывается только сейчас" in token.output
    # the CLI's language does not stay behind after the command
    assert current_language() == "en"


def test_machine_readable_output_is_the_same_in_both_languages(database):
    english = slm(database, "audit", "head")
    russian = slm(database, "audit", "head", LANG="ru_RU.UTF-8")
    assert re.fullmatch(r"\d+:[0-9a-f]*\n", english.output), english.output
    assert english.output == russian.output
    csv_en = slm(database, "export", "cost-data", "--format", "csv").output
    csv_ru = slm(database, "export", "cost-data", "--format", "csv", SLM_LANGUAGE="ru").output
    assert csv_en == csv_ru
