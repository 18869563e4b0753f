"""URL parameter values for every route of the role matrix (tests/e2e/test_role_matrix.py),
from its demo world."""
from __future__ import annotations

BAD_ID = 999_999


#: values for URL parameters, from the demo world (add records to ``world`` as needed)
URL_ARGS = {
    "static": lambda w: {"filename": "css/app.css"},
    "vendor.asset": lambda w: {"package": "bootstrap", "filename": "css/test.css"},
    "admin.edit_user": lambda w: {"user_id": w.users["Customer"].id},
    "admin.retire_role": lambda w: {"role_id": BAD_ID},
    # portal
    "portal.requirement": lambda w: {"slr_id": w.extra["slr_id"]},
    "portal.options": lambda w: {"slr_id": w.extra["slr_id"]},
    "portal.choose": lambda w: {"slr_id": w.extra["slr_id"]},
    "portal.sla": lambda w: {"sla_id": w.extra["sla_id"]},
    "portal.observe": lambda w: {"sla_id": w.extra["sla_id"]},
    "portal.report": lambda w: {"report_id": w.extra["report_id"]},
    "portal.report_document": lambda w: {"report_id": w.extra["report_id"]},
    "portal.report_pdf": lambda w: {"report_id": w.extra["report_id"]},
    # slas
    "agreements.show": lambda w: {"sla_id": w.extra["sla_id"]},
    "requirements.show": lambda w: {"slr_id": w.extra["slr_id"]},
    # issue 10: conversations (the attachment does not exist: 404 for who may read)
    "conversations.post": lambda w: {"subject_type": "sla", "subject_id": w.extra["sla_id"]},
    "conversations.thread": lambda w: {"subject_type": "sla", "subject_id": w.extra["sla_id"]},
    "conversations.download": lambda w: {"attachment_id": 987654},
    # catalogue, delivery, reviews, reports (the service level manager's pages)
    "catalogue.service": lambda w: {"service_id": w.extra["service_id"]},
    "catalogue.edit_service": lambda w: {"service_id": w.extra["service_id"]},
    "catalogue.new_level": lambda w: {"service_id": w.extra["service_id"]},
    "catalogue.supporting": lambda w: {"service_id": w.extra["service_id"]},
    "catalogue.link_ci": lambda w: {"service_id": w.extra["service_id"]},
    "catalogue.unlink_ci": lambda w: {"service_id": w.extra["service_id"]},
    "catalogue.edit_level": lambda w: {"option_id": w.extra["option_id"]},
    "catalogue.targets": lambda w: {"option_id": w.extra["option_id"]},
    "catalogue.remove_target": lambda w: {"option_id": w.extra["option_id"]},
    "catalogue.edit_metric": lambda w: {"metric_id": w.extra["metric_id"]},
    "catalogue.edit_ci": lambda w: {"ci_id": w.extra["ci_id"]},
    "delivery.attainment": lambda w: {"sla_id": w.extra["sla_id"]},
    "reviews.detail": lambda w: {"review_id": w.extra["review_id"]},
    "reviews.change_request": lambda w: {"change_id": w.extra["change_id"]},
    "reports.export": lambda w: {"kind": "cost-data", "fmt": "csv"},
    "reports.customer_report": lambda w: {"report_id": w.extra["report_id"]},
    "reports.customer_report_pdf": lambda w: {"report_id": w.extra["report_id"]},
    "reports.management_report": lambda w: {"report_id": w.extra["management_report_id"]},
    "reports.management_pdf": lambda w: {"report_id": w.extra["management_report_id"]},
    # tasks ("task": a Process Owner's task outside any customer organisation)
    "tasks.show": lambda w: {"task_id": w.extra["tasks"]["task"]},
    "tasks.diagram": lambda w: {"task_id": w.extra["tasks"]["task"]},
    "tasks.complete": lambda w: {"task_id": w.extra["tasks"]["task"]},
    "tasks.claim": lambda w: {"task_id": w.extra["tasks"]["claim"]},
    "tasks.unclaim": lambda w: {"task_id": w.extra["tasks"]["unclaim"]},
    "tasks.assign": lambda w: {"task_id": w.extra["tasks"]["assign"]},
    # diagrams
    "diagrams.version": lambda w: {"version_id": w.extra["version_id"]},
    "diagrams.diff": lambda w: {"version_id": w.extra["version_id"],
                                "with": w.extra["version_id"]},
    "diagrams.download": lambda w: {"version_id": w.extra["version_id"]},
    "diagrams.stats": lambda w: {"version_id": w.extra["version_id"]},
    "diagrams.health": lambda w: {"version_id": w.extra["version_id"]},
    "diagrams.health_export": lambda w: {"version_id": w.extra["version_id"]},
    "diagrams.migrate": lambda w: {"version_id": w.extra["version_id"]},
    # issue 14: a decision table deployed with the management diagram
    "diagrams.decision": lambda w: {"version_id": w.extra["dmn_version_id"],
                                    "name": "service_level_priorities.dmn"},
    "diagrams.decision_download": lambda w: {"version_id": w.extra["dmn_version_id"],
                                             "name": "service_level_priorities.dmn"},
    # audit (the agreed SLA's sla_agreement instance)
    "audit.trace": lambda w: {"instance_id": w.extra["instance_id"]},
    "audit.diagram": lambda w: {"instance_id": w.extra["instance_id"]},
    "audit.trace_json": lambda w: {"instance_id": w.extra["instance_id"]},
    "audit.trace_csv": lambda w: {"instance_id": w.extra["instance_id"]},
    # issue 18: the event log of the agreement process (query arguments)
    "audit.eventlog": lambda w: {"fmt": "xes", "process": "sla_agreement"},
    "api.eventlog_xes": lambda w: {"process": "sla_agreement"},
    "api.eventlog_ocel": lambda w: {"process": "sla_agreement"},
    # nobody's token: revoking answers 404 and changes nothing
    "account.revoke_token": lambda w: {"token_id": BAD_ID},
    # issue 12: nobody's session: ending it answers 404 and changes nothing
    "account.end_session": lambda w: {"session_id": BAD_ID},
    # API: state-changing task routes on a task that does not exist (the access layer
    # answers; test_api_tasks works real tasks), reads and complete on the matrix's task
    "api.task": lambda w: {"task_id": w.extra["tasks"]["task"]},
    "api.complete": lambda w: {"task_id": w.extra["tasks"]["task"]},
    "api.claim": lambda w: {"task_id": BAD_ID},
    "api.unclaim": lambda w: {"task_id": BAD_ID},
    "api.instance": lambda w: {"instance_id": w.extra["instance_id"]},
    # issue 13: nobody's notification or mail, a forged unsubscribe token
    "notifications.open_one": lambda w: {"notification_id": BAD_ID},
    "notifications.unsubscribe": lambda w: {"token": "forged"},
    "admin.mail": lambda w: {"mail_id": BAD_ID},
    "admin.send_mail_again": lambda w: {"mail_id": BAD_ID},
    "api.read_notification": lambda w: {"notification_id": BAD_ID},
    "account.accept_invitation": lambda w: {"token": "forged"},
    "account.reset_password": lambda w: {"token": "forged"},
    "admin.edit_organisation": lambda w: {"organisation_id": w.orgs["acme"]},
}
