"""Reading an uploaded CSV into numbered rows, for every import.

Python's csv module stops a whole file at the first field over its limit (131,072
characters) with an error; here a field over :data:`MAX_FIELD` rejects only its row, with
the reason, and the other rows are imported as usual.

The columns in words: each column key (``ci_type``) has a header a person reads (*CI type*,
*Тип КЕ*). An export for a person writes the headers in their language (:func:`headers`);
programs (the command line, the API) keep the keys. An import takes either: the keys, or the
headers in any language of the product (:func:`column_keys`), so an export made in Russian
imports again; a column it does not know is an error that names it.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from engine.i18n import LANGUAGES, N_, _, gettext, translations
from handlers.errors import DomainError

#: the longest field an import reads (the longest column of any record is far shorter)
MAX_FIELD = 10_000


def read_rows(text: str, max_field: int = MAX_FIELD, known: Sequence[str] | None = None
              ) -> tuple[list[str] | None, list[tuple[int, dict]], list[dict]]:
    """(header, rows, rejected) of CSV ``text``: rows as ``(line, {column: value})`` with
    columns stripped and lower-cased (extra fields without a column are dropped), rejected
    as ``{"row": line, "reason": ...}`` for a row with a field over ``max_field``
    characters. ``line`` is the row's last line in the file (the header is line 1).
    With ``known`` (the import's column keys), the header may name a column by its key or
    by its header in any language (an export made for a person imports again), and a column
    that is none of them raises DomainError naming it.
    Raises csv.Error for a file that is not CSV at all (e.g. a NUL byte)."""
    # the reader's own limit may not cut a row short: it reports, we judge (a field cannot be
    # longer than the text, so this bound is never a surprise)
    if csv.field_size_limit() < len(text) + 1:
        csv.field_size_limit(len(text) + 1)
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        columns = None
    elif known is not None:
        columns = column_keys(header, known)
    else:
        columns = [(h or "").strip().lower() for h in header]
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


#: column key -> its header (English; translated where it is shown)
LABELS = {
    # cost data
    "record": N_("Record"), "service_key": N_("Service key"), "service": N_("Service"),
    "service_status": N_("Service status"), "level": N_("Level"),
    "monthly_cost": N_("Monthly cost"), "service_hours": N_("Service hours"),
    "timezone": N_("Time zone"), "targets": N_("Targets"),
    "ready_for_targets": N_("Ready for the targets"),
    "missing_processes": N_("Missing processes"), "organisation": N_("Organisation"),
    "sla_reference": N_("SLA reference"), "sla_version": N_("SLA version"),
    "valid_from": N_("Valid from"), "valid_until": N_("Valid until"),
    "list_monthly_cost": N_("List monthly cost"),
    # configuration items
    "key": N_("Key"), "name": N_("Name"), "ci_type": N_("CI type"), "status": N_("Status"),
    "location": N_("Location"), "services": N_("Service keys"),
    "service_names": N_("Service names"),
    # design specifications, customer reports, change requests
    "id": N_("Number"), "title": N_("Title"), "slr_id": N_("Requirements number"),
    "requirement": N_("Requirement"), "estimated_monthly_cost": N_("Estimated monthly cost"),
    "cost_basis": N_("Cost basis"), "requirements": N_("Requirements"),
    "flagged": N_("Flagged"), "nearest_options": N_("Nearest options"),
    "supporting_processes": N_("Supporting processes"),
    "change_requests": N_("Change requests"), "created_at": N_("Created at"),
    "review_id": N_("Review number"), "period_start": N_("Period start"),
    "period_end": N_("Period end"), "review_status": N_("Review status"),
    "breaches": N_("Breaches"), "observations": N_("Observations"),
    "pdf_bytes": N_("PDF size (bytes)"), "pdf_file": N_("PDF file"),
    "reference": N_("Reference"), "origin": N_("Origin"), "proposal_id": N_("Proposal number"),
    "proposal_title": N_("Proposal title"), "proposal_reason": N_("Proposal reason"),
    "design_spec_id": N_("Design specification number"),
    "design_spec_title": N_("Design specification title"), "created_by": N_("Created by"),
    "description": N_("Description"),
    # measurements
    "sla": N_("SLA"), "metric": N_("Metric"), "measured_at": N_("Measured at"),
    "value": N_("Value"),
}


def headers(columns: Iterable[str]) -> list[str]:
    """The header of each column in the current language (a column without one: its key)."""
    return [gettext(LABELS[c]) if c in LABELS else c for c in columns]


def _names(key: str) -> set[str]:
    """The key and its header in every language, as an import compares them."""
    names = {key}
    if key in LABELS:
        names |= {translations(language).ugettext(LABELS[key]) for language in LANGUAGES}
    return {n.strip().casefold() for n in names}


def column_keys(header: Sequence[str], known: Sequence[str]) -> list[str]:
    """The key of each column of an import's ``header`` (keys or headers in any language,
    any case); DomainError naming each column that is none of ``known``."""
    lookup = {name: key for key in known for name in _names(key)}
    keys, unknown = [], []
    for cell in header:
        name = (cell or "").strip().casefold()
        if name in lookup:
            keys.append(lookup[name])
        elif name:
            unknown.append((cell or "").strip())
        else:
            keys.append("")  # a column without a header: its values are dropped
    if unknown:
        raise DomainError(gettext(
            "unknown column(s) %(columns)s: the columns are %(keys)s (or their headers: "
            "%(headers)s)", columns=", ".join(f"'{c}'" for c in unknown),
            keys=", ".join(known), headers=", ".join(headers(known))))
    return keys
