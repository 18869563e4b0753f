"""Every text a person reads is translatable, and both catalogues translate all of it.

- the templates: parsed with Jinja's lexer and AST (not regular expressions over HTML), no
  text between tags, in a shown attribute or in a shown string literal is outside ``_()``;
- the catalogues: every message pybabel extracts (babel.cfg) has a translation in English
  and in Russian, none fuzzy, with the same placeholders.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2 import nodes

from engine.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "web" / "templates"
#: attributes whose value a person reads (or hears from a screen reader)
SHOWN_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "data-label", "data-confirm",
                    "aria-description", "aria-roledescription"}
MARK = "\x00"  # stands for a Jinja construct inside the HTML
LETTER = re.compile(r"[^\W\d_]")
ENTITY = re.compile(r"&[#A-Za-z0-9]+;")
TRANSLATING = {"_", "gettext", "ngettext"}
#: a macro's output of attributes for its caller's tag (aria-invalid="true" ...): markup
ATTRIBUTES_ONLY = re.compile(r'(\s*[\w:-]+="[^"]*")+\s*')


def _env() -> jinja2.Environment:
    return jinja2.Environment(extensions=["jinja2.ext.i18n"])


def _readable(text: str) -> bool:
    return bool(LETTER.search(ENTITY.sub("", text.replace(MARK, ""))))


class _Html(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value and _readable(value):
                self.found.append(f'{name}="{value.replace(MARK, "").strip()}"')

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if not self._skip and _readable(data) and not ATTRIBUTES_ONLY.fullmatch(
                data.replace(MARK, " ")):
            self.found.append(data.replace(MARK, "").strip())


def untranslated_markup(source: str) -> list[str]:
    """Text between tags or in shown attributes that is not produced by a Jinja construct."""
    html = []
    for _line, kind, value in _env().lex(source):
        if kind == "data":
            html.append(value)
        elif kind in ("variable_begin", "block_begin", "comment_begin"):
            html.append(f" {MARK} ")
    parser = _Html()
    parser.feed("".join(html))
    parser.close()
    return parser.found


#: lower-case words that are only ever grammar, never a key or a CSS class: a template
#: choosing between them ("is"/"are") is building an English sentence out of pieces
GRAMMAR = {"is", "are", "was", "were", "it", "them", "its", "their", "s", "es", "this",
           "these", "has", "have", "one", "ones", "a", "an", "the"}


def _human(text: str) -> bool:
    """A literal a person reads: words (a space) or a capitalised word; not a key or class."""
    if text.strip() in GRAMMAR:
        return True
    if not LETTER.search(text):
        return False
    if " " in text.strip():
        return not re.fullmatch(r"[a-z0-9\- ]+", text) or "-" not in text
    return text[:1].isupper() and not re.fullmatch(r"[A-Z_]+", text)


def _shown_literals(node) -> list[str]:
    """String constants an expression outputs as they are (not through _() or a call)."""
    if isinstance(node, nodes.Const):
        return [node.value] if isinstance(node.value, str) and _human(node.value) else []
    if isinstance(node, nodes.CondExpr):
        return _shown_literals(node.expr1) + (_shown_literals(node.expr2) if node.expr2 else [])
    if isinstance(node, nodes.Or | nodes.And | nodes.Add):
        return _shown_literals(node.left) + _shown_literals(node.right)
    if isinstance(node, nodes.Concat):
        return [t for n in node.nodes for t in _shown_literals(n)]
    if isinstance(node, nodes.Filter) and node.node is not None:
        return _shown_literals(node.node)
    return []


def untranslated_literals(source: str) -> list[str]:
    """Human string literals printed by {{ }} or passed to a macro as a label or help."""
    tree = _env().parse(source)
    found: list[str] = []
    for output in tree.find_all(nodes.Output):
        for child in output.nodes:
            if not isinstance(child, nodes.TemplateData):
                found += _shown_literals(child)
    for call in tree.find_all(nodes.Call):
        func = call.node
        name = getattr(func, "name", None) or getattr(func, "attr", None)
        if name in TRANSLATING:
            continue
        if isinstance(func, nodes.Getattr) and isinstance(func.node, nodes.Name) \
                and func.node.name not in ("request", "current_user", "loop"):
            # a macro of an imported set (forms.field, cat.textarea...): its labels and help
            for arg in call.args[1:]:
                found += _shown_literals(arg)
            for kw in call.kwargs:
                found += _shown_literals(kw.value)
    return found


TEMPLATE_FILES = sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_texts_are_translatable(path):
    source = path.read_text(encoding="utf-8")
    problems = untranslated_markup(source) + untranslated_literals(source)
    assert not problems, f"{path.relative_to(ROOT)}: text outside _(): {problems[:10]}"


def test_the_checks_find_untranslated_text():
    """The two checks above catch what they are meant to catch (and pass marked text)."""
    assert untranslated_markup('<p class="x">Hello {{ name }}</p>') == ["Hello"]
    assert untranslated_markup('<a aria-label="Close">{{ _("x") }}</a>') == ['aria-label="Close"']
    assert untranslated_markup('<p>{{ _("Hello %(n)s", n=name) }} &middot; 12</p>') == []
    assert untranslated_literals("{{ 'Never' if x else _('Soon') }}") == ["Never"]
    assert untranslated_literals("{{ forms.field('title', 'Title', help=_('Ok')) }}") == ["Title"]
    assert untranslated_literals("{{ forms.field('title', _('Title')) }}") == []
    assert untranslated_literals("{{ 'text-bg-danger' if x else 'btn btn-sm' }}") == []
    assert untranslated_literals("{{ 'is' if n == 1 else 'are' }} {{ 'es' if n else '' }}") == [
        "is", "are", "es"]


def extracted() -> Catalog:
    """Every message pybabel extracts with the project's babel.cfg."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={
                "_": None, "gettext": None, "ngettext": (1, 2), "N_": None,
                "lazy_gettext": None, "N_plural": (1, 2)}):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments,
                    context=context)
    return catalog


@pytest.fixture(scope="module")
def messages() -> Catalog:
    return extracted()


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_translates_every_message(language, messages):
    path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    with open(path, "rb") as po:
        catalogue = read_po(po, locale=language)
    missing, fuzzy = [], []
    for message in messages:
        if not message.id:
            continue
        found = catalogue.get(message.id)
        strings = found.string if found else None
        if isinstance(strings, tuple | list):
            empty = not all(strings) or len(strings) < catalogue.num_plurals
        else:
            empty = not strings
        if found is None or empty:
            missing.append(message.id)
        elif found.fuzzy:
            fuzzy.append(message.id)
    assert not missing, f"{language}: {len(missing)} messages without translation: {missing[:8]}"
    assert not fuzzy, f"{language}: fuzzy translations: {fuzzy[:8]}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalogue.check() if errors]
    assert not problems, f"{language}: placeholders differ: {problems[:8]}"
