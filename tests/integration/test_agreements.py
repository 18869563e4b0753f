"""SLAs on both backends: drafting (rules 5 and 6), negotiation versions and diffs,
activation, the review cycle's end, termination."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from catalogue_factory import T0, build, ctx, define_all, slr, wish
from sqlalchemy import func, select

from handlers.agreements.models import ServiceLevelAgreement, SLAVersion
from handlers.agreements.negotiation import apply_changes
from handlers.agreements.operations import (
    activate_sla,
    diff_terms,
    draft_sla,
    review_due,
    sla_versions,
    terminate_sla,
    version_diff,
)
from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import Metric, Service
from handlers.errors import DomainError, NotReadyForTargetsError, ValidationError
from handlers.outputs.design import design_specification
from handlers.requirements.models import ServiceLevelRequirement
from handlers.requirements.operations import match_catalogue, record_choice

WITHIN_SILVER = (wish("Mail up all month", "availability", 99.5),
                 wish("Fixed within a working day", "resolution_hours", 8))
BEYOND_GOLD = (wish("Mail never down", "availability", 99.95),
               wish("Fixed within two hours", "resolution_hours", 2))


def run(factory, handler, params, now=T0):
    with factory() as s:
        result = handler(params, ctx(s, now=now))
        s.commit()
    json.dumps(result)
    return result


def chosen(factory, wishes=WITHIN_SILVER, pick=0, ready=True):
    """(slr id, option key) after matching and recording the customer's choice."""
    with factory() as s:
        made = build(s, ready=ready)
        slr_id = slr(s, made, *wishes).id
        s.commit()
    options = run(factory, match_catalogue, {"slr_id": slr_id})["options"]
    key = options[pick]["key"] if isinstance(pick, int) else pick
    run(factory, record_choice, {"slr_id": slr_id, "option_key": key})
    return slr_id, key


def drafted(factory, **kwargs):
    slr_id, key = chosen(factory, **kwargs)
    return run(factory, draft_sla, {"slr_id": slr_id, "option_key": key})


def negotiate(factory, sla_id, changes, comment="", author=""):
    return run(factory, draft_sla, {"slr_id": None, "option_key": None, "sla_id": sla_id,
                                    "changes": changes, "comment": comment, "author": author})


def version_count(factory, sla_id):
    with factory() as s:
        return s.scalar(select(func.count()).where(SLAVersion.sla_id == sla_id))


def test_first_draft_takes_the_terms_of_the_chosen_option(factory):
    result = drafted(factory)
    assert result["reference"] == f"SLA-2026-{result['sla_id']:04d}"
    assert (result["version"], result["diff"], result["diff_text"]) == (1, [], "first version")
    assert result["metrics"] == ["availability", "resolution_hours"]
    with factory() as s:
        sla = s.get(ServiceLevelAgreement, result["sla_id"])
        assert (sla.status, sla.current_version, sla.title) == (
            "negotiating", 1, "E-mail Silver for Acme Ltd")
        assert (sla.organisation.key, sla.service.key, sla.created_at) == ("acme", "email", T0)
        [v1] = sla.versions
        assert (v1.number, v1.author, v1.comment) == (1, "mike", "first draft")
        assert json.loads(v1.terms) == {
            "service": "E-mail", "level": "Silver",
            "targets": [
                {"metric": "availability", "name": "Availability", "unit": "%",
                 "comparator": ">=", "threshold": 99.5, "period": "month"},
                {"metric": "resolution_hours", "name": "Resolution time", "unit": "hours",
                 "comparator": "<=", "threshold": 8.0, "period": "month"}],
            "service_hours": "Mon-Fri 08:00-18:00", "timezone": "Europe/Berlin",
            "monthly_cost": "800.00", "review_cycle": "P1M",
            "parties": {"customer": "Acme Ltd", "provider": "IT Services"},
            "validity": {"months": 12}}


def test_rule5_draft_refused_while_supporting_processes_are_undefined(factory):
    slr_id, key = chosen(factory, ready=False)
    with factory() as s:
        with pytest.raises(NotReadyForTargetsError) as err:
            draft_sla({"slr_id": slr_id, "option_key": key}, ctx(s))
        assert str(err.value) == ("service 'E-mail' cannot have targets yet: supporting "
                                  "processes not defined: availability, change, continuity, "
                                  "incident")
        assert err.value.missing == ["availability", "change", "continuity", "incident"]
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(ServiceLevelAgreement)) == 0


def test_rule6_draft_refused_when_a_target_cannot_be_measured(factory):
    slr_id, key = chosen(factory)
    with factory() as s:
        metric = s.scalar(select(Metric).where(Metric.key == "availability"))
        catalogue.update_metric(s, metric, data_source="")
        with pytest.raises(DomainError) as err:
            draft_sla({"slr_id": slr_id, "option_key": key}, ctx(s))
    assert str(err.value) == ("targets cannot be measured: target availability metric: "
                              "metric 'availability' has no data source: it cannot be measured")


def test_draft_refuses_an_option_not_on_the_list(factory):
    slr_id, _ = chosen(factory)
    with factory() as s, pytest.raises(DomainError, match="option 'opt-0' is not on"):
        draft_sla({"slr_id": slr_id, "option_key": "opt-0"}, ctx(s))


def test_counter_proposal_makes_version_2_with_a_readable_diff(factory):
    sla_id = drafted(factory)["sla_id"]
    result = negotiate(factory, sla_id, {
        "targets": [{"metric": "availability", "threshold": 99.9}], "monthly_cost": 950,
        "review_cycle": "P3M", "comment": "we need more"}, author="carol")
    assert result["version"] == 2
    assert result["diff"] == [
        {"field": "targets.availability", "before": ">= 99.5 %", "after": ">= 99.9 %",
         "text": "Availability target: >= 99.5 % -> >= 99.9 %"},
        {"field": "monthly_cost", "before": "800.00", "after": "950.00",
         "text": "monthly cost: 800.00 -> 950.00"},
        {"field": "review_cycle", "before": "monthly", "after": "quarterly",
         "text": "review cycle: monthly -> quarterly"}]
    assert result["diff_text"] == ("Availability target: >= 99.5 % -> >= 99.9 %; "
                                   "monthly cost: 800.00 -> 950.00; "
                                   "review cycle: monthly -> quarterly")
    [v1, v2] = sla_versions_of(factory, sla_id)
    assert (v2["author"], v2["comment"], v2["created_at"]) == ("carol", "we need more",
                                                               T0.isoformat())
    assert v1["terms"]["targets"][0]["threshold"] == 99.5  # version 1 is untouched


def sla_versions_of(factory, sla_id):
    with factory() as s:
        return sla_versions(s, sla_id)


def test_diff_between_any_two_of_three_versions_and_all_are_kept(factory):
    sla_id = drafted(factory)["sla_id"]
    negotiate(factory, sla_id, {"targets": [{"metric": "availability", "threshold": 99.9}]})
    negotiate(factory, sla_id, {"targets": [{"metric": "resolution_hours", "threshold": 4,
                                             "period": "quarter"}],
                                "service_hours": "24x7"})
    versions = sla_versions_of(factory, sla_id)
    assert [v["number"] for v in versions] == [1, 2, 3]
    with factory() as s:
        assert [d["text"] for d in version_diff(s, sla_id, 1, 3)] == [
            "Availability target: >= 99.5 % -> >= 99.9 %",
            "Resolution time target: <= 8 hours per month -> <= 4 hours per quarter",
            "service hours: Mon-Fri 08:00-18:00 -> 24x7"]
        assert [d["text"] for d in version_diff(s, sla_id, 3, 1)] == [
            "Availability target: >= 99.9 % -> >= 99.5 %",
            "Resolution time target: <= 4 hours per quarter -> <= 8 hours per month",
            "service hours: 24x7 -> Mon-Fri 08:00-18:00"]
        assert [d["field"] for d in version_diff(s, sla_id, 2, 3)] == [
            "targets.resolution_hours", "service_hours"]
        assert version_diff(s, sla_id, 2, 2) == []
        with pytest.raises(DomainError, match="has no version 4"):
            version_diff(s, sla_id, 1, 4)
    assert diff_terms(versions[0]["terms"], versions[1]["terms"])[0]["after"] == ">= 99.9 %"


def test_targets_can_be_added_and_removed(factory):
    sla_id = drafted(factory)["sla_id"]
    with factory() as s:
        catalogue.create_metric(s, "response_ms", "Response time", "ms", "lower",
                                data_source="synthetic probes")
        s.commit()
    result = negotiate(factory, sla_id, {"targets": [
        {"metric": "response_ms", "threshold": 300, "period": "month"},
        {"metric": "resolution_hours", "remove": True}]})
    assert [d["text"] for d in result["diff"]] == [
        "Resolution time target removed (was <= 8 hours per month)",
        "Response time target added: <= 300 ms per month"]
    assert result["metrics"] == ["availability", "response_ms"]


@pytest.mark.parametrize("changes, field", [
    ({"review_cycle": "monthly"}, "review_cycle"),
    ({"targets": [{"metric": "availability", "threshold": "high"}]}, "targets.0.threshold"),
    ({"targets": [{"threshold": 1}]}, "targets.0.metric"),
    ({"targets": [{"metric": "nps", "threshold": 1}]}, "targets.0.metric"),
    ({"monthly_cost": -1}, "monthly_cost"),
    ({"service_hours": " "}, "service_hours"),
    ({"price": 5}, "price"),
])
def test_invalid_changes_are_refused_by_field(factory, changes, field):
    sla_id = drafted(factory)["sla_id"]
    with factory() as s, pytest.raises(ValidationError) as err:
        draft_sla({"sla_id": sla_id, "changes": changes}, ctx(s))
    assert field in err.value.errors
    assert version_count(factory, sla_id) == 1


def test_rule6_new_target_without_data_source_or_period_is_refused(factory):
    sla_id = drafted(factory)["sla_id"]
    with factory() as s:
        catalogue.create_metric(s, "response_ms", "Response time", "ms", "lower",
                                data_source="probes")
        s.commit()
    with factory() as s:
        with pytest.raises(DomainError, match="metric 'satisfaction' has no data source"):
            draft_sla({"sla_id": sla_id, "changes": {"targets": [
                {"metric": "satisfaction", "threshold": 4, "period": "month"}]}}, ctx(s))
        with pytest.raises(DomainError, match="target response_ms period: period is missing"):
            draft_sla({"sla_id": sla_id, "changes": {"targets": [
                {"metric": "response_ms", "threshold": 300}]}}, ctx(s))
    assert version_count(factory, sla_id) == 1


def test_no_changes_make_no_new_version(factory):
    sla_id = drafted(factory)["sla_id"]
    result = negotiate(factory, sla_id, {"targets": [{"metric": "availability",
                                                      "threshold": 99.5}]})
    assert (result["version"], result["diff"], result["diff_text"]) == (1, [], "no changes")


def test_activation_starts_validity_and_review_interval(factory):
    result = drafted(factory)
    sla_id = result["sla_id"]
    activated = run(factory, activate_sla, {"sla_id": sla_id})
    assert activated == {"status": "active", "valid_from": "2026-01-05",
                         "valid_until": "2027-01-05", "review_interval": "P1M"}
    with factory() as s:
        sla = s.get(ServiceLevelAgreement, sla_id)
        assert sla.activated_at == T0
        assert s.get(ServiceLevelRequirement, sla.slr_id).status == "agreed"
        with pytest.raises(DomainError, match="is active: its terms can no longer"):
            draft_sla({"sla_id": sla_id, "changes": {"monthly_cost": 1}}, ctx(s))
        with pytest.raises(DomainError, match="cannot be activated"):
            activate_sla({"sla_id": sla_id}, ctx(s))


def test_activation_months_from_params_or_negotiated_validity(factory):
    sla_id = drafted(factory)["sla_id"]
    negotiate(factory, sla_id, {"validity_months": 24})
    assert run(factory, activate_sla, {"sla_id": sla_id, "months": None})[
        "valid_until"] == "2028-01-05"
    with factory() as s:
        sla = s.get(ServiceLevelAgreement, sla_id)
        sla.status = "agreed"
        s.commit()
    assert run(factory, activate_sla, {"sla_id": sla_id, "months": 6})[
        "valid_until"] == "2026-07-05"


def test_rule5_activation_refused_while_not_ready(factory):
    sla_id = drafted(factory)["sla_id"]
    with factory() as s:
        email = s.scalar(select(Service).where(Service.key == "email"))
        catalogue.undefine_supporting_process(s, email, "change")
        s.commit()
    with factory() as s:
        with pytest.raises(NotReadyForTargetsError, match="not defined: change"):
            activate_sla({"sla_id": sla_id}, ctx(s))
    with factory() as s:
        assert s.get(ServiceLevelAgreement, sla_id).status == "negotiating"
        email = s.scalar(select(Service).where(Service.key == "email"))
        catalogue.define_supporting_process(s, email, "change", "cab", "OLA-change", T0)
        s.commit()
    assert run(factory, activate_sla, {"sla_id": sla_id})["status"] == "active"


def test_review_due_until_validity_ends_then_expired(factory):
    sla_id = drafted(factory)["sla_id"]
    assert run(factory, review_due, {"sla_id": sla_id}) == {"continue": False}  # not active
    run(factory, activate_sla, {"sla_id": sla_id, "months": 12})
    assert run(factory, review_due, {"sla_id": sla_id}, T0 + timedelta(days=31)) == {
        "continue": True}
    assert run(factory, review_due, {"sla_id": sla_id}, T0.replace(year=2027, day=4)) == {
        "continue": True}
    # on the end date the SLA expires, but the period just ended (December) is still reviewed
    assert run(factory, review_due, {"sla_id": sla_id}, T0.replace(year=2027)) == {
        "continue": True}
    with factory() as s:
        assert s.get(ServiceLevelAgreement, sla_id).status == "expired"
    # January 2027 began while the SLA was still in force (until the end date)...
    assert run(factory, review_due, {"sla_id": sla_id}, T0.replace(year=2027, month=2)) == {
        "continue": True}
    # ...February did not: the cycle stops
    assert run(factory, review_due, {"sla_id": sla_id}, T0.replace(year=2027, month=3)) == {
        "continue": False}
    with factory() as s:
        with pytest.raises(DomainError, match="already ended"):
            terminate_sla(s, s.get(ServiceLevelAgreement, sla_id), T0)


def test_terminated_sla_stops_its_review_cycle(factory):
    sla_id = drafted(factory)["sla_id"]
    run(factory, activate_sla, {"sla_id": sla_id})
    with factory() as s:
        sla = terminate_sla(s, s.get(ServiceLevelAgreement, sla_id), T0 + timedelta(days=40))
        assert (sla.status, sla.valid_until) == ("terminated", date(2026, 2, 14))
        s.commit()
    # February (in force until the 14th) is still reviewed; March is not
    assert run(factory, review_due, {"sla_id": sla_id}, datetime(2026, 3, 10, 9)) == {
        "continue": True}
    assert run(factory, review_due, {"sla_id": sla_id}, datetime(2026, 4, 10, 9)) == {
        "continue": False}


def test_customer_specific_path_from_design_to_active_sla(factory):
    slr_id, key = chosen(factory, wishes=BEYOND_GOLD, pick="custom")
    with factory() as s, pytest.raises(DomainError, match="no design specification yet"):
        draft_sla({"slr_id": slr_id, "option_key": key}, ctx(s))
    service_id = run(factory, design_specification, {"slr_id": slr_id})["service_id"]
    with factory() as s, pytest.raises(NotReadyForTargetsError) as err:
        draft_sla({"slr_id": slr_id, "option_key": key}, ctx(s))
    assert str(err.value) == ("service 'Mail for sales (Acme Ltd)' cannot have targets yet: "
                              "supporting processes not defined: availability, change, "
                              "continuity, incident")
    with factory() as s:
        define_all(s, s.get(Service, service_id))
        s.commit()
    result = run(factory, draft_sla, {"slr_id": slr_id, "option_key": "custom"})
    [v1] = sla_versions_of(factory, result["sla_id"])
    assert (v1["terms"]["level"], v1["terms"]["monthly_cost"]) == ("Custom", "2650.60")
    assert [(t["metric"], t["threshold"]) for t in v1["terms"]["targets"]] == [
        ("availability", 99.95), ("resolution_hours", 2.0)]
    assert run(factory, activate_sla, {"sla_id": result["sla_id"]})["status"] == "active"


TERMS = {
    "service": "E-mail", "level": "Silver",
    "targets": [{"metric": "availability", "name": "Availability", "unit": "%",
                 "comparator": ">=", "threshold": 99.5, "period": "month"}],
    "service_hours": "24x7", "timezone": "UTC", "monthly_cost": "800.00",
    "review_cycle": "P1M", "parties": {"customer": "Acme Ltd", "provider": "IT"},
    "validity": {"months": 12},
}


def test_apply_changes_leaves_the_old_terms_alone_and_diff_reads_well(factory):
    with factory() as s:
        build(s)
        new = apply_changes(s, TERMS, {"targets": [{"metric": "availability",
                                                    "threshold": 99.9}],
                                       "validity_months": 24, "timezone": "Europe/Berlin"})
    assert TERMS["targets"][0]["threshold"] == 99.5
    assert [d["text"] for d in diff_terms(TERMS, new)] == [
        "Availability target: >= 99.5 % -> >= 99.9 %",
        "timezone: UTC -> Europe/Berlin",
        "validity (months): 12 -> 24"]
    assert diff_terms(TERMS, TERMS) == []
