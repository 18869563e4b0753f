"""Issue 10, item 4: a customer's way in. From the catalogue a customer asks for a service
(or describes a need none fits); the options put that service's levels first, then only
the services that serve the need, then the customer-specific option; a service whose
supporting processes are not defined says so before the choice, and a requirement waiting
at that gate says what is missing. Staff read the requirement, with its service."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from handlers.catalogue import operations as catalogue
from handlers.requirements.models import ServiceLevelRequirement

from . import sla_world
from .support import client_login


@pytest.fixture
def shop(app, demo):
    """Email (ready), Mail Archive (live, no supporting process defined) and Payroll (live,
    nothing to do with mail)."""
    options = sla_world.build_catalogue(app)
    with app.extensions["slm"].sessions() as s:
        archive = catalogue.create_service(s, "mail-archive", "Mail Archive", "Ines",
                                           "Every mail kept ten years, found in seconds.",
                                           status="live")
        level = catalogue.create_option(s, archive, "Standard", "300.00")
        catalogue.set_target(s, level, "availability", 99.0, "month")
        payroll = catalogue.create_service(s, "payroll", "Payroll", "Paul",
                                           "Salaries paid on time.", status="live")
        catalogue.set_target(s, catalogue.create_option(s, payroll, "Basic", "100.00"),
                             "availability", 99.9, "month")
        s.commit()
    return options


def _post(client, token, **form):
    return client.post("/portal/requirements/new", data={"csrf_token": token, **form})


def test_asking_for_a_service_lists_its_levels_first_and_its_missing_processes(
        app, client, demo, shop):
    token = client_login(client, demo.users["Customer"])
    listing = client.get("/portal/catalogue").data.decode()
    assert "Mail Archive" in listing and "None of these fits: describe the need" in listing
    assert "EUR 300.00" in listing  # cost with its currency
    form = client.get("/portal/requirements/new?service=mail-archive").data.decode()
    assert 'data-testid="requested-service"' in form and "Mail Archive" in form
    response = _post(client, token, service="mail-archive", title="Archive of our mail",
                     need="Auditors search old mail.", **{
                         "wishes-0-text": "Archive up", "wishes-0-metric": "availability",
                         "wishes-0-value": "99", "wishes-0-period": "month"})
    assert response.status_code == 302, response.data.decode()[:2000]
    with app.extensions["slm"].sessions() as s:
        slr = s.scalars(select(ServiceLevelRequirement)).one()
        assert slr.service_id is not None and slr.instance_id is not None
    page = client.get(f"/portal/requirements/{slr.id}").data.decode()
    assert re.search(r'data-testid="requirement-service">Mail Archive<', page)
    options = client.get(f"/portal/requirements/{slr.id}/options").data.decode()
    cards = re.findall(r'data-testid="option" data-key="([^"]+)"', options)
    labels = re.findall(r'<h2 class="h5 card-title" id="option-\d+">([^<]+)</h2>', options)
    assert labels[0] == "Mail Archive Standard"  # the service asked for, first
    assert set(labels[1:]) == {"Email Bronze", "Email Silver", "Email Gold"}  # mail: serves
    assert "Payroll" not in options  # irrelevant: no card at all
    assert len(cards) == 4  # a standard option meets it: no customer-specific one
    warning = options[options.index('data-testid="not-ready"'):][:400]
    assert "Not ready for an SLA yet" in warning and "incident" in warning
    russian = client.get(f"/portal/requirements/{slr.id}/options",
                         headers={"Accept-Language": "ru"}).data.decode()
    warning = russian[russian.index('data-testid="not-ready"'):][:600]
    assert "Пока не готова к SLA" in warning and "инцидент" in warning  # the process's name too
    assert "incident" not in warning
    task = client.get(f"/tasks/{sla_world.ready_task(app, slr.instance_id, 'choose_option')}")
    shown = task.data.decode()  # the task page's options say it too
    assert 'data-testid="option-not-ready"' in shown and "incident" in shown
    done = client.post(f"/portal/requirements/{slr.id}/options", data={
        "csrf_token": token, "option_key": cards[0]}, follow_redirects=True)
    html = done.data.decode()
    assert "Waiting for supporting processes" in html
    assert "Still to be defined for Mail Archive: " in html and "incident" in html
    # the staff read it too, with its service and where it stands
    staff = app.test_client()
    client_login(staff, demo.users["Service Level Manager"])
    listed = staff.get("/requirements").data.decode()
    assert "Archive of our mail" in listed and "Waiting for supporting processes" in listed
    shown = staff.get(f"/requirements/{slr.id}").data.decode()
    assert re.search(r'data-testid="requirement-service">Mail Archive<', shown)
    assert "Define the missing supporting processes" in shown
    assert 'id="conversation"' in shown


def test_a_need_no_service_serves_gets_only_the_customer_specific_option(app, client, demo,
                                                                        shop):
    token = client_login(client, demo.users["Customer"])
    response = _post(client, token, title="Fleet tracking", need="Fleet tracking for the "
                     "delivery vans.", **{
                         "wishes-0-text": "Positions always known",
                         "wishes-0-metric": "availability", "wishes-0-value": "99.5",
                         "wishes-0-period": "month"})
    assert response.status_code == 302
    with app.extensions["slm"].sessions() as s:
        slr_id = s.scalar(select(ServiceLevelRequirement.id))
    options = client.get(f"/portal/requirements/{slr_id}/options").data.decode()
    assert re.findall(r'data-testid="option" data-key="([^"]+)"', options) == ["custom"]


def test_a_service_no_longer_offered_is_refused_at_the_field(app, client, demo, shop):
    token = client_login(client, demo.users["Customer"])
    response = _post(client, token, service="no-such-service", title="Mail", need="Mail",
                     **{"wishes-0-text": "Up", "wishes-0-clarify": "on"})
    assert response.status_code == 400
    assert 'id="service-error"' in response.data.decode()
    with app.extensions["slm"].sessions() as s:
        assert s.scalar(select(ServiceLevelRequirement.id)) is None
