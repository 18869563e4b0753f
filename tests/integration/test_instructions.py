"""What a person reads (issue 14, item 7): ``instructionsForEndUser`` is Markdown with Jinja
over the task data. Jinja runs in the sandbox workers (real worker processes, their real
limits); the Markdown becomes HTML that nh3 cleans. Hostile templates and hostile data end
as a clear message, never as an error page or a script in the page."""
from __future__ import annotations

import lxml.html
import pytest

from engine.instructions import fill_instructions
from web.tasks.instructions import task_instructions, to_html


def test_a_template_is_filled_in_from_the_task_data():
    filled = fill_instructions("## Hello {{ name }}\n\n{% for s in services %}- {{ s | upper }}\n"
                               "{% endfor %}", {"name": "Ann", "services": ["mail", "web"]})
    assert filled.problem is None
    assert filled.text == "## Hello Ann\n\n- MAIL\n- WEB\n"
    shown = task_instructions("## Hello {{ name }}", {"name": "Ann"})
    assert str(shown.html).strip() == "<h2>Hello Ann</h2>" and shown.problem is None


def test_text_without_jinja_never_goes_to_a_worker():
    assert fill_instructions("Describe what you need {not a template}", {}).text == \
        "Describe what you need {not a template}"


@pytest.mark.parametrize("template, reason", [
    # escapes from the sandbox
    ("{{ ''.__class__ }}", "not allowed: access to attribute '__class__'"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "not allowed"),
    ("{{ cycler.__init__.__globals__ }}", "not allowed"),
    ("{{ data.update({'owned': 1}) }}", "not allowed: access to attribute 'update'"),
    # endless work, endless output, endless memory, endless recursion
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
     "the template ran longer than"),
    ("{% for i in range(100000) %}0123456789{% endfor %}", "more than 100,000 characters"),
    ("{{ 'a' * 900000000 }}", "too much memory"),
    ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "calls itself too deeply"),
    # mistakes of the author
    ("Hello {{ nmae }}", "unknown name: 'nmae' is undefined"),
    ("Hello {{ name", "syntax error"),
])
def test_hostile_or_broken_templates_become_a_clear_message(template, reason):
    filled = fill_instructions(template, {"name": "Ann", "data": {}}, time_limit=1.0)
    assert filled.problem is not None and reason in filled.problem, filled.problem
    assert filled.problem.startswith("The instructions could not be filled in")
    assert filled.text == template  # shown as written, with the message above it


def test_the_worker_still_answers_after_hostile_templates():
    fill_instructions("{{ 'a' * 900000000 }}", {}, time_limit=1.0)
    assert fill_instructions("{{ 1 + 1 }}", {}).text == "2"


@pytest.mark.parametrize("markdown", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<div style=\"background:url(javascript:alert(1))\" onclick=\"alert(1)\">x</div>",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
])
def test_script_injection_in_markdown_is_sanitized(markdown):
    tree = lxml.html.fragment_fromstring(str(to_html(markdown)), create_parent="div")
    for el in tree.iter():
        assert el.tag not in ("script", "img", "iframe", "style"), el.tag
        for attr, value in el.attrib.items():
            assert not attr.startswith("on") and attr != "style", attr
            if attr == "href":
                assert value.startswith(("http:", "https:", "mailto:")), value


def test_task_data_cannot_inject_html_through_the_template():
    shown = task_instructions("Customer says: {{ note }}",
                              {"note": "<script>alert(1)</script> **bold**"})
    html = str(shown.html)
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "<strong>bold</strong>" in html


def test_markdown_keeps_what_a_person_needs():
    html = str(to_html("# Title\n\n1. one\n2. **two**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
                       "[the catalogue](https://example.org/catalogue)"))
    assert "<h1>Title</h1>" in html and "<ol>" in html and "<strong>two</strong>" in html
    assert "<table>" in html
    assert '<a href="https://example.org/catalogue" rel="noopener noreferrer">' in html


def test_a_closed_task_shows_the_text_as_written():
    shown = task_instructions("## Hello {{ name }}", None)
    assert shown.problem is None and "Hello {{ name }}" in str(shown.html)


def test_lists_show_a_plain_preview_without_filling_anything_in():
    from web.tasks.instructions import preview
    assert preview("## Hello {{ name }}\n\nCall **{{ contact }}** <b>now</b>") == \
        "Hello … Call … <b>now</b>"
    assert len(preview("word " * 100)) == 140 and preview("word " * 100).endswith("…")
