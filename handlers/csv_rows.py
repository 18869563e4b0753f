"""Reading an uploaded CSV into numbered rows, for every import.

Python's csv module stops a whole file at the first field over its limit (131,072
characters) with an error; here a field over :data:`MAX_FIELD` rejects only its row, with
the reason, and the other rows are imported as usual.
"""
from __future__ import annotations

import csv
import io

from engine.i18n import _

#: the longest field an import reads (the longest column of any record is far shorter)
MAX_FIELD = 10_000


def read_rows(text: str, max_field: int = MAX_FIELD
              ) -> tuple[list[str] | None, list[tuple[int, dict]], list[dict]]:
    """(header, rows, rejected) of CSV ``text``: rows as ``(line, {column: value})`` with
    columns stripped and lower-cased (extra fields without a column are dropped), rejected
    as ``{"row": line, "reason": ...}`` for a row with a field over ``max_field``
    characters. ``line`` is the row's last line in the file (the header is line 1).
    Raises csv.Error for a file that is not CSV at all (e.g. a NUL byte)."""
    # the reader's own limit may not cut a row short: it reports, we judge (a field cannot be
    # longer than the text, so this bound is never a surprise)
    if csv.field_size_limit() < len(text) + 1:
        csv.field_size_limit(len(text) + 1)
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    columns = [(h or "").strip().lower() for h in header] if header is not None else None
    rows, rejected = [], []
    for record in reader:
        line = reader.line_num
        long = [(i, len(v)) for i, v in enumerate(record) if len(v) > max_field]
        if long:
            index, size = long[0]
            name = columns[index] if columns and index < len(columns) else f"#{index + 1}"
            rejected.append({"row": line, "reason": _("column '%(name)s' has %(size)s "
                                                      "characters, over the limit of "
                                                      "%(max_field)s",
                                                      name=name,
                                                      size=size,
                                                      max_field=max_field)})
            continue
        if not record:
            continue  # an empty line, as DictReader skips it
        values = dict(zip(columns or [], record, strict=False))
        for column in (columns or [])[len(record):]:
            values.setdefault(column, None)  # a short line: the column is absent
        rows.append((line, values))
    return columns, rows, rejected
