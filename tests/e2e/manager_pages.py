"""Fixtures and helpers shared by the service level manager's page tests
(test_manager_catalogue_pages.py, test_manager_delivery_pages.py).
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from handlers.agreements.models import ServiceLevelAgreement
from handlers.catalogue.models import Service, ServiceLevelOption

from . import sla_world

POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>", re.IGNORECASE)


@pytest.fixture
def options(app, demo) -> dict:
    return sla_world.build_catalogue(app)


@pytest.fixture
def email_sla(app, demo, options) -> dict:
    """Acme's active Email Gold SLA (with a review and its customer report), its reference."""
    made = sla_world.agreed_sla(app, demo, demo.users["Customer"], options)
    with app.extensions["slm"].sessions() as s:
        made["reference"] = s.get(ServiceLevelAgreement, made["sla_id"]).reference
    return made


def _count(app, model, *where) -> int:
    with app.extensions["slm"].sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _option_id(app, level: str) -> int:
    with app.extensions["slm"].sessions() as s:
        return s.scalar(select(ServiceLevelOption.id).join(Service).where(
            Service.key == "email", ServiceLevelOption.name == level))


def _stamp(at) -> str:
    return at.replace(microsecond=0).isoformat()
