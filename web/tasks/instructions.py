"""A task's instructions as a person reads them: the author's Markdown, filled in from the
task data (Jinja, evaluated in a sandbox worker by engine.instructions), turned into HTML
by markdown-it-py with raw HTML off, then cleaned by nh3 (ammonia) to a small set of tags.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from engine.instructions import fill_instructions

_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
#: what instructions may contain: text structure, lists, tables and links
TAGS = frozenset({"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code",
                  "pre", "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr",
                  "th", "td", "del", "s"})
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})


@dataclass(frozen=True)
class Instructions:
    html: Markup
    #: why the template could not be filled in (then ``html`` shows the text as written)
    problem: str | None = None


def to_html(markdown: str) -> Markup:
    """Markdown as sanitized HTML (no scripts, styles, event handlers or javascript: links)."""
    html = _MARKDOWN.render(markdown or "")
    return Markup(nh3.clean(html, tags=set(TAGS), attributes=ATTRIBUTES,
                            url_schemes=set(URL_SCHEMES), link_rel="noopener noreferrer"))


def task_instructions(source: str, data: dict | None) -> Instructions | None:
    """The instructions of a task; ``data`` None: the task is no longer open, its data is
    gone with it, so the text is shown as the author wrote it."""
    if not source:
        return None
    if data is None:
        return Instructions(to_html(source))
    filled = fill_instructions(source, data)
    return Instructions(to_html(filled.text), filled.problem)


def instructions_json(source: str, data: dict | None) -> dict:
    """The instructions as the JSON API gives them: the Markdown a person reads (filled in
    from the data of an open task, as on the task page), its sanitized HTML, and why it could
    not be filled in, if so."""
    if not source:
        return {"instructions": "", "instructions_html": "", "instructions_problem": None}
    filled = fill_instructions(source, data) if data is not None else None
    text = source if filled is None or filled.problem else filled.text
    return {"instructions": text, "instructions_html": str(to_html(text)),
            "instructions_problem": filled.problem if filled is not None else None}


_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def preview(source: str, length: int = 140) -> str:
    """The instructions as one line of plain text for lists (no data is filled in there:
    a Jinja expression shows as "…")."""
    html = nh3.clean(_MARKDOWN.render(_JINJA.sub("…", source or "")), tags=set())
    text = " ".join(unescape(html).split())  # plain text: the template escapes it again
    return text if len(text) <= length else text[:length - 1].rstrip() + "…"
