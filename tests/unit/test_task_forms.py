"""check_task_form: a task's form checked against its schema resolved with the task data.

Static schemas get a validator compiled once; schemas with data-driven choices are
resolved at every call, so two tasks of one form with different data get different
choices.
"""
from __future__ import annotations

import pytest

from engine.errors import FormValidationError
from engine.forms import _PREPARED, check_task_form

STATIC = {"type": "object", "required": ["n"],
          "properties": {"n": {"type": "integer", "minimum": 1}}}
DYNAMIC = {"type": "object", "required": ["pick"],
           "properties": {"pick": {"type": "string", "x-enum-from": "options"}}}


def test_a_static_form_is_checked_the_same_every_time():
    for _ in range(3):
        check_task_form(STATIC, {}, {"n": 2})
        with pytest.raises(FormValidationError) as err:
            check_task_form(STATIC, {}, {"n": 0})
        assert "n" in err.value.errors
    assert _PREPARED[id(STATIC)][1] is not None


def test_choices_follow_each_tasks_data():
    check_task_form(DYNAMIC, {"options": [{"key": "gold"}]}, {"pick": "gold"})
    with pytest.raises(FormValidationError):
        check_task_form(DYNAMIC, {"options": [{"key": "silver"}]}, {"pick": "gold"})
    check_task_form(DYNAMIC, {"options": [{"key": "silver"}]}, {"pick": "silver"})
    assert _PREPARED[id(DYNAMIC)][1] is None


def test_an_equal_but_new_schema_object_is_not_confused_with_a_cached_one():
    first = {"type": "object", "properties": {"x": {"type": "string"}}}
    check_task_form(first, {}, {"x": "a"})
    second = {"type": "object", "properties": {"x": {"type": "integer"}}}
    _PREPARED[id(second)] = (first, _PREPARED[id(first)][1])  # as if ids were reused
    with pytest.raises(FormValidationError):
        check_task_form(second, {}, {"x": "a"})


def test_no_schema_still_needs_an_object():
    check_task_form(None, {}, {"anything": 1})
    with pytest.raises(FormValidationError):
        check_task_form(None, {}, ["not", "an", "object"])
