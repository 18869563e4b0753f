"""Form schemas are diagram content: what they may contain, and the validator that runs them.

At deploy (``rule_problems``), a form schema is refused when
* a ``$ref`` or ``$dynamicRef`` points outside the form (anything but ``#...``), or a local
  pointer leads nowhere; ``$id`` is refused too (it would move the base of every reference);
* it uses ``patternProperties`` (matched with Python's regular expressions inside
  jsonschema) or a ``pattern`` that google-re2 cannot compile or longer than MAX_PATTERN;
* it is nested deeper than MAX_DEPTH or has an ``enum`` of more than MAX_ENUM values
  (the file size is checked by the caller: MAX_FORM_BYTES).

At completion (``form_validator``), the validator has a reference registry that never
retrieves anything (no network, no file), runs ``pattern`` with google-re2 (linear time:
no catastrophic backtracking) and checks the ``regex`` format with google-re2 as well.
"""
from __future__ import annotations

from functools import lru_cache

import re2
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.exceptions import NoSuchResource

from .i18n import _

MAX_FORM_BYTES = 256 * 1024
MAX_DEPTH = 20
MAX_ENUM = 1000
MAX_PATTERN = 1000
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # its errors are reported to the author, not to stderr


def _never_retrieve(uri: str):
    raise NoSuchResource(ref=uri)


#: resolves nothing outside the schema itself
REGISTRY = Registry(retrieve=_never_retrieve)


@lru_cache(maxsize=512)
def compiled(pattern: str):
    return re2.compile(pattern, options=_RE2_OPTIONS)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and compiled(pattern).search(instance) is None:
        yield ValidationError(_("does not match the pattern %(pattern)s", pattern=pattern))


FORMAT_CHECKER = FormatChecker()
for _name, _func in Draft202012Validator.FORMAT_CHECKER.checkers.items():
    if _name != "regex":
        FORMAT_CHECKER.checkers[_name] = _func


@FORMAT_CHECKER.checks("regex", raises=re2.error)
def _is_regex(instance) -> bool:
    if isinstance(instance, str):
        compiled(instance)
    return True


FormValidator = validators.extend(Draft202012Validator, {"pattern": _pattern})


def form_validator(schema: dict):
    """The validator for a form schema (see the module docstring)."""
    return FormValidator(schema, registry=REGISTRY, format_checker=FORMAT_CHECKER)


def _pointer(path) -> str:
    return "/" + "/".join(str(p) for p in path) if path else "(root)"


def _resolves(schema, ref: str) -> bool:
    if not ref.startswith("#/") and ref != "#":
        return True  # an anchor: jsonschema reports an unknown one itself
    node = schema
    for raw in ref[2:].split("/") if ref != "#" else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def rule_problems(schema) -> list[str]:
    """What in ``schema`` breaks the rules above (empty when nothing does)."""
    problems = []
    stack = [(schema, (), 0)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            problems.append(_("nested more than %(MAX_DEPTH)s levels deep at %(pointer)s",
                              MAX_DEPTH=MAX_DEPTH,
                              pointer=_pointer(path)))
            continue
        if isinstance(node, list):
            stack.extend((v, (*path, i), depth + 1) for i, v in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        for key in ("$ref", "$dynamicRef"):
            ref = node.get(key)
            if isinstance(ref, str) and not ref.startswith("#"):
                problems.append(_("%(key)s %(ref)s at %(pointer)s points outside the form; "
                                  "only references inside it (#/...) are allowed",
                                  key=key,
                                  ref=repr(ref[:200]),
                                  pointer=_pointer(path)))
            elif isinstance(ref, str) and not _resolves(schema, ref):
                problems.append(_("%(key)s %(ref)s at %(pointer)s leads nowhere in the form",
                                  key=key,
                                  ref=repr(ref[:200]),
                                  pointer=_pointer(path)))
        if "$id" in node:
            problems.append(_("$id at %(pointer)s is not allowed in a form",
                              pointer=_pointer(path)))
        if "patternProperties" in node:
            problems.append(_("patternProperties at %(pointer)s is not supported in forms",
                              pointer=_pointer(path)))
        enum = node.get("enum")
        if isinstance(enum, list) and len(enum) > MAX_ENUM:
            problems.append(_("enum at %(pointer)s has %(value)s values; at most "
                              "%(MAX_ENUM)s",
                              pointer=_pointer(path),
                              value=format(len(enum), ','),
                              MAX_ENUM=format(MAX_ENUM, ',')))
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            if len(pattern) > MAX_PATTERN:
                problems.append(_("pattern at %(pointer)s is longer than %(MAX_PATTERN)s "
                                  "characters",
                                  pointer=_pointer(path),
                                  MAX_PATTERN=MAX_PATTERN))
            else:
                try:
                    compiled(pattern)
                except re2.error as exc:
                    problems.append(_("pattern at %(pointer)s cannot be used: "
                                      "%(re2_reason)s",
                                      pointer=_pointer(path),
                                      re2_reason=_re2_reason(exc)))
        stack.extend((v, (*path, k), depth + 1) for k, v in node.items()
                     if k not in ("enum", "const", "default", "examples"))
    return problems


def _re2_reason(exc: Exception) -> str:
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{text} (patterns may not use back-references or look-arounds)"
