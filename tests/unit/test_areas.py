"""The domain by area: handlers/ is one package per area of the SLM process, and the areas,
the web layer and the engine meet only through public modules.

- an area's private modules (``_name.py``) and private names (``_name``) are imported only
  inside that area;
- the SLM domain and the web layer use the engine only through ``engine.PUBLIC_MODULES``;
- no module of the engine, the domain or the web layer is part of an import circle;
- no module of the product or of its tests is over 400 lines.
Imports are read with the same ``ast`` walk as tests/unit/test_layering.py (any depth,
relative imports resolved).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from test_layering import ROOT, imported_names, module_package

import engine

AREAS = ("people", "catalogue", "requirements", "agreements", "delivery", "reviews",
         "management", "reports", "outputs", "auditlog", "conversations", "notifications",
         "demo")
MAX_LINES = 400


def modules(*tops: str, root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every module under the top-level packages."""
    found = {}
    for top in tops:
        for path in sorted((root / top).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_with_names(path: Path, root: Path = ROOT) -> list[tuple[int, str, list[str]]]:
    """(line, module, imported names) for every import in the file; for ``from x import y``
    where ``x.y`` is itself a module, the module is ``x.y``."""
    import ast

    package = module_package(path, root)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    by_line = {}
    for line, name in imported_names(path.read_text(encoding="utf-8"), package):
        by_line.setdefault(line, []).append(name)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.lineno in by_line:
            names = [a.name for a in node.names]
            for module in by_line.pop(node.lineno):
                out.append((node.lineno, module, names))
    for line, found in by_line.items():
        out.extend((line, module, []) for module in found)
    return out


def area_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] == "handlers" and len(parts) > 1 and parts[1] in AREAS:
        return parts[1]
    return None


def private_crossings(root: Path = ROOT) -> list[str]:
    """Imports of an area's private modules or names from outside that area."""
    known = modules("handlers", root=root)
    bad = []
    for importer, path in modules("handlers", "web", root=root).items():
        for line, module, names in imports_with_names(path, root):
            target = area_of(module)
            if target is None or area_of(importer) == target:
                continue
            candidates = [module] + [f"{module}.{n}" for n in names if f"{module}.{n}" in known]
            private_module = any(c.split(".")[-1].startswith("_") and c.split(".")[-1] !=
                                 "__init__" for c in candidates)
            private_name = any(n.startswith("_") for n in names
                               if f"{module}.{n}" not in known)
            if private_module or private_name:
                rel = path.relative_to(root).as_posix()
                bad.append(f"{rel}:{line} imports {module} {names}")
    return bad


def engine_internals_used(root: Path = ROOT, public=engine.PUBLIC_MODULES) -> list[str]:
    bad = []
    for _, path in modules("handlers", "web", root=root).items():
        for line, module, names in imports_with_names(path, root):
            parts = module.split(".")
            if parts[0] != "engine":
                continue
            used = [parts[1]] if len(parts) > 1 else names
            for name in used:
                if name not in public:
                    bad.append(f"{path.relative_to(root).as_posix()}:{line} uses engine.{name}")
    return bad


def import_cycles(root: Path = ROOT) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), over module-level and
    function-level imports alike."""
    known = modules("engine", "handlers", "web", root=root)
    graph: dict[str, set[str]] = {m: set() for m in known}
    for importer, path in known.items():
        for _, module, names in imports_with_names(path, root):
            for target in [module] + [f"{module}.{n}" for n in names]:
                if target in known and target != importer and \
                        not (path.name == "__init__.py" and target.startswith(importer + ".")):
                    graph[importer].add(target)
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def long_modules(root: Path = ROOT) -> list[str]:
    return [f"{p.relative_to(root).as_posix()}: {n} lines"
            for top in ("engine", "handlers", "web", "bench", "tools", "tests")
            for p in sorted((root / top).rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]


# -- the rules on the product ------------------------------------------------------------
def test_handlers_is_one_package_per_area():
    packages = sorted(p.parent.name for p in (ROOT / "handlers").glob("*/__init__.py"))
    assert packages == sorted(AREAS)
    flat = sorted(p.stem for p in (ROOT / "handlers").glob("*.py") if p.stem != "__init__")
    # besides the areas, only what every area shares
    assert flat == ["bounds", "columns", "csv_rows", "errors", "paging", "registry", "tables"]


def test_areas_meet_only_through_public_modules_and_names():
    assert private_crossings() == []


def test_domain_and_web_use_only_the_engines_public_modules():
    assert engine_internals_used() == []
    for name in engine.PUBLIC_MODULES:
        assert (ROOT / "engine" / f"{name}.py").is_file(), name


def test_no_import_circles_in_engine_handlers_or_web():
    assert import_cycles() == []


def test_no_module_over_400_lines():
    assert long_modules() == []


def test_every_table_belongs_to_an_area():
    import handlers.tables  # noqa: F401
    from engine.db import Base

    homes = {}
    for mapper in Base.registry.mappers:
        module = mapper.class_.__module__
        if module.startswith("handlers."):
            homes[mapper.class_.__name__] = area_of(module)
    assert homes and None not in homes.values(), homes
    assert homes["Review"] == "reviews" and homes["User"] == "people"


# -- the checkers catch what they must ---------------------------------------------------
def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for top in ("engine", "handlers", "web"):
        (tmp_path / top).mkdir(exist_ok=True)
        (tmp_path / top / "__init__.py").touch()
    return tmp_path


@pytest.mark.parametrize("source", [
    "from handlers.demo._steps import x\n",
    "from handlers.demo import _steps\n",
    "from handlers.delivery.attainment import _private\n",
    "def f():\n    from ..demo._steps import x\n",
])
def test_private_crossing_is_caught(tmp_path, source):
    root = _tree(tmp_path, {
        "handlers/demo/__init__.py": "", "handlers/demo/_steps.py": "x = 1\n",
        "handlers/delivery/__init__.py": "",
        "handlers/delivery/attainment.py": "_private = 1\n",
        "handlers/reviews/__init__.py": "", "handlers/reviews/operations.py": source,
    })
    assert private_crossings(root) != []


def test_private_use_inside_the_area_is_allowed(tmp_path):
    root = _tree(tmp_path, {
        "handlers/demo/__init__.py": "", "handlers/demo/_steps.py": "_x = 1\n",
        "handlers/demo/seed.py": "from ._steps import _x\nfrom handlers.demo import _steps\n",
    })
    assert private_crossings(root) == []


def test_engine_internal_use_is_caught(tmp_path):
    root = _tree(tmp_path, {"web/a.py": "from engine.prepared import Prepared\n",
                            "handlers/b.py": "from engine import sql\n"})
    assert len(engine_internals_used(root, public=frozenset({"db"}))) == 2


def test_circle_is_caught(tmp_path):
    root = _tree(tmp_path, {"engine/a.py": "from .b import x\n",
                            "engine/b.py": "def f():\n    from .a import y\n"})
    assert import_cycles(root) == [["engine.a", "engine.b"]]


def test_long_module_is_caught(tmp_path):
    root = _tree(tmp_path, {"web/big.py": "x = 1\n" * (MAX_LINES + 1)})
    assert long_modules(root) == [f"web/big.py: {MAX_LINES + 1} lines"]


def test_long_test_module_is_caught(tmp_path):
    root = _tree(tmp_path, {"tests/unit/test_big.py": "x = 1\n" * (MAX_LINES + 1),
                            "tests/e2e/test_small.py": "x = 1\n" * MAX_LINES})
    assert long_modules(root) == [f"tests/unit/test_big.py: {MAX_LINES + 1} lines"]


def test_every_handler_lives_in_the_area_docs_name():
    """docs/handlers.md's area table names, for every registered handler, the area and the
    module that define it."""
    import re

    from handlers.registry import build_registry

    rows = {}
    for line in (ROOT / "docs" / "handlers.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| `(\w+)` \(([^)]*)\) \| (.*) \|$", line)
        if m:
            files = re.findall(r"`(\w+)\.py`", m.group(2))
            for name in re.findall(r"`(\w+)`", m.group(3)):
                rows[name] = (m.group(1), files)
    registry = build_registry()
    assert sorted(rows) == sorted(registry._handlers)
    for name, handler in registry._handlers.items():
        area, files = rows[name]
        module = handler.func.__module__.split(".")
        assert module[:2] == ["handlers", area], (name, module)
        assert module[2] in files, (name, module)
