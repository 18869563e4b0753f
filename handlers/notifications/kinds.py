"""The kinds of event a person can be told about, with the words people see."""
from __future__ import annotations

#: kind -> what the preferences page calls it
KINDS = {
    "task_ready": "A task is ready in your role's queue",
    "task_assigned": "A task is assigned to you",
    "task_due_soon": "A task of yours is due soon",
    "task_overdue": "A task of yours is overdue",
    "task_escalated": "An overdue task is escalated to you (process owner)",
    "draft_ready": "An SLA draft is ready for your review",
    "sla_active": "An SLA is active",
    "report_ready": "A service report is ready",
    "review_discussion": "A review discussion waits for you",
    "counter_proposal": "A counter-proposal or comment arrived",
    "clarification": "A clarification is needed",
    "clarification_answered": "A wish of your requirements was clarified",
    "target_breached": "A measurement import breaks a target",
    "target_at_risk": "A target is at risk",
    "review_due": "A service review is due",
    "change_request": "A change request is raised",
}
#: account mails (invitation, password reset): always sent, no preference, no unsubscribe
ACCOUNT_KINDS = ("invitation", "password_reset")
DEFAULT_CHANNEL = "email"
