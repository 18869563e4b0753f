"""Layering: the engine knows nothing of the web layer or the SLM domain; handlers know no web.

Every import is found with ``ast`` (at any depth: inside functions, ``if`` blocks,
``try``), relative imports are resolved against the module's package, and
``importlib.import_module("...")`` / ``__import__("...")`` with a literal name count too.
A subprocess also imports every engine module and checks what ended up in
``sys.modules``, which catches indirect imports through third-party code.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

ENGINE_FORBIDDEN = {"flask", "flask_sqlalchemy", "flask_migrate", "werkzeug", "web", "handlers"}
HANDLERS_FORBIDDEN = {"flask", "flask_sqlalchemy", "flask_migrate", "werkzeug", "web"}


def module_package(path: Path, root: Path) -> list[str]:
    """Package parts of the module at ``path`` (``engine/x.py`` -> ["engine"])."""
    # engine/x.py and engine/__init__.py both live in package "engine"
    return list(path.relative_to(root).parent.parts)


def imported_names(source: str, package: list[str]) -> list[tuple[int, str]]:
    """(line, absolute dotted name) of every import in ``source``.

    Relative imports are resolved against ``package``; one that climbs above the
    top-level package is reported as ``"<beyond top-level package>"``.
    """
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                base = node.module or ""
            elif node.level > len(package):
                found.append((node.lineno, "<beyond top-level package>"))
                continue
            else:
                parts = package[:len(package) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            if node.level and not node.module:  # from . import x -> package.x
                found.extend((node.lineno, f"{base}.{a.name}") for a in node.names)
            else:
                found.append((node.lineno, base))
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            arg = node.args[0] if node.args else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append((node.lineno, arg.value))
    return found


def _is_dynamic_import(func) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ("__import__", "import_module")
    return isinstance(func, ast.Attribute) and func.attr == "import_module"


def is_forbidden(name: str, forbidden: set[str]) -> bool:
    top = name.split(".")[0]
    return name.startswith("<") or top in forbidden or top.startswith("flask_")


def violations(directory: str, forbidden: set[str], root: Path = ROOT) -> list[str]:
    out = []
    files = sorted((root / directory).rglob("*.py"))
    assert files, f"no Python files under {directory}/"
    for path in files:
        package = module_package(path, root)
        for line, name in imported_names(path.read_text(encoding="utf-8"), package):
            if is_forbidden(name, forbidden):
                out.append(f"{path.relative_to(root).as_posix()}:{line} imports {name}")
    return out


def test_engine_imports_no_web_framework_web_layer_or_domain():
    assert violations("engine", ENGINE_FORBIDDEN) == []


def test_handlers_import_no_web_framework_or_web_layer():
    assert violations("handlers", HANDLERS_FORBIDDEN) == []


def test_importing_the_engine_loads_no_web_code():
    modules = sorted(f"engine.{p.stem}" for p in (ROOT / "engine").glob("*.py")
                     if p.stem != "__init__")
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules) +
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{sorted(ENGINE_FORBIDDEN)!r} or m.startswith('flask_'))\n"
            "print(','.join(bad))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"engine import pulled in: {done.stdout.strip()}"


# -- the checker itself catches what it must --------------------------------------------------
@pytest.mark.parametrize("source, package, expected", [
    ("import flask", ["engine"], "flask"),
    ("import werkzeug.security as ws", ["engine"], "werkzeug.security"),
    ("from flask_sqlalchemy import SQLAlchemy", ["engine"], "flask_sqlalchemy"),
    ("def f():\n    import flask\n    return flask", ["engine"], "flask"),
    ("class A:\n    def m(self):\n        if True:\n            from web import cli\n",
     ["engine"], "web"),
    ("try:\n    import handlers.registry\nexcept ImportError:\n    pass", ["engine"],
     "handlers.registry"),
    ("from web.services import Services", ["engine"], "web.services"),
    ("from ..web import cli", ["engine"], "<beyond top-level package>"),
    ("from ...web import cli", ["engine", "sub"], "<beyond top-level package>"),
    ("import importlib\nm = importlib.import_module('flask')", ["engine"], "flask"),
    ("from importlib import import_module\nm = import_module('web.cli')", ["engine"],
     "web.cli"),
    ("m = __import__('werkzeug')", ["engine"], "werkzeug"),
    ("from flask_login import current_user", ["handlers"], "flask_login"),
])
def test_checker_catches(source, package, expected):
    names = [name for _, name in imported_names(source, package)]
    assert expected in names
    assert is_forbidden(expected, ENGINE_FORBIDDEN)


@pytest.mark.parametrize("source, package", [
    ("from . import audit", ["engine"]),
    ("from .registry import HandlerRegistry", ["engine"]),
    ("import sqlalchemy\nfrom SpiffWorkflow.bpmn import BpmnWorkflow", ["engine"]),
    ("import flaskish_tool", ["engine"]),  # a name that merely starts like flask
    ("from engine.registry import HandlerRegistry", ["handlers"]),
    ("from ..engine import registry", ["handlers", "sub"]),
])
def test_checker_allows(source, package):
    names = [name for _, name in imported_names(source, package)]
    assert names and not any(is_forbidden(n, ENGINE_FORBIDDEN - {"handlers"}) for n in names)


def test_checker_reports_file_and_line_in_a_package_tree(tmp_path):
    (tmp_path / "engine" / "sub").mkdir(parents=True)
    (tmp_path / "engine" / "__init__.py").write_text("")
    (tmp_path / "engine" / "ok.py").write_text("from .sub import x\nimport sqlalchemy\n")
    (tmp_path / "engine" / "sub" / "late.py").write_text(
        "def render():\n    from flask import render_template\n    return render_template\n")
    (tmp_path / "engine" / "sub" / "up.py").write_text("from ...web import cli\n")
    assert violations("engine", ENGINE_FORBIDDEN, root=tmp_path) == [
        "engine/sub/late.py:2 imports flask",
        "engine/sub/up.py:1 imports <beyond top-level package>",
    ]


def test_relative_imports_resolve_against_the_package():
    names = [n for _, n in imported_names("from .audit import x\nfrom . import db",
                                          ["engine"])]
    assert names == ["engine.audit", "engine.db"]
    nested = [n for _, n in imported_names("from ..handlers import x\nfrom .. import web",
                                           ["engine", "sub"])]
    assert nested == ["engine.handlers", "engine.web"]  # inside engine: allowed
