"""The SLM domain, one package per area of the process: people, catalogue, requirements,
agreements, delivery, reviews, management, reports, outputs, and demo (the seed).

Each area holds its records (``models``), its operations and the handlers BPMN service
tasks call for it; ``registry`` is the one list of what diagrams may call. Shared by all:
``errors`` (domain errors), ``paging`` (one page of a list), ``columns`` (column helpers)
and ``tables`` (every area's records, for the schema).
"""
