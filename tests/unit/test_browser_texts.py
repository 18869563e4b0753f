"""The browser's own texts are translatable (issue 17): the scripts of web/frontend/ (the
modeler's bundle) and web/static/js/ show no English literal outside ``t()``/``tn()``,
every text they look up is in web/browser_texts.py (so pybabel extracts it and both
catalogues translate it), and the dictionary a page carries is in the reader's language,
bpmn-js's palette, context pad and replace menu included.

The scripts are read with a small JavaScript tokenizer (comments, strings, template and
regular expression literals), not with regular expressions over whole files.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.i18n import use_language
from web.browser_library_texts import LIBRARY
from web.browser_texts import OWN, PLURALS, browser_texts

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted([*(ROOT / "web" / "frontend").glob("*.js"),
                  *(ROOT / "web" / "static" / "js").glob("*.js")])
LETTER = re.compile(r"[^\W\d_]")
#: code after which "/" starts a regular expression, not a division
REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {"", "return", "typeof", "case", "in", "of", "void"}
#: a lookup: the literal right after it is the English text
LOOKUP = re.compile(r"(?:^|[^\w$.])(?:window\.)?(?:SLM\.)?(t|tn)\(\s*$")
#: literals that are not text a person reads: moddle type names, HTTP header names, markup
#: of the blank diagram, strict mode (each checked by name and file)
NOT_TEXT = {
    "server.js": {"Content-Type", "X-CSRFToken", "Accept"},
    "spiff.js": {"SpiffWorkflow", "Properties", "Element", "Property", "String",
                 "ServiceTaskOperator", "Parameters", "Parameter", "InstructionsForEndUser",
                 "CalledDecisionId"},
    "view.js": {"Escape"},
    "app.js": {"use strict", "Enter", "DOMContentLoaded"},
    "trace.js": {"use strict", "[data-testid=timeline] > tbody > tr", "DOMContentLoaded"},
    "*": {"use strict", "DOMContentLoaded", "HTTP "},
}


def _unescape(text: str) -> str:
    return re.sub(r"\\(u[0-9a-fA-F]{4}|.)", lambda m: chr(int(m.group(1)[1:], 16))
                  if m.group(1)[0] == "u" and len(m.group(1)) == 5 else
                  {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def literals(source: str) -> list[tuple[str, str]]:
    """(text, the code between the previous literal and this one) of each string literal."""
    out, i, n, last, since = [], 0, len(source), "", 0
    while i < n:
        c = source[i]
        if source.startswith("//", i):
            i = n if source.find("\n", i) < 0 else source.find("\n", i)
        elif source.startswith("/*", i):
            i = source.index("*/", i + 2) + 2
        elif c in "'\"`":
            j, text = i + 1, []
            while source[j] != c:
                if source[j] == "\\":
                    text.append(source[j:j + 2] if source[j + 1] != "u" else source[j:j + 6])
                    j += len(text[-1])
                elif c == "`" and source.startswith("${", j):
                    depth, j = 1, j + 2
                    while depth:
                        depth += {"{": 1, "}": -1}.get(source[j], 0)
                        j += 1
                    text.append("${}")
                else:
                    text.append(source[j])
                    j += 1
            out.append((_unescape("".join(text)), source[since:i]))
            i, last, since = j + 1, "string", j + 1
        elif c == "/" and last in REGEX_AFTER:
            j, in_class = i + 1, False
            while in_class or source[j] != "/":
                j += 2 if source[j] == "\\" else 1
                in_class = (in_class or source[j - 1] == "[") and source[j - 1] != "]"
            i, last = j + 1, "regex"
        elif c.isspace():
            i += 1
        else:
            word = re.match(r"[A-Za-z_$][\w$]*|\d[\w.]*", source[i:])
            last = word.group(0) if word else c
            i += len(last)
    return out


def looked_up(source: str) -> tuple[list[str], list[str]]:
    """(texts passed to t()/tn() -- a tn's plural too --, the other literals)."""
    found, other, plural_next = [], [], False
    for text, before in literals(source):
        lookup = LOOKUP.search(before)
        if lookup or (plural_next and re.fullmatch(r"\s*,\s*", before)):
            found.append(text)
            plural_next = bool(lookup and lookup.group(1) == "tn")
        else:
            other.append(text)
            plural_next = False
    return found, other


def shown(text: str) -> bool:
    """A literal a person would read: words with a space, or a capitalised word; not
    markup, a CSS class list or a selector."""
    if not LETTER.search(text) or text.lstrip().startswith("<") or '="' in text:
        return False
    if re.fullmatch(r"[a-z0-9 _-]+", text) and "-" in text:
        return False  # class names
    return bool(re.search(r"\s", text)) or (text[:1].isupper() and not text.isupper())


def untranslated(path: Path) -> list[str]:
    _found, other = looked_up(path.read_text(encoding="utf-8"))
    allowed = NOT_TEXT.get(path.name, set()) | NOT_TEXT["*"]
    return [text for text in other if shown(text) and text not in allowed]


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_scripts_show_no_text_outside_the_lookup(path):
    bare = untranslated(path)
    assert not bare, f"{path.relative_to(ROOT)}: text outside t(): {bare}"


KNOWN = set(OWN) | {text for pair in PLURALS for text in pair}


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_every_text_a_script_looks_up_is_in_the_catalogue(path):
    found, _other = looked_up(path.read_text(encoding="utf-8"))
    missing = [text for text in found if text not in KNOWN]
    assert not missing, f"{path.relative_to(ROOT)}: not in web/browser_texts.py: {missing}"


def test_every_listed_text_is_used():
    used = set()
    for path in SCRIPTS:
        used |= set(looked_up(path.read_text(encoding="utf-8"))[0])
    assert not KNOWN - used, f"listed but looked up by no script: {sorted(KNOWN - used)}"


def test_the_check_finds_bare_text_and_passes_looked_up_text():
    source = r"""
      // "Not this": a comment
      const re = /"Not a string either"/g;  x = a / b / "Hidden";
      say(t("Deploy failed: %(error)s", { error }) + tn("%(num)s day", "%(num)s days", n));
      el.className = "btn btn-sm btn-outline-secondary"; el.title = 'Bare text';
      label: `Try the ${kind}`, note: window.SLM.t("The diagram could not be shown."),
      alert("say \u201cit\u201d");
    """
    found, other = looked_up(source)
    assert found == ["Deploy failed: %(error)s", "%(num)s day", "%(num)s days",
                     "The diagram could not be shown."]
    assert [text for text in other if shown(text)] == [
        "Hidden", "Bare text", "Try the ${}", "say “it”"]


def test_the_dictionary_is_in_the_readers_language():
    with use_language("ru"):
        russian = browser_texts(library=True)
    with use_language("en"):
        english = browser_texts()
    assert russian["language"] == "ru" and english["language"] == "en"
    assert russian["texts"]["Deploying…"] == "Развёртывание…"
    assert english["texts"]["Deploying…"] == "Deploying…"
    # bpmn-js's palette, context pad and replace menu only on the modeler pages
    assert russian["texts"]["Create start event"] == "Создать стартовое событие"
    assert russian["texts"]["Append task"] == "Добавить задачу"
    assert russian["texts"]["User task"] == "Пользовательская задача"
    assert "Create start event" not in english["texts"]
    # Russian has three plural forms (1 день, 2 дня, 5 дней), English two
    assert russian["plurals"]["%(num)s day"] == ["%(num)s день", "%(num)s дня", "%(num)s дней"]
    assert english["plurals"]["%(num)s day"] == ["%(num)s day", "%(num)s days"]
    untranslated_library = [m for m in LIBRARY if russian["texts"][m] == m and m != "ID"]
    assert not untranslated_library, untranslated_library[:5]
