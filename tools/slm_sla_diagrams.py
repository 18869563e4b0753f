"""The SLM diagrams of one SLA: its agreement (requirements to an active SLA) and its review."""
from __future__ import annotations

from bpmn_description import Diagram, Flow, end, script, service, start, timer, user, xor
from slm_roles import CUSTOMER, MANAGER, OWNER


def sla_agreement() -> Diagram:
    C, M, P = CUSTOMER, MANAGER, OWNER
    nodes = [
        start("requirements_submitted", "Requirements submitted", C, 0),
        service("assess_slr", "Assess the requirements", M, 1, "assess_requirements",
                {"slr_id": "slr_id"}, "assessment"),
        xor("clarify_round", "", M, 2),
        service("find_unclear", "Find the next wish to clarify", M, 3, "next_clarification",
                {"slr_id": "slr_id"}, "clarification"),
        xor("wish_unclear", "A wish to clarify?", M, 4),
        script("prepare_clarification", "Prepare the clarification", M, 5,
               'metric_choices = clarification["metrics"]\nanswer = ""\nmetric = ""\n'
               'comparator = ""\nvalue = None\nperiod = ""', row=1),
        user("clarify_wish", "Clarify the customer's wish", M, 6, "clarify_wish.schema.json",
             "The customer could not say how to measure the wish shown below and asked us "
             "to clarify it. Answer them in words: the answer goes to the customer and into "
             "the requirement's conversation. When you can, also say how it will be "
             "measured (metric, level and period): the wish then counts as a measurable "
             "requirement when the catalogue is matched. Never refuse: offer the nearest "
             "measurable level.", due="P2D", row=1),
        service("answer_wish", "Send the answer to the customer", M, 7,
                "record_clarification",
                {"slr_id": "slr_id", "index": 'clarification["index"]', "answer": "answer",
                 "metric": "metric", "comparator": "comparator", "value": "value",
                 "period": "period"}, "clarified", row=1),
        service("match_slr", "Match the requirements to the catalogue", M, 5,
                "match_catalogue", {"slr_id": "slr_id"}, "catalogue"),
        script("list_options", "List the service level options", M, 6,
               'options = catalogue["options"]'),
        user("choose_option", "Choose a service level option", C, 7, "choose_option.schema.json",
             "Compare the service level options below: each shows its monthly cost and, for "
             "each of your requirements, whether it is met and by how much it falls short. "
             "Choose the option you need. If no standard option fits, choose the "
             "customer-specific service: we will design it for you.", due="P5D"),
        service("record_option", "Record the customer's choice", M, 8, "record_choice",
                {"slr_id": "slr_id", "option_key": "option_key"}, "choice"),
        xor("is_customer_specific", "Customer-specific service?", M, 9),
        service("write_design", "Write the service design specification", M, 10,
                "design_specification", {"slr_id": "slr_id"}, "design", row=1),
        service("request_build", "Raise a change request to build the service", M, 11,
                "raise_change_request",
                {"design_spec_id": 'design["design_spec_id"]',
                 "title": '"Build customer-specific service"',
                 "description": '"Design and build the customer-specific service described in '
                                'the design specification, to the levels the customer '
                                'requires."',
                 "proposal_ids": "[]"}, "design_change", row=1),
        script("use_new_service", "Use the new service", M, 12,
               'service_id = design["service_id"]', row=1),
        script("use_standard_service", "Use the chosen standard service", M, 11,
               'service_id = choice["service_id"]'),
        xor("service_known", "", M, 13),
        xor("recheck_supporting", "", M, 14),
        service("check_supporting", "Check the supporting processes", M, 15,
                "check_supporting_processes", {"service_id": "service_id"}, "gate"),
        xor("supporting_defined", "All supporting processes defined?", M, 16),
        user("define_supporting", "Define the missing supporting processes", P, 16,
             "define_supporting.schema.json",
             "No targets can be agreed for this service until all its supporting processes "
             "are defined. Define the missing supporting processes listed below (owner and "
             "the OLA or underpinning contract of each) in the supporting process register, "
             "then confirm here.", due="P5D"),
        service("draft_first", "Draft the SLA", M, 17, "draft_sla",
                {"slr_id": "slr_id", "option_key": 'choice["option_key"]', "sla_id": "None",
                 "changes": "None", "comment": '""', "author": '"system"'}, "draft"),
        xor("draft_ready", "", M, 18),
        script("note_draft", "Note the draft version", M, 19,
               'sla_id = draft["sla_id"]\nmetrics = draft["metrics"]\n'
               'requested_changes = {}\ncomment = ""'),
        user("review_draft", "Review the SLA draft", C, 20, "review_draft.schema.json",
             "Read the SLA draft: its targets, service hours, monthly cost and review cycle, "
             "and what changed since the previous version. Accept it, or make a "
             "counter-proposal: say which targets or which review cycle you need instead.",
             due="P5D"),
        xor("draft_accepted", "Draft accepted?", C, 21),
        user("approve_agreement", "Approve the agreement", M, 22,
             "approve_agreement.schema.json",
             "The customer accepted this SLA version. Check that every target is measurable "
             "and deliverable and that the cost is right, then approve the agreement or send "
             "it back for revision.", due="P2D"),
        xor("agreement_approved", "Agreement approved?", M, 23),
        xor("revision_needed", "", M, 23, row=1),
        script("prepare_revision", "Prepare the revision", M, 24,
               'changes = requested_changes\nfeedback = comment\ncomment = ""', row=1),
        user("revise_sla", "Revise the SLA", M, 25, "revise_sla.schema.json",
             "Work out a new version of the SLA that answers the customer's counter-proposal "
             "or the approval remarks. Never refuse: offer the nearest measurable targets "
             "and say what they cost. Explain the change in the comment.", due="P2D", row=1),
        service("draft_revision", "Draft the revised SLA", M, 26, "draft_sla",
                {"slr_id": "slr_id", "option_key": 'choice["option_key"]', "sla_id": "sla_id",
                 "changes": "changes", "comment": "comment", "author": '"manager"'},
                "draft", row=1),
        service("activate", "Activate the SLA", M, 24, "activate_sla",
                {"sla_id": "sla_id", "months": "12"}, "activation"),
        xor("review_cycle", "", M, 25),
        timer("next_review_due", "Next review due", M, 26, 'activation["review_interval"]'),
        service("check_review_due", "Check whether the SLA is still valid", M, 27, "review_due",
                {"sla_id": "sla_id"}, "due"),
        xor("sla_continues", "SLA still valid?", M, 28),
        service("begin_review", "Start the service performance review", M, 29, "start_review",
                {"sla_id": "sla_id"}, "review"),
        end("sla_ended", "SLA ended", M, 28, row=1),
    ]
    flows = [
        Flow("requirements_submitted", "assess_slr"),
        Flow("assess_slr", "clarify_round"),
        Flow("clarify_round", "find_unclear"),
        Flow("find_unclear", "wish_unclear"),
        Flow("wish_unclear", "prepare_clarification", "Yes",
             condition='clarification["pending"]'),
        Flow("wish_unclear", "match_slr", "No", default=True),
        Flow("prepare_clarification", "clarify_wish"),
        Flow("clarify_wish", "answer_wish"),
        Flow("answer_wish", "clarify_round", exit="b", entry="b"),
        Flow("match_slr", "list_options"),
        Flow("list_options", "choose_option"),
        Flow("choose_option", "record_option"),
        Flow("record_option", "is_customer_specific"),
        Flow("is_customer_specific", "write_design", "Yes",
             condition='choice["customer_specific"]'),
        Flow("is_customer_specific", "use_standard_service", "No", default=True),
        Flow("write_design", "request_build"),
        Flow("request_build", "use_new_service"),
        Flow("use_new_service", "service_known"),
        Flow("use_standard_service", "service_known"),
        Flow("service_known", "recheck_supporting"),
        Flow("recheck_supporting", "check_supporting"),
        Flow("check_supporting", "supporting_defined"),
        Flow("supporting_defined", "draft_first", "Yes", condition='gate["ready"]'),
        Flow("supporting_defined", "define_supporting", "No", default=True),
        Flow("define_supporting", "recheck_supporting"),
        Flow("draft_first", "draft_ready"),
        Flow("draft_ready", "note_draft"),
        Flow("note_draft", "review_draft"),
        Flow("review_draft", "draft_accepted"),
        Flow("draft_accepted", "approve_agreement", "Accepted",
             condition='decision == "accept"', exit="r", entry="t"),
        Flow("draft_accepted", "revision_needed", "Counter-proposal", default=True,
             exit="b", entry="l"),
        Flow("approve_agreement", "agreement_approved"),
        Flow("agreement_approved", "activate", "Approved", condition='decision == "approve"'),
        Flow("agreement_approved", "revision_needed", "Revise", default=True),
        Flow("revision_needed", "prepare_revision"),
        Flow("prepare_revision", "revise_sla"),
        Flow("revise_sla", "draft_revision"),
        Flow("draft_revision", "draft_ready", exit="b", entry="b"),
        Flow("activate", "review_cycle"),
        Flow("review_cycle", "next_review_due"),
        Flow("next_review_due", "check_review_due"),
        Flow("check_review_due", "sla_continues"),
        Flow("sla_continues", "begin_review", "Yes", condition='due["continue"]'),
        Flow("sla_continues", "sla_ended", "No", default=True),
        Flow("begin_review", "review_cycle", exit="t", entry="t"),
    ]
    return Diagram("sla_agreement", "SLA agreement", [C, M, P], nodes, flows,
                   "From a customer's service level requirements to an active SLA: assess, "
                   "clarify with the customer each wish they could not make measurable, "
                   "offer options from the catalogue, design a customer-specific service when "
                   "needed, wait for the supporting processes, draft and negotiate the SLA, "
                   "approve and activate it, then start a performance review every cycle "
                   "until the SLA ends.")


def service_performance_review() -> Diagram:
    C, M = CUSTOMER, MANAGER
    nodes = [
        start("review_period_ended", "Review period ended", M, 0),
        service("compute", "Compute the service level attainment", M, 1, "compute_attainment",
                {"review_id": "review_id"}, "attainment"),
        service("build_report", "Build the customer report", M, 2, "build_customer_report",
                {"review_id": "review_id"}, "report"),
        script("prepare_discussion", "Prepare the discussion", M, 3,
               'notes = ""\ndiscussion = ""\nideas = []'),
        user("discuss_results", "Discuss the results", C, 4, "discuss_results.schema.json",
             "Read the service report for this period: every target with the level attained, "
             "breaches, trends and the observations you recorded. Say whether you agree with "
             "the results and note what you want discussed or improved.", due="P5D"),
        user("record_the_review", "Record the review", M, 5, "record_review.schema.json",
             "Write down the discussion with the customer and the review record (conclusions "
             "and agreed actions). List any improvement ideas: they become improvement "
             "proposals next to those raised by breaches, trends and observations.",
             due="P2D"),
        service("store_review", "Store the review record", M, 6, "record_review",
                {"review_id": "review_id", "discussion": "discussion", "record": "record"},
                "review_record"),
        service("propose", "Propose improvements", M, 7, "propose_improvements",
                {"review_id": "review_id", "ideas": "ideas", "scope": '"service"'},
                "improvements"),
        script("list_proposals", "List the improvement proposals", M, 8,
               'proposals = improvements["proposals"]\naccepted = []'),
        user("decide_improvements", "Decide on improvements", M, 9,
             "decide_improvements.schema.json",
             "Choose the improvement proposals to carry out. A change request is raised for "
             "each proposal you accept; the others stay on record as proposed.", due="P5D"),
        xor("any_accepted", "Any improvement accepted?", M, 10),
        service("raise_changes", "Raise change requests", M, 11, "raise_change_request",
                {"proposal_ids": "accepted", "design_spec_id": "None", "title": '""',
                 "description": '""'}, "changes"),
        end("review_closed", "Review closed", M, 12),
        end("review_closed_unchanged", "Review closed without changes", M, 11, row=1),
    ]
    flows = [
        Flow("review_period_ended", "compute"),
        Flow("compute", "build_report"),
        Flow("build_report", "prepare_discussion"),
        Flow("prepare_discussion", "discuss_results"),
        Flow("discuss_results", "record_the_review"),
        Flow("record_the_review", "store_review"),
        Flow("store_review", "propose"),
        Flow("propose", "list_proposals"),
        Flow("list_proposals", "decide_improvements"),
        Flow("decide_improvements", "any_accepted"),
        Flow("any_accepted", "raise_changes", "Yes", condition="len(accepted) > 0"),
        Flow("any_accepted", "review_closed_unchanged", "No", default=True),
        Flow("raise_changes", "review_closed"),
    ]
    return Diagram("service_performance_review", "Service performance review", [C, M], nodes,
                   flows,
                   "One review cycle of one SLA: attainment from the measurements, the customer "
                   "report, the discussion with the customer, the review record, improvement "
                   "proposals and the change requests they lead to.")
