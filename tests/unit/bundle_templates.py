"""The English templates the built bundles (web/static/build/modeler.js, dmn-editor.js) can
pass to bpmn-js's, diagram-js's and dmn-js's ``translate`` service as a literal.

The bundles are minified: ``translate`` is renamed there. Their source maps (built with
them by ``npm run build``, ``--sourcemap``) carry the original source of every module the
bundle includes (``sourcesContent``), so the call sites are found in those sources:

- ``translate('...')``, ``this._translate("...")`` (any of the names the libraries bind
  the service to), the literal as the call's whole first argument;
- literals in the first argument outside nested calls: ``translate(is(el, 'bpmn:X') ?
  'Participant ID' : 'ID')`` gives both texts;
- a constant of the same module: ``translate(COLLAB_ERR_MSG)``, ``translate(LABELS[key])``;
- a template literal with ``${a ? 'x' : 'y'}``: both expansions;
- the few modules that hold texts other modules translate by a variable
  (``translate(entry.label)``): :data:`INDIRECT` names them and their fields.

Each template found is kept only when the minified bundle holds it as a string literal
(code the bundle really ships, not a comment or a module esbuild dropped).

Run ``python -m tests.unit.bundle_templates`` to print them with the modules they come from.
"""
from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "web" / "static" / "build"
BUNDLES = ("modeler.js", "dmn-editor.js")

#: a call of the translate service, by the names the libraries bind it to
CALL = re.compile(r"(?<![\w$.])(?:(?:this|self)\.)?_?translate\s*\(")
STRING = re.compile(r"""'((?:\\.|[^'\\\n])*)'|"((?:\\.|[^"\\\n])*)"|`((?:\\.|[^`\\])*)`""")
CONSTANT = r"(?:const|let|var)\s+{name}\s*=\s*"
#: the start of ``field: `` / ``[KEY]: `` / ``'field': `` / ``field = `` (not ``==``)
FIELD = re.compile(r"""(?:([\w$]+)|\[[\w$.]+\]|'[^']*'|"[^"]*")\s*(?::|(?<![=!<>])=(?!=))\s*""")
#: modules whose literal fields other modules pass to translate by a variable:
#: (path ending, fields)
INDIRECT = (
    # bpmn-js's create, append and replace menus: their providers translate each entry's
    # label (PopupEntries holds the entries, ReplaceOptions overrides some labels)
    ("bpmn-js/lib/features/popup-menu/PopupEntries.js", ("label",)),
    ("bpmn-js/lib/features/replace/ReplaceOptions.js", ("label",)),
    # dmn-js's decision requirements diagram: its replace menu the same way
    ("dmn-js-drd/src/features/replace/ReplaceOptions.js", ("label",)),
    # the hit policies: their names in the menu and their explanations in the title
    ("dmn-js-decision-table/src/features/hit-policy/HitPolicies.js", ("label", "explanation")),
    # the drill-down buttons of the decision requirements diagram (DrillDown.js translates
    # the title it was given)
    ("dmn-js-drd/src/features/drill-down/DrillDown.js", ("title",)),
)
# Not indirect on purpose: dmn-js-shared's DataTypes (string, number, date...: FEEL type
# names written into the file) and bpmn-js-properties-panel's header type, which is made
# from the element's type name at run time (its texts are listed by hand).


def _unescape(text: str) -> str:
    return re.sub(r"\\(u\{?[0-9a-fA-F]{4,5}\}?|x[0-9a-fA-F]{2}|.)", _escape, text)


def _escape(match: re.Match) -> str:
    code = match.group(1)
    if code[0] in "ux" and len(code) > 1:
        return chr(int(code[1:].strip("{}"), 16))
    return {"n": "\n", "t": "\t", "r": "\r"}.get(code, code)


def _argument(source: str, start: int) -> str:
    """The text of the call's first argument, from just after its "(" (strings skipped
    whole, nested brackets balanced)."""
    depth, i = 0, start
    while i < len(source):
        c = source[i]
        if c in "'\"`":
            match = STRING.match(source, i)
            if not match:
                return source[start:i]
            i = match.end()
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                return source[start:i]
            depth -= 1
        elif c == "," and depth == 0:
            return source[start:i]
        i += 1
    return source[start:]


def _strings(text: str) -> list[str]:
    """Literals of an expression outside nested calls and indexing (``is(el, 'bpmn:X')``)."""
    flat, depth = [], 0
    for piece in re.split(r"""('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`|[()[\]])""",
                          text):
        if piece in ("(", "["):
            depth += 1
        elif piece in (")", "]"):
            depth -= 1
        elif depth == 0:
            flat.append(piece)
    if any("+" in piece for piece in flat if not STRING.fullmatch(piece)):
        return []  # 'Align elements ' + alignment: made at run time, not a fixed template
    found = []
    for piece in flat:
        match = STRING.fullmatch(piece)
        if match:
            found.extend(_expand(match))
    return found


def _expand(match: re.Match) -> list[str]:
    """A literal's texts: a template literal's ``${c ? 'a' : 'b'}`` both ways; none for a
    template literal with any other substitution (not a fixed text)."""
    if match.group(3) is None:
        return [_unescape(match.group(1) if match.group(1) is not None else match.group(2))]
    texts = [match.group(3)]
    while any("${" in t for t in texts):
        choice = re.search(r"\$\{[^{}?]*\?\s*(['\"])(.*?)\1\s*:\s*(['\"])(.*?)\3\s*\}", texts[0])
        if not choice:
            return []
        texts = [t.replace(choice.group(0), side, 1)
                 for t in texts for side in (choice.group(2), choice.group(4))]
    return [_unescape(t) for t in texts]


def _constant(source: str, argument: str) -> list[str]:
    """``NAME`` or ``NAME[key]``: the literal(s) the module binds NAME to."""
    name = re.fullmatch(r"\s*([A-Z][A-Z0-9_]*)\s*(\[[^\]]*\])?\s*", argument)
    if not name:
        return []
    at = re.search(CONSTANT.format(name=name.group(1)), source)
    if not at:
        return []
    value = source[at.end():]
    if value[:1] == "{":
        return [text for field, text in _fields(value[:_close(value)])]
    match = STRING.match(value)
    return _expand(match) if match else []


def _close(text: str) -> int:
    depth = 0
    for i, c in enumerate(text):
        depth += {"{": 1, "}": -1}.get(c, 0)
        if depth == 0:
            return i + 1
    return len(text)


def _fields(source: str) -> list[tuple[str, str]]:
    """(field, text) of each ``field: 'literal'`` (or ``[KEY]: 'literal'``, or
    ``field = 'literal'``) of the source."""
    found = []
    for match in FIELD.finditer(source):
        literal = STRING.match(source, match.end())
        if literal and literal.group(3) is None:
            found.append((match.group(1) or "", _expand(literal)[0]))
    return found


def in_bundle(code: str, text: str) -> bool:
    """Whether the minified bundle has ``text`` as a string literal (esbuild writes it in
    double quotes, single quotes or backticks, non-ASCII as \\u escapes)."""
    body = json.dumps(text)[1:-1]
    forms = {body, body.replace('\\"', '"')}
    forms |= {re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), f) for f in forms}
    return any(q + form + q in code for form in forms for q in "\"'`")


def templates(build: Path = BUILD) -> dict[str, set[str]]:
    """Each template -> the modules (``package/path``) that pass it to translate.
    Raises FileNotFoundError when a bundle or its source map is missing."""
    found: dict[str, set[str]] = defaultdict(set)
    for bundle in BUNDLES:
        code = (build / bundle).read_text(encoding="utf-8")
        sourcemap = json.loads((build / f"{bundle}.map").read_text(encoding="utf-8"))
        if not sourcemap.get("sourcesContent"):
            raise ValueError(f"{bundle}.map has no sourcesContent: build with esbuild's default "
                             "--sources-content=true")
        for path, source in zip(sourcemap["sources"], sourcemap["sourcesContent"], strict=True):
            if not source or "node_modules/" not in path:
                continue  # our own web/frontend/ scripts: tests/unit/test_browser_texts.py
            module = path.split("node_modules/")[-1]
            for text in module_templates(module, source):
                if in_bundle(code, text):
                    found[text].add(module)
    return dict(found)


def module_templates(module: str, source: str) -> list[str]:
    """The templates one module's source passes to translate (see the module's docstring)."""
    texts = []
    for call in CALL.finditer(source):
        argument = _argument(source, call.end())
        texts.extend(_strings(argument) or _constant(source, argument))
    for ending, fields in INDIRECT:
        if module.endswith(ending):
            texts.extend(text for field, text in _fields(source) if field in fields)
    return [t for t in texts if t.strip()]


def indirect_modules(build: Path = BUILD) -> set[str]:
    """The :data:`INDIRECT` path endings some bundle's source map includes."""
    seen = set()
    for bundle in BUNDLES:
        sources = json.loads((build / f"{bundle}.map").read_text(encoding="utf-8"))["sources"]
        seen |= {ending for ending, _ in INDIRECT for path in sources if path.endswith(ending)}
    return seen


if __name__ == "__main__":
    for text, modules in sorted(templates().items()):
        sys.stdout.write(f"{text!r}\t{', '.join(sorted(modules))}\n")
