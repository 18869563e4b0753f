"""The catalogue on both backends: validation, mission rule 6 for targets, rule 5 readiness."""
from __future__ import annotations

import pytest
from catalogue_factory import T0, build, ctx, define_all
from sqlalchemy import select

from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import Service, ServiceLevelOption, SupportingProcess, Target
from handlers.catalogue.supporting import catalogue_readiness, check_supporting_processes
from handlers.errors import DomainError, ValidationError
from handlers.registry import build_registry


def test_build_registry_has_the_catalogue_to_agreement_handlers():
    names = build_registry().names()
    for name in ("check_supporting_processes", "catalogue_readiness", "assess_requirements",
                 "match_catalogue", "record_choice", "design_specification", "draft_sla",
                 "activate_sla", "review_due", "raise_change_request"):
        assert name in names


def test_catalogue_lists_services_with_the_cost_of_each_level(factory):
    with factory() as s:
        build(s)
        s.commit()
    with factory() as s:
        email = s.scalar(select(Service).where(Service.key == "email"))
        levels = [(o.name, str(o.monthly_cost), {t.metric.key: (t.comparator, t.threshold)
                                                 for t in o.targets}) for o in email.options]
    assert levels[0] == ("Bronze", "500.00", {"availability": (">=", 99.0),
                                              "resolution_hours": ("<=", 24.0)})
    assert [name for name, _, _ in levels] == ["Bronze", "Silver", "Gold"]


def test_metric_and_option_validation(factory):
    with factory() as s:
        made = build(s)
        with pytest.raises(ValidationError) as err:
            catalogue.create_metric(s, "availability", "", "%", "sideways")
        assert set(err.value.errors) == {"key", "name", "direction"}
        with pytest.raises(ValidationError) as err:
            catalogue.create_option(s, made["email"], "Platinum", "-1")
        assert err.value.errors == {"monthly_cost": ["monthly cost must be a number of at least 0"]}
        with pytest.raises(ValidationError) as err:
            catalogue.create_option(s, made["email"], "Gold", "abc")
        assert set(err.value.errors) == {"name", "monthly_cost"}
        free = catalogue.create_option(s, made["email"], "Free", 0)
        assert str(free.monthly_cost) == "0"
        with pytest.raises(ValidationError):
            catalogue.update_option(s, free, monthly_cost=-5)
        catalogue.update_option(s, free, monthly_cost="10.5", service_hours="24x7")
        assert str(free.monthly_cost) == "10.5"
        with pytest.raises(ValidationError) as err:
            catalogue.update_service(s, made["email"], key="x", status="gone")
        assert set(err.value.errors) == {"key", "status"}
        s.commit()


def test_rule6_target_refused_when_metric_has_no_data_source(factory):
    with factory() as s:
        made = build(s)
        with pytest.raises(ValidationError) as err:
            catalogue.set_target(s, made["email-gold"], "satisfaction", 4.5, "month")
        assert err.value.errors == {
            "metric": ["metric 'satisfaction' has no data source: it cannot be measured"]}
        assert "no data source" in str(err.value)


@pytest.mark.parametrize("threshold, period, field, message", [
    (None, "month", "threshold", "threshold is missing: a target needs a numeric threshold"),
    ("high", "month", "threshold", "threshold 'high' is not a number"),
    (float("nan"), "month", "threshold", "threshold nan is not a number"),
    (99.0, None, "period", "period is missing: a target needs a period (month or quarter)"),
    (99.0, "year", "period", "period 'year' must be 'month' or 'quarter'"),
])
def test_rule6_target_refused_naming_what_is_missing(factory, threshold, period, field,
                                                      message):
    with factory() as s:
        made = build(s)
        with pytest.raises(ValidationError) as err:
            catalogue.set_target(s, made["email-gold"], "availability", threshold, period)
        assert err.value.errors == {field: [message]}


def test_rule6_every_missing_thing_is_named_at_once(factory):
    with factory() as s:
        made = build(s)
        with pytest.raises(ValidationError) as err:
            catalogue.set_target(s, made["email-gold"], "nps", None, None)
        assert set(err.value.errors) == {"metric", "threshold", "period"}
        assert "unknown metric 'nps'" in err.value.errors["metric"][0]
        s.rollback()
    with factory() as s:
        assert s.scalar(select(Target.id).where(Target.metric_id.is_(None))) is None


def test_target_comparator_defaults_from_direction_and_is_replaced(factory):
    with factory() as s:
        made = build(s)
        option = catalogue.create_option(s, made["hosting"], "Premium", "3000")
        avail = catalogue.set_target(s, option, made["availability"], 99.95, "quarter")
        res = catalogue.set_target(s, option, "resolution_hours", 2, "month")
        assert (avail.comparator, res.comparator) == (">=", "<=")
        catalogue.set_target(s, option, "availability", 99.99, "month")
        s.commit()
        option_id = option.id
    with factory() as s:
        option = s.get(ServiceLevelOption, option_id)
        assert sorted((t.metric.key, t.threshold, t.period) for t in option.targets) == [
            ("availability", 99.99, "month"), ("resolution_hours", 2.0, "month")]
        catalogue.remove_target(s, option, "availability")
        assert [t.metric.key for t in option.targets] == ["resolution_hours"]


def test_rule5_new_service_is_not_ready_and_names_missing_processes(factory):
    with factory() as s:
        made = build(s, ready=False)
        ready, missing = catalogue.readiness(s, made["email"])
        assert (ready, missing) == (False, ["availability", "change", "continuity", "incident"])
        result = check_supporting_processes({"service_id": made["email"].id}, ctx(s))
        assert result["ready"] is False
        assert result["missing"] == ["availability", "change", "continuity", "incident"]
        assert result["message"] == ("service 'E-mail' is not ready for targets: supporting "
                                     "processes not defined: availability, change, "
                                     "continuity, incident")


def test_rule5_defining_the_processes_makes_the_service_ready(factory):
    with factory() as s:
        made = build(s, ready=False)
        email = made["email"]
        catalogue.define_supporting_process(s, email, "incident", "ian", "OLA-7 service desk",
                                            T0)
        assert catalogue.readiness(s, email)[1] == ["availability", "change", "continuity"]
        define_all(s, email)
        catalogue.register_supporting_process(s, email, "security")
        assert catalogue.readiness(s, email) == (False, ["security"])
        catalogue.register_supporting_process(s, email, "security", required=False)
        s.commit()
        email_id = email.id
    with factory() as s:
        result = check_supporting_processes({"service_id": email_id}, ctx(s))
        assert result == {"ready": True, "missing": [],
                          "message": "service 'E-mail' is ready for targets"}
        incident = next(p for p in s.get(Service, email_id).supporting if p.kind == "incident")
        assert (incident.status, incident.owner, incident.defined_at) == (
            "defined", "incident manager", T0)


def test_rule5_unregistered_baseline_kind_counts_as_missing(factory):
    with factory() as s:
        made = build(s)
        service = catalogue.create_service(s, "bare", "Bare", "olivia", supporting=())
        assert catalogue.readiness(s, service)[1] == [
            "availability", "change", "continuity", "incident"]
        catalogue.undefine_supporting_process(s, made["email"], "change")
        assert catalogue.readiness(s, made["email"]) == (False, ["change"])


def test_define_supporting_process_needs_owner_and_agreement(factory):
    with factory() as s:
        made = build(s, ready=False)
        with pytest.raises(ValidationError) as err:
            catalogue.define_supporting_process(s, made["email"], "incident", " ", "", T0)
        assert set(err.value.errors) == {"owner", "agreement"}
        with pytest.raises(ValidationError) as err:
            catalogue.define_supporting_process(s, made["email"], "magic", "x", "y", T0)
        assert set(err.value.errors) == {"kind"}


def test_supporting_process_owner_and_agreement_are_bounded(factory):
    with factory() as s:
        made = build(s, ready=False)
        with pytest.raises(ValidationError) as err:
            catalogue.define_supporting_process(s, made["email"], "incident", "o" * 121,
                                                "a" * 10_000_000, T0)
        assert set(err.value.errors) == {"owner", "agreement"}
        s.flush()  # nothing half-done was added to the session
        assert s.scalar(select(SupportingProcess).where(
            SupportingProcess.owner == "o" * 121)) is None


def test_catalogue_readiness_handler(factory):
    with factory() as s:
        made = build(s)
        catalogue.undefine_supporting_process(s, made["hosting"], "continuity")
        s.commit()
    with factory() as s:
        result = catalogue_readiness({}, ctx(s))
    # the retired 'legacy' service is left out; draft 'pilot' never had its processes defined
    assert [(r["key"], r["ready"], r["missing"]) for r in result["services"]] == [
        ("email", True, []),
        ("hosting", False, ["continuity"]),
        ("pilot", False, ["availability", "change", "continuity", "incident"]),
    ]
    assert result["not_ready"] == 2


def test_check_supporting_processes_unknown_service(factory):
    with factory() as s, pytest.raises(DomainError, match="service 999 does not exist"):
        check_supporting_processes({"service_id": 999}, ctx(s))


def test_configuration_items_and_their_links(factory):
    with factory() as s:
        made = build(s)
        mx = catalogue.create_ci(s, "mx-01", "Mail exchanger", "server", location="DC1")
        db = catalogue.create_ci(s, "db-01", "Mailbox DB", "database")
        with pytest.raises(ValidationError) as err:
            catalogue.create_ci(s, "mx-01", "", "server")
        assert set(err.value.errors) == {"key", "name"}
        catalogue.link_ci(s, made["email"], mx)
        catalogue.link_ci(s, made["email"], mx)
        catalogue.link_ci(s, made["email"], db)
        catalogue.update_ci(s, db, status="maintenance")
        with pytest.raises(ValidationError):
            catalogue.update_ci(s, db, key="db-02")
        s.commit()
        email_id = made["email"].id
    with factory() as s:
        email = s.get(Service, email_id)
        assert [(c.key, c.status) for c in email.cis] == [("db-01", "maintenance"),
                                                         ("mx-01", "operational")]
        catalogue.unlink_ci(s, email, email.cis[0])
        s.commit()
    with factory() as s:
        assert [c.key for c in s.get(Service, email_id).cis] == ["mx-01"]
