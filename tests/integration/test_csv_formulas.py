"""Issue 12: no export carries a spreadsheet formula. Every text value the database holds (each
text column of each table, and each string inside the JSON ones) is made to start with "=",
then every CSV export is written: every text cell is guarded (a leading apostrophe) and the
formulas did reach the exports, so the guard, not a missing field, is what kept them out.
All in one transaction on the shared demo database, rolled back at the end."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from demo_db import NOW, demo_fixture
from sqlalchemy import String, Text, select, update
from sqlalchemy.exc import DBAPIError

import handlers.tables  # noqa: F401  (every area's tables on Base)
from engine.audit import chain_head
from engine.db import Base
from handlers.outputs.csv_cells import FORMULA_START
from handlers.outputs.exports import KINDS, export
from web.audit.queries import log_events, trace_csv

NOT_TEXT = re.compile(r"^-?\d+(\.\d+)?$|^\d{4}-\d{2}-\d{2}")  # numbers, dates: kept


@pytest.fixture(scope="module", params=["sqlite", "pg"])
def demo(request):
    yield from demo_fixture(request)


def _poison(value):
    if isinstance(value, str):
        return value if NOT_TEXT.match(value) or value.startswith("=") else "=" + value
    if isinstance(value, list):
        return [_poison(v) for v in value]
    if isinstance(value, dict):
        return {k: _poison(v) for k, v in value.items()}
    return value


def _poison_database(session) -> int:
    """Every text value starting with "=" (JSON columns: every string inside); returns how
    many columns were changed. A column a constraint protects (statuses) stays as it is."""
    changed = 0
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        for column in table.columns:
            if not isinstance(column.type, String | Text) or column.primary_key or \
                    column.foreign_keys or len(pk) != 1:
                continue
            rows = session.execute(select(pk[0], column).where(column.isnot(None))).all()
            updates = []
            for ident, value in rows:
                try:
                    parsed = json.loads(value) if value[:1] in "[{" else None
                except ValueError:
                    parsed = None
                new = json.dumps(_poison(parsed)) if parsed is not None else _poison(value)
                if new != value:
                    updates.append((ident, new))
            if not updates:
                continue
            savepoint = session.begin_nested()
            try:
                for ident, new in updates:
                    session.execute(update(table).where(pk[0] == ident).values(
                        {column.name: new}))
                savepoint.commit()
                changed += 1
            except DBAPIError:  # a CHECK (statuses) or a length the "=" overflows
                savepoint.rollback()
    return changed


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_every_text_cell_of_every_export_is_guarded(demo):
    with demo.sessions() as s:
        assert _poison_database(s) > 30
        outputs = {kind: export(s, kind, NOW).render("csv") for kind in KINDS}
        head = chain_head(s)
        outputs["audit-log"] = trace_csv(log_events(s, None, None, head[0]), head)
        s.rollback()
    for kind, text in outputs.items():
        cells = _cells(text)
        unsafe = [c for c in cells if c.startswith(FORMULA_START)
                  and not re.fullmatch(r"-\d+(\.\d+)?", c)]
        assert not unsafe, f"{kind}: {unsafe[:5]}"
        guarded = [c for c in cells if c.startswith("'=")]
        assert guarded, f"{kind}: no formula reached the export"
