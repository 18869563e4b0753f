"""The bench diagram's handler for an installed app (``SLM_HANDLER_MODULES=bench_handlers``
with bench/plugins on ``PYTHONPATH``; bench/http.py does this for gunicorn and the runner)."""
from __future__ import annotations


def register(registry) -> None:
    @registry.register("compute", params={"n": "an integer"})
    def compute(params, ctx):
        """Doubles n. Returns {"value": int}."""
        return {"value": params["n"] * 2}
