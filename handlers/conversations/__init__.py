"""Conversations: one thread of comments and attachments per subject (a requirement, an
SLA, a review, a change request), shared by the customer and the provider."""
