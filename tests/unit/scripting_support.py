"""The sandbox shared by the script sandbox tests (test_scripting_*.py).
"""
from __future__ import annotations

from engine.scripting import (
    RestrictedEnvironment,
)

ENV = RestrictedEnvironment()


def run(script: str, **data) -> dict:
    ENV.execute(script, data)
    return data


def ev(expression: str, **data):
    return ENV.evaluate(expression, data)
