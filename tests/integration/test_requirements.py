"""Requirements to options on both backends: assessment (rule 6), matching (rules 3 and 4),
the customer's choice, the design specification and change requests."""
from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from catalogue_factory import T0, build, ctx, slr, wish
from sqlalchemy import select

from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import Metric, Service
from handlers.errors import DomainError, ValidationError
from handlers.outputs.changes import raise_change_request
from handlers.outputs.design import design_specification
from handlers.outputs.models import ChangeRequest, DesignSpecification
from handlers.people.models import Organisation
from handlers.requirements.models import ServiceLevelRequirement
from handlers.requirements.operations import (
    assess_requirements,
    match_catalogue,
    record_choice,
    submit_slr,
)
from handlers.reviews.models import ImprovementProposal

WITHIN_SILVER = (wish("Mail up all month", "availability", 99.5),
                 wish("Fixed within a working day", "resolution_hours", 8))
BEYOND_GOLD = (wish("Mail never down", "availability", 99.95),
               wish("Fixed within two hours", "resolution_hours", 2))


def run(factory, handler, params):
    """Call ``handler`` the way the engine does, then commit; returns its result."""
    with factory() as s:
        result = handler(params, ctx(s))
        s.commit()
    json.dumps(result)  # JSON-safe
    return result


def prepared(factory, *wishes, ready=True, catalogue_too=True):
    with factory() as s:
        made = build(s, ready=ready) if catalogue_too else _org_only(s)
        slr_id = slr(s, made, *wishes).id
        s.commit()
    return slr_id


def _org_only(s):
    acme = Organisation(key="acme", name="Acme Ltd")
    s.add(acme)
    s.flush()
    return {"acme": acme}


def test_submit_slr_validation(factory):
    with factory() as s:
        made = build(s)
        with pytest.raises(ValidationError) as err:
            submit_slr(s, made["acme"].id, "carol", " ", "", [{"metric": "availability"}], T0)
        assert set(err.value.errors) == {"title", "need", "wishes.0.text", "wishes.0.value",
                                         "wishes.0.period"}
        with pytest.raises(ValidationError) as err:
            submit_slr(s, 424242, "carol", "t", "n", "not a list", T0)
        assert set(err.value.errors) == {"organisation_id", "wishes"}


def test_a_wish_is_measurable_or_marked_for_clarification_by_the_customer(factory):
    """A half-filled wish is refused field by field (never silently demoted); ticking
    "clarify" is the only way to "not measurable yet", and nothing is stored on refusal."""
    with factory() as s:
        made = build(s)
        wishes = [wish("Mail up", "availability", 99.5, period=None),  # no period
                  wish("Quick fixes", "resolution_hours", "soon"),  # not a number
                  wish("Happy users", "satisfaction", 4.5),  # no data source
                  wish("Fast", None, None, period=None),  # nothing to measure
                  wish("Up 150 %", "availability", 150, comparator=">=")]  # no sense
        with pytest.raises(ValidationError) as err:
            submit_slr(s, made["acme"].id, "carol", "t", "n", wishes, T0)
        errors = err.value.errors
        assert errors["wishes.0.period"] == ["choose per month or per quarter"]
        assert errors["wishes.1.value"] == ["'soon' is not a number"]
        assert "cannot be measured yet" in errors["wishes.2.metric"][0]
        assert errors["wishes.3.metric"][0].startswith("choose what to measure, or tick")
        assert errors["wishes.3.value"] == ["give the level as a number"]
        assert "not between 0 and 100" in errors["wishes.4.value"][0]
        assert s.scalar(select(ServiceLevelRequirement.id)) is None
        for w in wishes:  # the same wishes, each ticked, are taken as typed
            w["clarify"] = True
        taken = submit_slr(s, made["acme"].id, "carol", "t", "n", wishes, T0)
        assert [w["value"] for w in json.loads(taken.wishes)] == [99.5, "soon", 4.5, None, 150]
        assert all(w["clarify"] for w in json.loads(taken.wishes))


def test_assessment_flags_the_wishes_to_clarify_and_never_drops_them(factory):
    slr_id = prepared(
        factory,
        wish("Mail always up", "availability", 99.5),
        wish("Happy users", "satisfaction", 4.5, clarify=True),
        wish("Fast", None, None, period=None, clarify=True),
        wish("Quick fixes", "resolution_hours", "soon", clarify=True),
        wish("Fixed within 8 hours", "resolution_hours", "8", period="quarter"),
    )
    result = run(factory, assess_requirements, {"slr_id": slr_id})
    assert result["measurable"] == [
        {"metric": "availability", "comparator": ">=", "threshold": 99.5, "period": "month",
         "text": "Mail always up"},
        {"metric": "resolution_hours", "comparator": "<=", "threshold": 8.0,
         "period": "quarter", "text": "Fixed within 8 hours"},
    ]
    asked = "you asked us to clarify how to measure it"
    assert result["flagged"] == [
        {"text": "Happy users", "reason": asked, "index": 1, "asked": True,
         "metric": "satisfaction", "comparator": None, "value": 4.5, "period": "month"},
        {"text": "Fast", "reason": asked, "index": 2, "asked": True, "metric": None,
         "comparator": None, "value": None, "period": None},
        {"text": "Quick fixes", "reason": asked, "index": 3, "asked": True,
         "metric": "resolution_hours", "comparator": None, "value": "soon", "period": "month"},
    ]
    assert (result["measurable_count"], result["flagged_count"]) == (2, 3)
    with factory() as s:
        stored = s.get(ServiceLevelRequirement, slr_id)
        assert stored.status == "assessed"
        assert json.loads(stored.assessment) == result
        # a metric that lost its data source after submission is flagged with the reason
        s.scalar(select(Metric).where(Metric.key == "availability")).data_source = None
        s.commit()
    result = run(factory, assess_requirements, {"slr_id": slr_id})
    assert result["flagged"][0]["text"] == "Mail always up"
    assert result["flagged"][0]["reason"] == (
        "metric 'availability' has no data source: it cannot be measured yet")
    assert result["flagged"][0]["asked"] is False


def test_match_ranks_fully_meeting_options_cheapest_first(factory):
    slr_id = prepared(factory, *WITHIN_SILVER)
    result = run(factory, match_catalogue, {"slr_id": slr_id})
    options = result["options"]
    assert result["fully_met"] is True
    assert [(o["label"], o["monthly_cost"], o["fully_meets"]) for o in options] == [
        ("E-mail Silver", "800.00", True),
        ("E-mail Gold", "1200.00", True),
        ("Hosting Standard", "2000.00", False),  # one miss: no resolution target at all
        ("E-mail Bronze", "500.00", False),      # two misses
    ]
    assert not any(o["customer_specific"] for o in options)  # something standard fits
    silver, _, hosting, bronze = options
    assert silver["key"] == f"opt-{silver['option_id']}"
    assert (silver["service_key"], silver["service"], silver["level"]) == (
        "email", "E-mail", "Silver")
    assert silver["per_requirement"] == [
        {"metric": "availability", "comparator": ">=", "required": 99.5, "offered": 99.5,
         "met": True, "gap": 0.0},
        {"metric": "resolution_hours", "comparator": "<=", "required": 8.0, "offered": 8.0,
         "met": True, "gap": 0.0},
    ]
    assert [(r["met"], r["offered"], r["gap"]) for r in bronze["per_requirement"]] == [
        (False, 99.0, 0.5), (False, 24.0, 16.0)]
    assert hosting["per_requirement"][1] == {
        "metric": "resolution_hours", "comparator": "<=", "required": 8.0, "offered": None,
        "met": False, "gap": None}
    with factory() as s:
        assert json.loads(s.get(ServiceLevelRequirement, slr_id).options) == options


def test_match_without_a_fit_gives_nearest_options_and_a_priced_custom_service(factory):
    slr_id = prepared(factory, *BEYOND_GOLD)
    result = run(factory, match_catalogue, {"slr_id": slr_id})
    options = result["options"]
    assert result["fully_met"] is False
    assert [o["label"] for o in options] == [
        "E-mail Gold", "E-mail Silver", "Hosting Standard", "E-mail Bronze",
        "Customer-specific service for Acme Ltd"]
    gold, custom = options[0], options[-1]
    assert [(r["met"], r["gap"]) for r in gold["per_requirement"]] == [(False, 0.05),
                                                                     (False, 2.0)]
    assert custom["key"] == "custom"
    assert custom["customer_specific"] and custom["fully_meets"]
    assert (custom["service_id"], custom["option_id"], custom["level"]) == (None, None, "Custom")
    # Gold 1200.00 * (1 + 0.05/99.95 + 2/2) + design fee 250.00
    assert custom["monthly_cost"] == "2650.60"
    assert custom["cost_basis"].startswith("nearest option E-mail Gold at 1200.00 a month")
    assert all(r["met"] for r in custom["per_requirement"])


def test_match_is_never_empty_even_without_a_catalogue(factory):
    slr_id = prepared(factory, wish("Up", "x", 1, clarify=True), catalogue_too=False)
    options = run(factory, match_catalogue, {"slr_id": slr_id})["options"]
    assert [(o["key"], o["monthly_cost"], o["per_requirement"]) for o in options] == [
        ("custom", "1250.00", [])]
    assert "no standard option" in options[0]["cost_basis"]


def test_draft_retired_and_customer_specific_services_are_not_offered(factory):
    slr_id = prepared(factory, wish("Up", "availability", 99.0))
    with factory() as s:
        acme = s.scalar(select(Organisation).where(Organisation.key == "acme"))
        own = catalogue.create_service(s, "acme-own", "Acme own", "olivia", status="live",
                                       organisation_id=acme.id)
        catalogue.create_option(s, own, "Only", "1.00")
        s.commit()
    labels = [o["label"] for o in run(factory, match_catalogue, {"slr_id": slr_id})["options"]]
    assert labels == ["E-mail Bronze", "E-mail Silver", "E-mail Gold", "Hosting Standard"]


def test_record_choice(factory):
    slr_id = prepared(factory, *WITHIN_SILVER)
    options = run(factory, match_catalogue, {"slr_id": slr_id})["options"]
    gold = options[1]
    result = run(factory, record_choice, {"slr_id": slr_id, "option_key": gold["key"]})
    assert result == {"option_key": gold["key"], "customer_specific": False,
                      "service_id": gold["service_id"], "option_id": gold["option_id"],
                      "monthly_cost": "1200.00"}
    with factory() as s:
        stored = json.loads(s.get(ServiceLevelRequirement, slr_id).options)
        assert [o["key"] for o in stored if o["chosen"]] == [gold["key"]]
        with pytest.raises(DomainError, match="option 'custom' is not on requirement"):
            record_choice({"slr_id": slr_id, "option_key": "custom"}, ctx(s))


def test_design_specification_creates_a_draft_customer_specific_service(factory):
    slr_id = prepared(factory, *BEYOND_GOLD, wish("Happy", "satisfaction", 4, clarify=True))
    run(factory, match_catalogue, {"slr_id": slr_id})
    run(factory, record_choice, {"slr_id": slr_id, "option_key": "custom"})
    result = run(factory, design_specification, {"slr_id": slr_id})
    assert result["estimated_monthly_cost"] == "2650.60"
    with factory() as s:
        spec = s.get(DesignSpecification, result["design_spec_id"])
        service = s.get(Service, result["service_id"])
        acme = s.scalar(select(Organisation).where(Organisation.key == "acme"))
        assert (spec.slr_id, spec.organisation_id, spec.estimated_monthly_cost) == (
            slr_id, acme.id, Decimal("2650.60"))
        assert (service.status, service.organisation_id, service.owner) == (
            "draft", acme.id, "Service Level Manager")  # the provider owns it
        [custom] = service.options
        assert (custom.name, str(custom.monthly_cost)) == ("Custom", "2650.60")
        assert sorted((t.metric.key, t.comparator, t.threshold) for t in custom.targets) == [
            ("availability", ">=", 99.95), ("resolution_hours", "<=", 2.0)]
        assert [(p.kind, p.status) for p in service.supporting] == [
            ("availability", "undefined"), ("change", "undefined"),
            ("continuity", "undefined"), ("incident", "undefined")]
        assert catalogue.readiness(s, service)[0] is False
        content = json.loads(spec.content)
        assert [o["label"] for o in content["nearest"]] == [
            "E-mail Gold", "E-mail Silver", "Hosting Standard"]
        assert content["nearest"][0]["per_requirement"][0]["gap"] == 0.05
        assert content["estimate"]["monthly_cost"] == "2650.60"
        assert "design fee 250.00" in content["estimate"]["basis"]
        assert [f["text"] for f in content["flagged"]] == ["Happy"]
        assert len(content["requirements"]) == 2
    assert run(factory, design_specification, {"slr_id": slr_id}) == result  # made once


def test_change_request_for_a_design_specification(factory):
    slr_id = prepared(factory, *BEYOND_GOLD)
    spec_id = run(factory, design_specification, {"slr_id": slr_id})["design_spec_id"]
    [change] = run(factory, raise_change_request, {"design_spec_id": spec_id})["change_requests"]
    assert change["reference"] == f"CR-2026-{change['id']:04d}"
    assert change["title"] == "Design of a customer-specific service: Mail for sales"
    with factory() as s:
        stored = s.get(ChangeRequest, change["id"])
        assert (stored.status, stored.design_spec_id, stored.created_by) == (
            "open", spec_id, "mike")
        assert "Estimated monthly cost: 2650.60" in stored.description
        assert "- availability >= 99.95 per month" in stored.description
    again = run(factory, raise_change_request, {"design_spec_id": spec_id})
    assert again["change_requests"] == [change]


def test_change_request_per_accepted_proposal(factory):
    with factory() as s:
        proposals = [ImprovementProposal(title=t, description=f"{t}.", reason="breach",
                                         status=st, created_by="mike", created_at=T0)
                     for t, st in (("Faster restore", "accepted"), ("More disks", "proposed"),
                                   ("Nothing", "rejected"))]
        s.add_all(proposals)
        s.commit()
        ids = [p.id for p in proposals]
    result = run(factory, raise_change_request, {"proposal_ids": ids[:2]})
    assert [c["title"] for c in result["change_requests"]] == [
        "Improvement: Faster restore", "Improvement: More disks"]
    assert all(re.fullmatch(r"CR-2026-\d{4}", c["reference"])
               for c in result["change_requests"])
    with factory() as s:
        assert s.get(ImprovementProposal, ids[1]).status == "accepted"
        with pytest.raises(DomainError, match="was rejected"):
            raise_change_request({"proposal_ids": [ids[2]]}, ctx(s))
        with pytest.raises(DomainError, match="does not exist"):
            raise_change_request({"proposal_ids": [999999]}, ctx(s))
    assert run(factory, raise_change_request, {"proposal_ids": ids[:1]})[
        "change_requests"] == result["change_requests"][:1]
    alone = run(factory, raise_change_request, {"title": "Add a spam filter"})
    assert [c["title"] for c in alone["change_requests"]] == ["Add a spam filter"]
    assert run(factory, raise_change_request, {}) == {"change_requests": []}
    with factory() as s:
        assert len(s.scalars(select(ChangeRequest)).all()) == 3
