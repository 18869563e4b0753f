"""The process engine: SpiffWorkflow with persistence, timers, audit and incidents.

Knows nothing of SLM and nothing of Flask; callers pass a SQLAlchemy ``Session``,
the acting user and the clock (``now``).

The SLM domain (``handlers/``) and the web layer use the engine through the modules named in
:data:`PUBLIC_MODULES` only; the others (prepared statements, serialization, the script
engine, the task index...) are its internals and may change shape at any time
(tests/unit/test_areas.py keeps it so).
"""

#: the engine's public modules: what the domain and the web layer may import
PUBLIC_MODULES = frozenset({
    "audit",      # the audit trail and its verification
    "clock",      # time helpers (the engine's clock is always passed in as ``now``)
    "db",         # Base, engines and sessions
    "decisions",  # the DMN decision tables deployed with a diagram
    "deploy",     # deploy a diagram and its forms
    "deploy_set",  # deploy a set of diagrams, decisions and forms (a folder or a .zip)
    "errors",     # the engine's exceptions
    "forms",      # a task's form schema, resolved
    "heartbeat",  # runners' heartbeats (readiness)
    "i18n",       # translations: the current language, gettext, per-reader languages
    "instances",  # start, retry and inspect process instances
    "instructions",  # a task's instructions filled in from its data (Jinja, sandboxed)
    "lanes",      # lanes name roles; a lane narrowed to named people (lane_owners)
    "messages",   # messages between instances and from outside
    "migration",  # move instances to a newer version
    "models",     # the engine's tables
    "observers",  # hear of every step's events, in its transaction (notifications)
    "registry",   # the handler registry type
    "runner",     # due-work runners (timers)
    "runtime",    # the Engine
    "sandbox_pool",  # the sandbox worker processes (started with the web app and runners)
    "schema",     # migrations of the database schema
    "sealer",     # seals appended audit events into the hash chain
    "tasks",      # claim, assign and complete human tasks
    "trial",      # try a script, condition or timer on sample data (the modeler)
    "ui_forms",   # a user task's ui schema (formUiSchemaFilename), checked and stored
    "xmlsafe",    # the hardened XML parser
})
