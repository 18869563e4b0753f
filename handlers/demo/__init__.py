"""The demo seed: catalogue, customers, measurements and process instances at several
stages, driven through the real diagrams (``slm seed``).

- ``seed``: the entry point, ``seed(session, engine, ...)``
- ``_data``: the demo data (internal)
- ``_steps``: the steps the scenarios take (start, complete tasks, fire timers)
- ``_agreements``, ``_reviews``: the scenarios (internal to the seed)
"""
