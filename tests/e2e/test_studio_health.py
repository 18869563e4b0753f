"""The process owner's studio (issue 15): process health figures and heat map.
"""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from .studio_support import owner as owner  # the fixture
from .support import seal_all

# -- process health ---------------------------------------------------------------------------
#: (start offset in days, hours waited at "draft", hours waited at "extra" or None: waits still)
KNOWN = [(0, 1, 2), (1, 2, 4), (2, 3, 6), (3, 4, None)]


def drawn(xml: bytes) -> bytes:
    """tiny with a drawing: its four nodes in a row, in one lane."""
    shapes = "".join(
        f'<bpmndi:BPMNShape id="{n}_di" bpmnElement="{n}"><dc:Bounds x="{x}" y="{y}" '
        f'width="{w}" height="{h}"/></bpmndi:BPMNShape>'
        for n, x, y, w, h in (("l", 50, 50, 700, 200), ("start", 100, 132, 36, 36),
                              ("draft", 200, 110, 100, 80), ("extra", 380, 110, 100, 80),
                              ("end", 560, 132, 36, 36)))
    di = ('<bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="pl" bpmnElement="tiny">'
          + shapes + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>")
    return xml.replace(b"</bpmn:definitions>", di.encode() + b"</bpmn:definitions>").replace(
        b'id="d" targetNamespace="x"',
        b'id="d" targetNamespace="x" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        b'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"')


@pytest.fixture
def timed(app, owner):
    """Four instances of tiny (draft -> extra) with known timings (see KNOWN)."""
    from datetime import UTC, datetime, timedelta

    from engine.instances import start_instance
    from engine.models import HumanTask
    from engine.tasks import Actor, complete_task

    from .test_diagrams_web import tiny

    client, _ = owner
    answer = client.post("/diagrams/deploy?name=tiny.bpmn", data=drawn(tiny(extra=True)),
                         content_type="application/xml").get_json()
    services, t0 = app.extensions["slm"], datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    system = Actor("system")
    for day, draft, extra in KNOWN:
        start = t0 + timedelta(days=day)
        with services.sessions() as s:
            iid = start_instance(services.engine, s, "tiny", actor="owner", now=start)
            s.commit()
        when = start
        for hours in (draft, extra):
            if hours is None:
                break
            when += timedelta(hours=hours)
            with services.sessions() as s:
                task = s.execute(select(HumanTask.id).where(
                    HumanTask.instance_id == iid, HumanTask.status == "ready")).scalar_one()
                complete_task(services.engine, s, task, {"decision": "approve"}, system, when)
                s.commit()
    seal_all(services.sessions)  # as the runners' sealer would within a second (PostgreSQL)
    return client, int(answer["versions"][0]["url"].rsplit("/", 1)[1])


def test_process_health_figures_match_known_timings(timed):
    from web.diagrams.health import percentile

    assert percentile([4, 1, 3, 2], 0.5) == 2.5 and percentile([1, 2, 3, 4], 0.9) == 3.7
    client, vid = timed
    rows = list(csv.reader(io.StringIO(client.get(f"/diagrams/{vid}/health.csv")
                                       .get_data(as_text=True))))
    assert rows[0][:5] == ["element", "name", "waits measured", "wait p50 (hours)",
                           "wait p90 (hours)"]
    by_element = {r[0]: r for r in rows[1:] if r and r[0] in ("draft", "extra")}
    # draft waited 1, 2, 3, 4 hours; extra 2, 4, 6 hours and one instance still waits there
    assert by_element["draft"][2:] == ["4", "2.5", "3.7", "0", "0"]
    assert by_element["extra"][2:] == ["3", "4.0", "5.6", "1", "0"]
    totals = {r[0]: r[1] for r in rows if len(r) == 2}
    # completed instances took 3, 6 and 9 hours
    assert totals == {"instances started": "4", "instances completed": "3",
                      "cycle time p50 (hours)": "6.0", "cycle time p90 (hours)": "8.4"}
    # the period: instances and tasks from 3 to 4 March (included)
    period = client.get(f"/diagrams/{vid}/health?from=2026-03-03&to=2026-03-04")
    html = period.get_data(as_text=True)
    assert '<dd class="col-sm-8" data-testid="started">2</dd>' in html
    assert "half within 7.5, nine in ten within 8.7" in html  # 6 and 9 hours
    for bad in ("from=2026-13-01", "to=yesterday", "from=2026-03-04&to=2026-03-01"):
        answer = client.get(f"/diagrams/{vid}/health?{bad}")
        assert answer.status_code == 400


def test_the_heat_map_colours_where_instances_wait_longest(timed, page, login, demo,
                                                            screenshot):
    _, vid = timed
    login(page, demo.users["Auditor"])
    page.goto(f"/diagrams/{vid}/health")
    page.locator("#heat-diagram[data-state=ready]").wait_for()
    assert page.locator("g.slm-heat-4[data-element-id=extra]").count() == 1
    assert page.locator("g.slm-heat-3[data-element-id=draft]").count() == 1
    assert page.locator("[data-heat-for=extra]").inner_text() == \
        "p50 4.0 h · p90 5.6 h · 1 waiting"
    screenshot(page, "studio-health-auditor")


def test_process_health_counts_incidents_by_element(app, owner):
    from datetime import UTC, datetime

    from engine.instances import start_instance

    client, vid = owner
    services = app.extensions["slm"]
    with services.sessions() as s:  # no such requirement: the first handler fails
        start_instance(services.engine, s, "sla_agreement", actor="owner",
                       now=datetime(2026, 3, 2, 8, tzinfo=UTC), data={"slr_id": 999999})
        s.commit()
    rows = list(csv.reader(io.StringIO(client.get(f"/diagrams/{vid}/health.csv")
                                       .get_data(as_text=True))))
    [assess] = [r for r in rows if r and r[0] == "assess_slr"]
    assert assess[-1] == "1"
    assert client.get(f"/diagrams/{vid}/health.csv?from=2026-03-03").get_data(
        as_text=True).count("assess_slr") == 0
