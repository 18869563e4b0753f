"""Every CSV the app writes goes through :func:`write_csv`: one place where every cell is
made safe for spreadsheets.

A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR is run as a formula by
Excel, LibreOffice and Google Sheets (CSV injection); such a cell gets a leading apostrophe,
which spreadsheets show as text and do not display. Numbers stay as they are (a number is
never a formula). Lists become their items joined by "; ", objects their ``text`` (else
JSON) before the guard, so no nested value escapes it.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable

#: first characters that make a spreadsheet evaluate a cell
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(text: str) -> str:
    """``text`` with a leading apostrophe when a spreadsheet would run it as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def cell_text(value) -> str:
    """One value as CSV text (before the guard)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "; ".join(cell_text(v) for v in value)
    if isinstance(value, dict):
        return str(value["text"]) if "text" in value else json.dumps(value, sort_keys=True)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def csv_cell(value) -> str:
    """One safe CSV cell for ``value``."""
    text = cell_text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return text
    return formula_safe(text)


def write_csv(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    """CSV text (LF line ends) of ``header`` and ``rows``, every cell through csv_cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()
