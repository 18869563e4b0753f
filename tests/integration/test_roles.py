"""Roles are data (issue 14, item 1): admins add and retire roles, people hold any number,
deploy checks lanes against the roles in the database, a task outside every lane is refused,
and ``lane_owners`` narrows a lane to named people. On SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from conftest import T0, cheap_passwords
from lane_diagrams import lane_diagram
from sqlalchemy import select

from engine.deploy import deploy
from engine.errors import DeployError, PermissionDeniedError
from engine.lanes import LaneOwnersError
from engine.tasks import Actor, assign_task, claim_task, complete_task
from handlers.errors import ValidationError
from handlers.people import operations as people
from handlers.people import roles
from handlers.people.models import Role
from web.tasks.queries import TaskQuery, Viewer, assignable_users, list_tasks

WHO = {"actor": "admin", "now": T0}
PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _cheap():
    with cheap_passwords():
        yield


def _deploy(session, engine, data: bytes, name: str = "service_check.bpmn"):
    return deploy(session, data, name, registry=engine.registry,
                  known_lanes=roles.active_role_names(session),
                  form_loader=lambda _n: None, actor="owner", now=T0)


def _problems(session, engine, data: bytes) -> list:
    with pytest.raises(DeployError) as caught:
        _deploy(session, engine, data)
    session.rollback()
    return caught.value.problems


def test_the_built_in_roles_are_rows_and_stay(factory):
    with factory() as s:
        names = [r.name for r in roles.list_roles(s)]
        assert names == ["Admin", "Process Owner", "Service Level Manager", "Customer",
                         "Auditor"]
        admin = s.scalar(select(Role).where(Role.name == "Process Owner"))
        with pytest.raises(ValidationError) as caught:
            roles.retire_role(s, admin.id, **WHO)
        assert "built-in role" in caught.value.errors["role"][0]
        assert admin.retired_at is None


def test_an_admin_adds_a_role_and_bad_names_are_refused(factory):
    with factory() as s:
        role = roles.create_role(s, "  Service   Owner ", "Owns one service", **WHO)
        s.commit()
        assert (role.name, role.description, role.builtin) == ("Service Owner",
                                                              "Owns one service", False)
        for name, fragment in (("", "required"), ("service owner", "exists already"),
                               ("<script>", "letters, digits"), ("x" * 121, "at most")):
            with pytest.raises(ValidationError) as caught:
                roles.create_role(s, name, **WHO)
            assert fragment in caught.value.errors["name"][0], name
            s.rollback()
        assert "Service Owner" in roles.active_role_names(s)


def test_a_lane_must_name_a_role_in_the_database(factory, engine):
    with factory() as s:
        problems = _problems(s, engine, lane_diagram("Service Owner"))
        assert [p.element_id for p in problems] == ["check_service"]
        assert "lane 'Service Owner' (lane element lane_work) is not a role" in \
            problems[0].message
        roles.create_role(s, "Service Owner", **WHO)
        assert _deploy(s, engine, lane_diagram("Service Owner"))[0].created
        s.commit()


def test_a_retired_role_cannot_be_named_by_a_new_lane_nor_given(factory, engine):
    with factory() as s:
        role = roles.create_role(s, "Finance", **WHO)
        roles.retire_role(s, role.id, **WHO)
        s.commit()
        problems = _problems(s, engine, lane_diagram("Finance"))
        assert "lane 'Finance'" in problems[0].message
        with pytest.raises(ValidationError) as caught:
            people.create_user(s, "fay", "Fay", PASSWORD, ["Finance"], **WHO)
        assert caught.value.errors["roles"] == ["the role Finance is retired"]


def test_a_role_a_deployed_lane_uses_cannot_be_retired(factory, engine):
    with factory() as s:
        role = roles.create_role(s, "Supplier Manager", **WHO)
        _deploy(s, engine, lane_diagram("Supplier Manager"))
        s.commit()
        with pytest.raises(ValidationError) as caught:
            roles.retire_role(s, role.id, **WHO)
        assert "service_check v1" in caught.value.errors["role"][0]
        s.rollback()
        assert s.get(Role, role.id).retired_at is None


@pytest.mark.parametrize("task, kind", [("userTask", "user task"), ("manualTask", "manual task"),
                                        ("task", "task (of no type: a person confirms it)")])
def test_a_task_outside_every_lane_is_refused_with_its_id(factory, engine, task, kind):
    with factory() as s:
        problems = _problems(s, engine, lane_diagram(None, task=task))
        assert any(p.element_id == "check_service" and
                   p.message.startswith(f"{kind} is not in a lane, so no one could ever work it")
                   for p in problems), problems


def test_auditor_and_admin_are_not_lanes(factory, engine):
    with factory() as s:
        problems = _problems(s, engine, lane_diagram("Auditor"))
        assert "auditors change nothing" in problems[0].message


def test_people_hold_any_number_of_roles(factory):
    with factory() as s:
        for name in ("Service Owner", "Supplier Manager", "Finance"):
            roles.create_role(s, name, **WHO)
        user = people.create_user(s, "sam", "Sam", PASSWORD,
                                  ["Service Owner", "Finance", "Process Owner",
                                   "Supplier Manager"], **WHO)
        s.commit()
        assert user.role_set == {"Service Owner", "Finance", "Process Owner",
                                 "Supplier Manager"}
        with pytest.raises(ValidationError) as caught:
            people.update_user(s, user.id, "Sam", ["Janitor"], **WHO)
        assert caught.value.errors["roles"] == ["unknown role: Janitor"]


@pytest.fixture
def service_world(factory, engine):
    with factory() as s:
        roles.create_role(s, "Service Owner", **WHO)
        for name in ("ann", "ben", "cy"):
            people.create_user(s, name, name.title(), PASSWORD, ["Service Owner"], **WHO)
        _deploy(s, engine, lane_diagram("Service Owner"))
        s.commit()

    def start(data=None) -> int:
        with factory() as s:
            iid = engine.start(s, "service_check", actor="owner", now=T0, data=data)
            s.commit()
            return iid

    return start


def _visible(session, username: str) -> list[int]:
    viewer = Viewer(username, frozenset({"Service Owner"}))
    return [r.id for r in list_tasks(session, viewer, TaskQuery(view="unclaimed"), T0).rows]


def _actor(name: str) -> Actor:
    return Actor(name=name, roles=frozenset({"Service Owner"}))


def test_anyone_of_the_lane_sees_and_works_a_task_of_an_added_role(factory, engine,
                                                                   service_world):
    service_world()
    with factory() as s:
        ids = _visible(s, "ann")
        assert len(ids) == 1 and _visible(s, "ben") == ids
        with pytest.raises(PermissionDeniedError):
            claim_task(s, ids[0], Actor("po", frozenset({"Process Owner"})), T0)
        assert {u.username for u in assignable_users(s, "Service Owner", None)} == \
            {"ann", "ben", "cy"}
        assert complete_task(engine, s, ids[0], {}, _actor("cy"), T0) == "completed"
        s.commit()


def test_lane_owners_narrow_the_lane_to_named_people(factory, engine, service_world):
    service_world({"lane_owners": {"Service Owner": ["ben"], "Other lane": ["ann"]}})
    with factory() as s:
        ids = _visible(s, "ben")
        assert len(ids) == 1
        assert _visible(s, "ann") == [] and _visible(s, "cy") == []
        task_id = ids[0]
        with pytest.raises(PermissionDeniedError, match="lane_owners"):
            claim_task(s, task_id, _actor("ann"), T0)
        with pytest.raises(PermissionDeniedError, match="lane_owners"):
            complete_task(engine, s, task_id, {}, _actor("ann"), T0)
        s.rollback()
        manager = Actor("max", None)
        with pytest.raises(PermissionDeniedError, match="not one of them"):
            assign_task(s, task_id, "cy", manager, T0)
        s.rollback()
        assert [u.username for u in assignable_users(s, "Service Owner", None,
                                                     "\nben\n")] == ["ben"]
        claim_task(s, task_id, _actor("ben"), T0)
        assert complete_task(engine, s, task_id, {}, _actor("ben"), T0) == "completed"
        s.commit()


@pytest.mark.parametrize("owners", [["ann", 3], "ann", [], {"x": 1}])
def test_malformed_lane_owners_are_refused_clearly(factory, engine, service_world, owners):
    bad = {"lane_owners": {"Service Owner": owners}} if not isinstance(owners, dict) \
        else {"lane_owners": ["Service Owner"]}
    with pytest.raises(LaneOwnersError, match="lane_owners"):
        service_world(bad)
    with factory() as s:
        assert _visible(s, "ann") == []
