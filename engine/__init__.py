"""The process engine: SpiffWorkflow with persistence, timers, audit and incidents.

Knows nothing of SLM and nothing of Flask; callers pass a SQLAlchemy ``Session``,
the acting user and the clock (``now``).
"""
