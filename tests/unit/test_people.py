"""People: password hashing, organisations, users and their validation (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import datetime

import pytest
from argon2 import PasswordHasher
from conftest import cheap_passwords
from sqlalchemy import func, select

from engine.errors import NotFoundError
from handlers.errors import ValidationError
from handlers.people import operations as people
from handlers.people.models import Organisation, User

PASSWORD = "correct horse battery"
T0 = datetime(2026, 1, 5, 9, 0)
#: who does it and when, for the audit log
WHO = {"actor": "ada", "now": T0}
DEFAULT_HASHER = people._hasher  # before the cheap_hasher fixture swaps it


@pytest.fixture(autouse=True)
def cheap_hasher():
    """argon2 with small parameters: the defaults cost about a second per hash here."""
    with cheap_passwords():
        yield


@pytest.fixture
def session(factory):
    with factory() as s:
        yield s


@pytest.fixture
def acme(session):
    org = people.create_organisation(session, "acme", "Acme Retail Ltd", **WHO)
    session.commit()
    return org


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors


# -- passwords ---------------------------------------------------------------------------------
def test_hash_is_argon2id_salted_and_verifies():
    first, second = people.hash_password(PASSWORD), people.hash_password(PASSWORD)
    assert first.startswith("$argon2id$")
    assert first != second and PASSWORD not in first
    assert people.verify_password(first, PASSWORD)
    assert not people.verify_password(first, PASSWORD + "!")
    assert not people.verify_password("not a hash", PASSWORD)


def test_production_hasher_is_argon2id_with_the_library_defaults():
    assert DEFAULT_HASHER.type.name == "ID"
    assert (DEFAULT_HASHER.time_cost, DEFAULT_HASHER.memory_cost) == (
        PasswordHasher().time_cost, PasswordHasher().memory_cost)
    assert DEFAULT_HASHER.memory_cost >= 65536


# -- organisations -------------------------------------------------------------------------
def test_create_organisation_and_list(session):
    people.create_organisation(session, "globex", "Globex Logistics", **WHO)
    people.create_organisation(session, "it", "Our IT", kind="provider", **WHO)
    session.commit()
    assert [o.key for o in people.list_organisations(session)] == ["globex", "it"]
    assert [o.key for o in people.list_organisations(session, kind="provider")] == ["it"]


@pytest.mark.parametrize("key, name, kind, field", [
    ("Acme", "Acme 2", "customer", "key"),
    ("a", "Acme 2", "customer", "key"),
    ("acme-2", "", "customer", "name"),
    ("acme-2", "Acme 2", "partner", "kind"),
    ("acme", "Acme 2", "customer", "key"),            # key taken
    ("acme-2", "ACME RETAIL LTD", "customer", "name"),  # name taken, any case
])
def test_create_organisation_refuses(session, acme, key, name, kind, field):
    errors = errors_of(lambda: people.create_organisation(session, key, name, kind, **WHO))
    assert field in errors
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Organisation)) == 1


# -- users -----------------------------------------------------------------------------------
def test_create_user_stores_a_hash_and_canonical_roles(session, acme):
    user = people.create_user(session, "mia", "Mia Manager", PASSWORD,
                              ["Service Level Manager", "Process Owner"],
                              email="mia@example.org", **WHO)
    session.commit()
    assert [r.name for r in user.role_rows] == ["Process Owner", "Service Level Manager"]
    assert user.role_set == {"Process Owner", "Service Level Manager"}
    assert user.password_hash != PASSWORD and people.verify_password(user.password_hash, PASSWORD)
    assert user.organisation is None and user.active


def test_customer_belongs_to_a_customer_organisation(session, acme):
    by_key = people.create_user(session, "carla", "Carla", PASSWORD, ["Customer"], "acme", **WHO)
    by_id = people.create_user(session, "carl", "Carl", PASSWORD, ["Customer"], acme.id, **WHO)
    by_text_id = people.create_user(session, "cara", "Cara", PASSWORD, ["Customer"],
                                    str(acme.id), **WHO)
    assert by_key.organisation.key == by_id.organisation.key == by_text_id.organisation.key


@pytest.mark.parametrize("kwargs, field", [
    ({"username": "Mia"}, "username"),
    ({"username": "m"}, "username"),
    ({"username": "1mia"}, "username"),
    ({"username": "mia manager"}, "username"),
    ({"username": "x" * 61}, "username"),
    ({"display_name": " "}, "display_name"),
    ({"password": "short"}, "password"),
    ({"password": None}, "password"),
    ({"password": "x" * 2000}, "password"),
    ({"roles": []}, "roles"),
    ({"roles": ["Boss"]}, "roles"),
    ({"roles": ["Customer"]}, "organisation"),           # customer without organisation
    ({"roles": ["Customer"], "organisation": "nope"}, "organisation"),
    ({"roles": ["Customer", "Admin"], "organisation": "acme"}, "roles"),
    ({"roles": ["Auditor", "Admin"]}, "roles"),
    ({"organisation": "acme"}, "organisation"),         # staff in a customer organisation
    ({"email": "not-an-address"}, "email"),
])
def test_create_user_refuses_and_stores_nothing(session, acme, kwargs, field):
    args = {"username": "mia", "display_name": "Mia", "password": PASSWORD,
            "roles": ["Service Level Manager"], "organisation": None, **kwargs}
    errors = errors_of(lambda: people.create_user(session, **args, **WHO))
    assert field in errors, errors
    session.rollback()
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_all_errors_are_reported_at_once(session):
    errors = errors_of(lambda: people.create_user(session, "X", "", "short", ["Customer"], **WHO))
    assert set(errors) == {"username", "display_name", "password", "organisation"}


def test_username_is_unique(session):
    people.create_user(session, "mia", "Mia", PASSWORD, ["Admin"], **WHO)
    assert "username" in errors_of(lambda: people.create_user(session, "mia", "Other", PASSWORD,
                                                              ["Admin"], **WHO))


def test_provider_staff_may_belong_to_a_provider_organisation(session):
    people.create_organisation(session, "it", "Our IT", kind="provider", **WHO)
    user = people.create_user(session, "ops", "Ops", PASSWORD, ["Process Owner"], "it", **WHO)
    assert user.organisation.key == "it"
    errors = errors_of(lambda: people.create_user(session, "cust", "C", PASSWORD, ["Customer"],
                                                  "it", **WHO))
    assert "organisation" in errors


def test_update_user_and_reset_password(session, acme):
    user = people.create_user(session, "mia", "Mia", PASSWORD, ["Admin"], **WHO)
    old_hash = user.password_hash
    people.update_user(session, user.id, "Mia M.", ["Service Level Manager"], None,
                       email="m@example.org", active=False, **WHO)
    assert (user.display_name, user.role_set, user.active) == ("Mia M.",
                                                               {"Service Level Manager"}, False)
    assert user.password_hash == old_hash  # no password given: unchanged
    people.update_user(session, user.id, "Mia M.", ["Service Level Manager"],
                       password="another long password", **WHO)
    assert people.verify_password(user.password_hash, "another long password")


def test_admin_cannot_lock_themselves_out(session):
    admin = people.create_user(session, "ada", "Ada", PASSWORD, ["Admin"], **WHO)
    errors = errors_of(lambda: people.update_user(session, admin.id, "Ada", ["Auditor"],
                                                  active=False, acting_user_id=admin.id, **WHO))
    assert set(errors) == {"roles", "active"}
    other = people.create_user(session, "bob", "Bob", PASSWORD, ["Admin"], **WHO)
    people.update_user(session, other.id, "Bob", ["Auditor"], acting_user_id=admin.id, **WHO)
    assert other.role_set == {"Auditor"}


def test_update_unknown_user_is_not_found(session):
    with pytest.raises(NotFoundError):
        people.update_user(session, 999, "X", ["Admin"], **WHO)


def test_set_password(session):
    user = people.create_user(session, "mia", "Mia", PASSWORD, ["Admin"], **WHO)
    people.set_password(session, user.id, "a brand new password", **WHO)
    assert people.verify_password(user.password_hash, "a brand new password")
    assert "password" in errors_of(lambda: people.set_password(session, user, "short", **WHO))


def test_list_users_paginates(session):
    shared = people.hash_password(PASSWORD)
    for n in range(7):
        people.create_user(session, f"user{n}", f"User {n}", None, ["Auditor"],
                           password_hash=shared, **WHO)
    page = people.list_users(session, page=2, per_page=3)
    assert [u.username for u in page.items] == ["user3", "user4", "user5"]
    assert (page.total, page.pages, page.has_prev, page.has_next) == (7, 3, True, True)
    last = people.list_users(session, page=99, per_page=3)
    assert last.page == 3 and [u.username for u in last.items] == ["user6"]
    assert people.list_users(session, page=0).page == 1


def test_authenticate(session):
    user = people.create_user(session, "mia", "Mia", PASSWORD, ["Admin"], **WHO)
    assert people.authenticate(session, "mia", PASSWORD) is user
    assert people.authenticate(session, " mia ", PASSWORD) is user
    assert people.authenticate(session, "mia", "wrong password") is None
    assert people.authenticate(session, "nobody", PASSWORD) is None
    user.active = False
    assert people.authenticate(session, "mia", PASSWORD) is None


def test_authenticate_upgrades_an_outdated_hash(session):
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    user = people.create_user(session, "mia", "Mia", None, ["Admin"], password_hash=weak, **WHO)
    assert people.authenticate(session, "mia", PASSWORD) is user
    assert user.password_hash != weak and "m=8192" in user.password_hash

