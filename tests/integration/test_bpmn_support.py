"""Every row of README's "BPMN support" table, deployed and run (supported) or refused at
deploy with its reason (refused), on SQLite and PostgreSQL."""
from __future__ import annotations

import bpmn_support_events  # noqa: F401 (registers its rows)
import bpmn_support_more  # noqa: F401 (registers its rows)
import pytest
from bpmn_support_cases import REFUSED, SUPPORTED
from bpmn_support_world import World

from engine.errors import DeployError


@pytest.mark.parametrize("name", sorted(SUPPORTED))
def test_supported(name, engine, factory):
    SUPPORTED[name](World(engine, factory))


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused(name, engine, factory):
    diagram, element_id, words = REFUSED[name]
    world = World(engine, factory)
    with pytest.raises(DeployError) as info:
        world.deploy(diagram)
    hits = [p for p in info.value.problems if p.element_id == element_id and words in p.message]
    assert hits, f"no problem at {element_id!r} saying {words!r}: {info.value.problems}"
