"""The kinds of event a person can be told about, with the words people see."""
from __future__ import annotations

from engine.i18n import N_

#: kind -> what the preferences page calls it
KINDS = {
    "task_ready": N_("A task is ready in your role's queue"),
    "task_assigned": N_("A task is assigned to you"),
    "task_due_soon": N_("A task of yours is due soon"),
    "task_overdue": N_("A task of yours is overdue"),
    "task_escalated": N_("An overdue task is escalated to you (process owner)"),
    "draft_ready": N_("An SLA draft is ready for your review"),
    "sla_active": N_("An SLA is active"),
    "report_ready": N_("A service report is ready"),
    "review_discussion": N_("A review discussion waits for you"),
    "counter_proposal": N_("A counter-proposal or comment arrived"),
    "clarification": N_("A clarification is needed"),
    "clarification_answered": N_("A wish of your requirements was clarified"),
    "target_breached": N_("A measurement import breaks a target"),
    "target_at_risk": N_("A target is at risk"),
    "review_due": N_("A service review is due"),
    "change_request": N_("A change request is raised"),
}
#: account mails (invitation, password reset): always sent, no preference, no unsubscribe
ACCOUNT_KINDS = ("invitation", "password_reset")
DEFAULT_CHANNEL = "email"
