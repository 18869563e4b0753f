"""CSV headers in the reader's language (issue 17): a person's export names its columns in
their language; the imports read the keys or the headers in English or Russian, so an export
made in Russian imports again, and a column they do not know is refused by name. Both
backends."""
from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from sla_builders import make_sla, metric
from sqlalchemy import select

from engine.i18n import use_language
from handlers.catalogue.ci_import import KNOWN, import_cis_csv
from handlers.catalogue.models import ConfigurationItem
from handlers.catalogue.operations import create_service
from handlers.csv_rows import LABELS, column_keys, headers
from handlers.delivery.measurements import COLUMNS as MEASUREMENT_COLUMNS
from handlers.delivery.measurements import import_csv
from handlers.errors import DomainError
from handlers.outputs.exports import (
    CHANGE_COLUMNS,
    CI_COLUMNS,
    COST_COLUMNS,
    REPORT_COLUMNS,
    SPEC_COLUMNS,
    export,
)

NOW = datetime(2026, 2, 3, 8, 0)
CIS = """key,name,ci_type,status,location,services
CI-1,Mail server,Virtual server,,DC London,mail; erp
CI-2,ERP database,Database,maintenance,DC Leeds,erp
"""


@pytest.fixture
def catalogue(factory):
    with factory() as s:
        for key in ("mail", "erp"):
            create_service(s, key, key.title(), "olivia", status="live")
        import_cis_csv(s, CIS)
        s.commit()
    return factory


def _header(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("columns", [COST_COLUMNS, CI_COLUMNS, SPEC_COLUMNS, REPORT_COLUMNS,
                                     CHANGE_COLUMNS, MEASUREMENT_COLUMNS])
@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_column_has_a_header_of_its_own_in_each_language(columns, language):
    assert set(columns) <= set(LABELS)
    with use_language(language):
        shown = headers(columns)
    assert len({h.casefold() for h in shown}) == len(columns), shown
    assert column_keys(shown, columns) == list(columns)


@pytest.mark.parametrize(("language", "first"), [("en", "Key"), ("ru", "Ключ")])
def test_a_ci_export_for_a_person_imports_again_in_both_languages(catalogue, language, first):
    with catalogue() as s, use_language(language):
        text = export(s, "cis", NOW).render("csv", labels=True)
        header = _header(text)
        assert header[0] == first and len(header) == len(CI_COLUMNS)
        result = import_cis_csv(s, text)
    assert result == {"created": 0, "updated": 0, "unchanged": 2, "rejected": [], "total": 2}
    # the keys stay what programs read
    with catalogue() as s:
        assert _header(export(s, "cis", NOW).render("csv")) == list(CI_COLUMNS)


def test_an_edited_russian_export_updates_the_cis(catalogue):
    with catalogue() as s, use_language("ru"):
        text = export(s, "cis", NOW).render("csv", labels=True)
    assert "Тип КЕ" in _header(text) and "Расположение" in _header(text)
    edited = text.replace("DC Leeds", "DC York")
    with catalogue() as s:  # the importer's own language does not matter
        result = import_cis_csv(s, edited)
        s.commit()
        assert result["updated"] == 1
        assert s.scalar(select(ConfigurationItem.location).where(
            ConfigurationItem.key == "CI-2")) == "DC York"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_unknown_column_is_refused_by_name(catalogue, language):
    text = "key,name,ci_type,colour\nCI-3,Printer,Printer,blue\n"
    with catalogue() as s, use_language(language), pytest.raises(DomainError) as refused:
        import_cis_csv(s, text)
    said = str(refused.value)
    assert "'colour'" in said
    if language == "ru":
        assert said.startswith("неизвестные столбцы: 'colour'; столбцы: key, name")
        assert "Тип КЕ" in said
    else:
        assert said.startswith("unknown column(s) 'colour': the columns are key, name")
        assert "CI type" in said
    assert set(KNOWN) == set(CI_COLUMNS)


@pytest.fixture
def sla(factory):
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99.5)])
        metric(s, "response_time")
        s.commit()
        return sla


@pytest.mark.parametrize("header", [
    "sla,metric,measured_at,value",
    "SLA,Metric,Measured at,Value",
    "SLA,Метрика,Время измерения,Значение",
    " sla , МЕТРИКА ,measured_at,Значение",  # any case, spaces around
])
def test_measurements_import_with_keys_or_headers(factory, sla, header):
    text = f"{header}\n{sla.reference},availability,2026-01-05T10:00:00,99.9\n"
    with factory() as s:
        summary = import_csv(s, text, "csv:x.csv", NOW)
    assert (summary["imported"], summary["rejected"]) == (1, [])


def test_measurements_import_refuses_an_unknown_column(factory, sla):
    text = f"sla,metric,when,value\n{sla.reference},availability,2026-01-05T10:00:00,99.9\n"
    with factory() as s, pytest.raises(DomainError, match="unknown column\\(s\\) 'when'"):
        import_csv(s, text, "csv:x.csv", NOW)
