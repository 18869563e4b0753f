"""The SLR form: up to WISH_ROWS wishes, read from the request and shown back as given.

A wish row left completely empty is skipped; any other row is either complete (metric,
value, period) or ticked "clarify it with me" (``clarify``), and is shown back exactly as
typed when the form is refused. ``submit_slr`` numbers its errors by the wishes it got;
``field_errors`` puts them back on the form rows they came from.
"""
from __future__ import annotations

from engine.i18n import N_
from handlers.requirements.models import ServiceLevelRequirement

#: as many rows as an SLR may have wishes (the same bound for the API)
WISH_ROWS = ServiceLevelRequirement.LIMITS["wishes"]
WISH_FIELDS = ("text", "metric", "comparator", "value", "period", "clarify")
COMPARATORS = (("", "—"), (">=", N_("≥ at least")), ("<=", N_("≤ at most")))
PERIODS = (("", "—"), ("month", N_("per month")), ("quarter", N_("per quarter")))


def empty_values() -> dict:
    return {"title": "", "need": "", "service": "",
            "rows": [dict.fromkeys(WISH_FIELDS, "") for _ in range(WISH_ROWS)]}


def read(form) -> tuple[dict, list[dict], list[int]]:
    """(values to show back, wishes for submit_slr, form row of each wish)."""
    values = {"title": form.get("title", ""), "need": form.get("need", ""),
              "service": form.get("service", "")[:60], "rows": []}
    wishes, rows = [], []
    for i in range(WISH_ROWS):
        row = {f: form.get(f"wishes-{i}-{f}", "").strip() for f in WISH_FIELDS}
        row["clarify"] = "on" if row["clarify"] else ""
        values["rows"].append(row)
        if any(v for f, v in row.items() if f != "clarify"):
            wishes.append({f: row[f] or None for f in WISH_FIELDS})
            rows.append(i)
    return values, wishes, rows


def field_errors(errors: dict, rows: list[int]) -> dict:
    """``submit_slr``'s errors keyed by the form's field names."""
    out = {}
    for key, messages in errors.items():
        parts = key.split(".")
        if parts[0] == "wishes" and len(parts) == 3 and parts[1].isdigit():
            key = f"wishes-{rows[int(parts[1])]}-{parts[2]}"
        out[key] = messages
    return out
