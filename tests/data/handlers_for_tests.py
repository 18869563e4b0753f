"""Handlers for CLI subprocess tests: SLM_HANDLER_MODULES=handlers_for_tests, PYTHONPATH=tests/data.

Mirrors the ``registry`` fixture of tests/conftest.py (replacing any product "score").
"""
from __future__ import annotations


def register(registry) -> None:
    def score(params, ctx):
        """Score = amount // 2. Returns {"score": int}."""
        return {"score": params["amount"] // 2}

    registry.replace("score", score, params={"amount": "an integer amount"})
