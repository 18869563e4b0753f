"""The attainment chart: a value axis with round ticks, and labels that never overlap."""
from __future__ import annotations

import re

import pytest

from handlers.reports.charts import nice_axis, target_chart


@pytest.mark.parametrize("low, high, expected", [
    (69.34, 75.061, (68.0, 76.0, 2.0)),
    (0.0, 31.662, (0.0, 40.0, 10.0)),
    (98.9, 100.04, (98.5, 100.5, 0.5)),
    (8.287, 10.889, (8.0, 11.0, 1.0)),
])
def test_the_value_axis_has_round_bounds_and_steps(low, high, expected):
    got = nice_axis(low, high)
    assert got == pytest.approx(expected)
    axis_low, axis_high, step = got
    assert axis_low <= low and axis_high >= high
    assert ((axis_high - axis_low) / step) == pytest.approx(round((axis_high - axis_low) / step))


def _texts(svg: str) -> list[tuple[float, float, str]]:
    return [(float(x), float(y), text) for x, y, text in re.findall(
        r'<text x="([\d.]+)" y="([\d.]+)"[^>]*>([^<]*)</text>', svg)]


def test_no_two_labels_overlap_whatever_the_figures():
    t = {"name": "Incident resolution", "unit": "hours", "comparator": "<=", "threshold": 10,
         "trend": [8.587, 9.055, 10.589], "attained": 9.621}
    periods = ["2025-12", "2026-01", "2026-02", "2026-03"]
    texts = _texts(target_chart(t, periods))
    rows: dict[float, list[tuple[float, str]]] = {}
    for x, y, text in texts:
        rows.setdefault(y, []).append((x, text))
    by_text = {text: (x, y) for x, y, text in texts}
    # the periods on one row, their values on another, the target above the plot
    assert len({by_text[p][1] for p in periods}) == 1
    assert len({by_text[v][1] for v in ("8.587", "9.055", "10.589", "9.621")}) == 1
    assert by_text["8.587"][1] - by_text["2025-12"][1] >= 10
    target_y = next(y for x, y, text in texts if text.startswith("- - target"))
    assert target_y < min(y for x, y, text in texts if text in periods) - 100
    for row in rows.values():  # on one row, centres further apart than the texts are wide
        row.sort()
        for (x1, a), (x2, b) in zip(row, row[1:], strict=False):
            assert x2 - x1 > 3.5 * (len(a) + len(b)) or x1 < 48, (a, b)
    ticks = [float(text) for x, y, text in texts if x < 48]
    assert ticks == [8.0, 9.0, 10.0, 11.0]  # round ticks, bottom to top
