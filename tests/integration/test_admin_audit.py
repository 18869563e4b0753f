"""Administrative actions in the audit log (SQLite and PostgreSQL): organisations, users,
passwords and API tokens each add one event of no instance, in the action's transaction,
with who did it and what changed, and never a password, a hash, a token or its digest."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from conftest import cheap_passwords, recorded, seal_all
from sqlalchemy.orm import sessionmaker

from engine.audit import verify_chain
from engine.errors import NotFoundError
from engine.models import AuditEvent
from handlers.errors import ValidationError
from handlers.people import operations as people
from handlers.people import tokens as api_tokens

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new password"
T0 = datetime(2026, 1, 5, 9, 0)
WHO = {"actor": "ada", "now": T0}


@pytest.fixture(autouse=True)
def cheap_hasher():
    with cheap_passwords():
        yield


@pytest.fixture
def session(factory):
    with factory() as s:
        yield s


def events(session) -> list[AuditEvent]:
    """Sealed and queued (PostgreSQL: the sealer has not run yet)."""
    return recorded(session)


def event_count(session) -> int:
    return len(events(session))


def only_new_event(session, before: int) -> tuple[str, str, dict]:
    """(actor, kind, data) of the one event added since there were ``before``."""
    new = events(session)[before:]
    assert len(new) == 1, [e.kind for e in new]
    ev = new[0]
    assert ev.instance_id is None and ev.process_id is None and ev.at == T0
    return ev.actor, ev.kind, json.loads(ev.data)


def assert_no_secret(session, *secrets: str) -> None:
    for ev in events(session):
        for secret in secrets:
            assert secret not in ev.data, (ev.kind, secret)


def test_create_organisation_and_user_are_recorded(session):
    org = people.create_organisation(session, "acme", "Acme Retail Ltd", **WHO)
    assert only_new_event(session, 0) == ("ada", "organisation_created", {
        "organisation_id": org.id, "key": "acme", "name": "Acme Retail Ltd",
        "kind": "customer"})
    user = people.create_user(session, "carla", "Carla", PASSWORD, ["Customer"], "acme",
                              email="carla@example.org", **WHO)
    assert only_new_event(session, 1) == ("ada", "user_created", {
        "user_id": user.id, "username": "carla", "display_name": "Carla",
        "email": "carla@example.org", "roles": ["Customer"], "organisation": "acme",
        "active": True})
    session.commit()
    assert_no_secret(session, PASSWORD, user.password_hash)
    assert verify_chain(session).ok


def test_update_user_records_what_changed_old_and_new(session):
    people.create_organisation(session, "it", "Our IT", kind="provider", **WHO)
    user = people.create_user(session, "mia", "Mia", PASSWORD, ["Admin"], **WHO)
    session.commit()
    before = event_count(session)
    people.update_user(session, user.id, "Mia M.", ["Service Level Manager", "Process Owner"],
                       "it", email="mia@example.org", active=False,
                       actor="root", now=T0)
    assert only_new_event(session, before) == ("root", "user_updated", {
        "user_id": user.id, "username": "mia", "changes": {
            "display_name": {"old": "Mia", "new": "Mia M."},
            "email": {"old": "", "new": "mia@example.org"},
            "roles": {"old": ["Admin"], "new": ["Process Owner", "Service Level Manager"]},
            "organisation": {"old": None, "new": "it"},
            "active": {"old": True, "new": False}}})
    session.commit()
    assert verify_chain(session).ok


def test_update_user_with_a_password_records_it_as_set_and_no_change_records_nothing(
        session):
    user = people.create_user(session, "mia", "Mia", PASSWORD, ["Admin"], **WHO)
    session.commit()
    before = event_count(session)
    people.update_user(session, user.id, "Mia", ["Admin"], **WHO)  # saved as it was
    assert event_count(session) == before
    people.update_user(session, user.id, "Mia", ["Admin"], password=NEW_PASSWORD, **WHO)
    assert only_new_event(session, before) == ("ada", "password_set", {
        "user_id": user.id, "username": "mia"})
    people.update_user(session, user.id, "Mia", ["Auditor"], password=PASSWORD, **WHO)
    assert [e.kind for e in events(session)[before + 1:]] == ["user_updated", "password_set"]
    session.commit()
    assert_no_secret(session, PASSWORD, NEW_PASSWORD, user.password_hash)
    assert verify_chain(session).ok


def test_set_password_records_who_set_it_and_nothing_of_it(session):
    user = people.create_user(session, "mia", "Mia", PASSWORD, ["Admin"], **WHO)
    old_hash = user.password_hash
    session.commit()
    people.set_password(session, user.id, NEW_PASSWORD, actor="cli", now=T0)
    assert only_new_event(session, 1) == ("cli", "password_set", {
        "user_id": user.id, "username": "mia"})
    session.commit()
    assert_no_secret(session, PASSWORD, NEW_PASSWORD, old_hash, user.password_hash)
    assert verify_chain(session).ok


def test_api_tokens_created_and_revoked_are_recorded_without_the_token(session):
    user = people.create_user(session, "mia", "Mia", PASSWORD, ["Admin"], **WHO)
    row, token = api_tokens.create_token(session, user, "nightly export", T0, actor="mia")
    assert only_new_event(session, 1) == ("mia", "api_token_created", {
        "token_id": row.id, "name": "nightly export", "user_id": user.id, "username": "mia"})
    api_tokens.revoke_token(session, row.id, T0, actor="root")
    assert only_new_event(session, 2) == ("root", "api_token_revoked", {
        "token_id": row.id, "name": "nightly export", "user_id": user.id, "username": "mia"})
    api_tokens.revoke_token(session, row.id, T0, actor="root")  # again: nothing happens
    assert event_count(session) == 3
    session.commit()
    assert_no_secret(session, token, api_tokens.token_digest(token), row.token_hash)
    assert verify_chain(session).ok


@pytest.mark.parametrize("refused", [
    lambda s, u: people.create_organisation(s, "acme", "Another name", **WHO),
    lambda s, u: people.create_user(s, "mia", "Other Mia", PASSWORD, ["Admin"], **WHO),
    lambda s, u: people.update_user(s, u.id, "Mia", ["Admin"], active=False,
                                    acting_user_id=u.id, **WHO),
    lambda s, u: people.update_user(s, u.id, "Mia M.", ["Admin"], password="short", **WHO),
    lambda s, u: people.set_password(s, u, "short", **WHO),
    lambda s, u: api_tokens.create_token(s, u, " ", T0, actor="mia"),
], ids=["duplicate organisation", "duplicate username", "self lock-out", "short password",
        "short password set", "blank token name"])
def test_a_refused_action_records_nothing(session, refused):
    people.create_organisation(session, "acme", "Acme Retail Ltd", **WHO)
    user = people.create_user(session, "mia", "Mia", PASSWORD, ["Admin"], **WHO)
    session.commit()
    with pytest.raises(ValidationError):
        refused(session, user)
    assert event_count(session) == 2
    session.rollback()
    assert event_count(session) == 2 and verify_chain(session).ok


def test_revoking_another_users_token_records_nothing(session):
    mia = people.create_user(session, "mia", "Mia", PASSWORD, ["Admin"], **WHO)
    bob = people.create_user(session, "bob", "Bob", PASSWORD, ["Auditor"], **WHO)
    row, _ = api_tokens.create_token(session, mia, "mine", T0, actor="mia")
    session.commit()
    with pytest.raises(NotFoundError):
        api_tokens.revoke_token(session, row.id, T0, user_id=bob.id, actor="bob")
    assert event_count(session) == 3


def test_a_rolled_back_action_leaves_no_event(session):
    people.create_user(session, "mia", "Mia", PASSWORD, ["Admin"], **WHO)
    session.rollback()
    assert event_count(session) == 0 and verify_chain(session).ok
    people.create_user(session, "mia", "Mia", PASSWORD, ["Admin"], **WHO)
    session.commit()
    seal_all(sessionmaker(bind=session.get_bind()))
    assert [e.seq for e in events(session)] == [1] and verify_chain(session).ok
