"""The SLM diagrams of the process itself: its definition and its monthly management."""
from __future__ import annotations

from bpmn_description import Diagram, Flow, end, rule, script, service, start, timer, user, xor
from slm_roles import MANAGER, OWNER


def slm_process_definition() -> Diagram:
    M, P = MANAGER, OWNER
    nodes = [
        start("definition_started", "Process definition started", P, 0),
        xor("plan_again", "", P, 1),
        user("plan_process", "Plan the SLM process", P, 2, "plan_process.schema.json",
             "Plan how service level management will work here, with future improvements in "
             "mind: state the objectives of the process and the default review cycle for new "
             "SLAs.", due="P5D"),
        user("maintain_catalogue", "Maintain the service catalogue and costs", M, 3,
             "confirm_catalogue.schema.json",
             "Bring the service catalogue up to date: every service with its service level "
             "options, their measurable targets and the monthly cost of each level. Confirm "
             "when the catalogue is ready for customers to choose from.", due="P5D"),
        service("check_catalogue", "Check the catalogue readiness", M, 4, "catalogue_readiness",
                {}, "readiness"),
        user("register_supporting", "Register the supporting processes", P, 5,
             "register_supporting.schema.json",
             "For every service that is not ready for targets, register its supporting "
             "processes (incident, problem, change, capacity, availability, continuity...) "
             "with their owners and their OLAs or underpinning contracts.", due="P5D"),
        user("approve_definition", "Approve the process definition", P, 6,
             "approve_definition.schema.json",
             "Review the plan, the catalogue and the supporting process register. Approve the "
             "process definition, or send it back to planning with your reasons.", due="P5D"),
        xor("definition_approved", "Definition approved?", P, 7),
        xor("improvement_cycle", "", P, 8),
        timer("quarter_passed", "Quarter passed", P, 9, '"P3M"'),
        script("prepare_improvement", "Prepare the improvement round", P, 10,
               "ideas = []\nstop = False"),
        user("improve_process", "Improve the SLM process", P, 11, "improve_process.schema.json",
             "Look back on the last quarter of service level management: what worked, what "
             "did not, what the customers and the managers said. List your improvement ideas "
             "for the process itself. Tick stop only when the process is retired.", due="P5D"),
        service("record_process_ideas", "Record the process improvement proposals", P, 12,
                "propose_improvements",
                {"review_id": "None", "ideas": "ideas", "scope": '"process"'}, "improvements"),
        xor("stop_improving", "Process retired?", P, 13),
        end("definition_closed", "SLM process retired", P, 14),
    ]
    flows = [
        Flow("definition_started", "plan_again"),
        Flow("plan_again", "plan_process"),
        Flow("plan_process", "maintain_catalogue"),
        Flow("maintain_catalogue", "check_catalogue"),
        Flow("check_catalogue", "register_supporting"),
        Flow("register_supporting", "approve_definition"),
        Flow("approve_definition", "definition_approved"),
        Flow("definition_approved", "improvement_cycle", "Approved",
             condition='decision == "approve"'),
        Flow("definition_approved", "plan_again", "Rework", default=True),
        Flow("improvement_cycle", "quarter_passed"),
        Flow("quarter_passed", "prepare_improvement"),
        Flow("prepare_improvement", "improve_process"),
        Flow("improve_process", "record_process_ideas"),
        Flow("record_process_ideas", "stop_improving"),
        Flow("stop_improving", "definition_closed", "Yes", condition="stop"),
        Flow("stop_improving", "improvement_cycle", "No", default=True),
    ]
    return Diagram("slm_process_definition", "SLM process definition", [M, P], nodes, flows,
                   "Plan and implement the SLM process: objectives and default review cycle, "
                   "the catalogue with the cost of each service level, the supporting process "
                   "register, approval; then a quarterly improvement round for the process "
                   "itself.")


def slm_process_management() -> Diagram:
    M, P = MANAGER, OWNER
    nodes = [
        start("management_started", "Process management started", M, 0),
        xor("next_cycle", "", M, 1),
        service("verify", "Verify the delivered service levels", M, 2, "verify_service_levels",
                {}, "verification"),
        service("report", "Produce the management report", M, 3, "build_management_report",
                {"period_start": "None", "period_end": "None"}, "management"),
        rule("propose_priorities", "Propose the priorities of service levels", M, 4,
             "service_level_priorities",
             documentation="The decision table workflows/dmn/service_level_priorities.dmn "
                           "gives the priority proposed for each breached SLA, from how many "
                           "SLAs were breached."),
        script("prepare_priorities", "Prepare the priorities", M, 5,
               'sla_references = [s["reference"] for s in verification["slas"]]\n'
               'priorities = [{"sla_reference": s["reference"], "priority": breach_priority'
               ' if s.get("delivered") == "breached" else s["priority"]}'
               ' for s in verification["slas"]]\n'
               "actions = []\nstop = False"),
        user("set_priorities_task", "Set service level priorities", M, 6,
             "set_priorities.schema.json",
             "Compare the service levels delivered with those agreed, and where they could be "
             "raised. The breached SLAs are proposed at the priority the decision table "
             "gives. Set the priority of each SLA: 1 is the highest, 5 the lowest.",
             due="P5D"),
        service("store_priorities", "Record the priorities", M, 7, "set_priorities",
                {"priorities": "priorities"}, "prioritised"),
        user("review_management", "Review the management report", P, 8,
             "review_management.schema.json",
             "Read the management report: all SLAs with attainment, breaches, cost, trend and "
             "priority. List the actions that would improve the SLM process. Tick stop only "
             "when process management is to end.", due="P5D"),
        service("record_actions", "Record the process improvement actions", P, 9,
                "propose_improvements",
                {"review_id": "None", "ideas": "actions", "scope": '"process"'},
                "improvements"),
        xor("stop_management", "Stop process management?", P, 10),
        end("management_stopped", "Process management stopped", P, 11),
        timer("month_passed", "Month passed", M, 10, '"P1M"', label="right"),
    ]
    flows = [
        Flow("management_started", "next_cycle"),
        Flow("next_cycle", "verify"),
        Flow("verify", "report"),
        Flow("report", "propose_priorities"),
        Flow("propose_priorities", "prepare_priorities"),
        Flow("prepare_priorities", "set_priorities_task"),
        Flow("set_priorities_task", "store_priorities"),
        Flow("store_priorities", "review_management"),
        Flow("review_management", "record_actions"),
        Flow("record_actions", "stop_management"),
        Flow("stop_management", "management_stopped", "Yes", condition="stop"),
        Flow("stop_management", "month_passed", "No", default=True),
        Flow("month_passed", "next_cycle", exit="t", entry="t"),
    ]
    return Diagram("slm_process_management", "SLM process management", [M, P], nodes, flows,
                   "Every month: verify the service levels delivered against those agreed and "
                   "where they could be raised, produce the management report, set the "
                   "priorities of the service levels and improve the process.")
