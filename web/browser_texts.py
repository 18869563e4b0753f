"""Texts the browser writes itself (the modeler, the decision table editor, the small page
scripts), kept here so pybabel extracts them into the gettext catalogue like every other text.

Pages render :func:`browser_texts` for the reader's language into
``<script type="application/json" id="slm-texts">`` (base.html); the scripts look texts up
there by their English text: ``t("Deploy failed: %(error)s", {error})`` and
``tn(singular, plural, n)`` (web/frontend/texts.js, ``window.SLM`` in web/static/js/app.js).
bpmn-js, diagram-js and dmn-js translate their own texts (palette, context pad, replace
menu, properties panel, decision table menus) through their ``translate`` service, which the
modeler replaces by a lookup in the same dictionary (``{name}`` placeholders are theirs).

tests/unit/test_browser_texts.py checks that every text the scripts look up is listed here
and that no script shows an English literal outside ``t()``/``tn()``.
"""
from __future__ import annotations

from engine.i18n import N_, N_plural, current_language, translations

from .browser_library_texts import LIBRARY

#: our own scripts' texts (%(name)s placeholders are filled by the script)
OWN = (
    # the modeler's toolbar and status line
    N_("Write a change note first: why was the diagram changed?"), N_("Deploying…"),
    N_("Not deployed: %(reason)s"), N_("Nothing changed: %(versions)s is current."),
    N_("Deployed %(versions)s."), N_("%(process)s version %(version)s"),
    N_("Deploy failed: %(error)s"), N_("Validating…"),
    N_("No problems: the diagram can be deployed."), N_("Validation failed: %(error)s"),
    N_("The diagram could not be opened: %(error)s"), N_("the server answered HTTP %(status)s"),
    N_("Replace the diagram? Unsaved changes are lost."),
    N_("The file was refused: %(reason)s. The diagram open before is unchanged."),
    N_("The file could not be opened: %(error)s. The diagram open before is unchanged."),
    N_("Loaded %(name)s."), N_("Loaded %(name)s: it has problems, see the list."),
    N_("Loaded %(name)s (it had no drawing: laid out automatically)."),
    N_("Loaded %(name)s (it had no drawing: laid out automatically): it has problems, "
       "see the list."),
    N_("Whole window"), N_("Leave whole window"),
    # the form editor
    N_("New form"), N_("Decision"), N_("Comment"), N_("Why?"), N_("approve"), N_("reject"),
    N_("The form schema is not valid JSON: %(error)s"),
    N_("The ui schema is not valid JSON: %(error)s"), N_("The preview failed: %(error)s"),
    N_("The file name must end in .schema.json and use letters, digits, _ . or -"),
    # the properties panel's Engine group
    N_("Engine"), N_("Lane (role): %(lane)s"), N_("Not in a lane: move it into a lane."),
    N_("Form"), N_("(no form)"), N_("Edit the form"), N_("Due in"),
    N_("In words: %(words)s (%(value)s)"),
    N_("ISO 8601 duration, e.g. P5D (5 days) or PT4H (4 hours)"),
    N_("Not an ISO 8601 duration: write e.g. P3D or PT12H"), N_("Handler"),
    N_("What the engine runs at this step"), N_("(choose a handler)"),
    N_("Parameter %(name)s"), N_("%(help)s (an expression on the task data)"),
    N_("Timer (after a duration)"), N_("Timer (at a date)"), N_("Timer (repeating)"),
    N_('Quote an ISO 8601 value ("PT1H", "R3/PT1H") or name a value in the task data'),
    N_("Condition"), N_('An expression on the task data, e.g. choice["approved"] is True'),
    N_("Script"), N_("Python statements on the task data (no imports)"), N_("Instructions"),
    N_("Shown to the person who does the task (Markdown)"), N_("Decision (DMN decision id)"),
    N_("The decision table this task evaluates: a .dmn file deployed with the diagram"),
    N_("Sample task data (JSON)"), N_("Try the condition"), N_("Try the script"),
    N_("Try the timer"), N_("Result:"), N_("Data after:"), N_("Error: %(error)s"),
    # times in words
    N_("%(times)s, every %(every)s"), N_("repeatedly, every %(every)s"),
    N_("%(cycle)s from %(start)s"), N_("on %(date)s"), N_("on %(date)s at %(time)s"),
    N_("after %(duration)s"),
    # the decision table editor
    N_("The decision table could not be shown: %(error)s"),
    N_("Nothing changed: the table is the same."), N_("Deployed as %(versions)s."),
    N_("see the problems below"),
    # diagrams on other pages (task, trace, health, version, diff)
    N_("The diagram could not be shown."), N_("p50 %(p50)s · p90 %(p90)s"), N_("%(hours)s h"),
    # the requirement form's wish rows (the server says the same)
    N_("say in words what you wish"), N_("give the level as a number"),
    N_("%(str)s is not a number"), N_("choose per month or per quarter"),
    N_("choose what to measure, or tick “%(choice)s”"), N_("Not sure: clarify it with me"),
)

#: our own scripts' texts that change with a number: (singular, plural); ``num`` is the number
PLURALS = (
    N_plural("%(num)s problem.", "%(num)s problems."),
    N_plural("%(num)s problem: see the diagram and the list.",
             "%(num)s problems: see the diagram and the list."),
    N_plural("%(num)s year", "%(num)s years"), N_plural("%(num)s month", "%(num)s months"),
    N_plural("%(num)s week", "%(num)s weeks"), N_plural("%(num)s day", "%(num)s days"),
    N_plural("%(num)s hour", "%(num)s hours"), N_plural("%(num)s minute", "%(num)s minutes"),
    N_plural("%(num)s second", "%(num)s seconds"), N_plural("%(num)s time", "%(num)s times"),
    N_plural("%(num)s waiting here", "%(num)s waiting here"),
    N_plural("%(num)s open incident", "%(num)s open incidents"),
    N_plural("%(num)s waiting", "%(num)s waiting"),
    N_plural("%(num)s incident", "%(num)s incidents"),
    N_plural("%(num)s passed", "%(num)s passed"), N_plural("ran %(num)s time", "ran %(num)s times"),
)

#: a number for each plural form of a language, in the order of its catalogue's forms
#: (the script picks a form with the browser's Intl.PluralRules: one, few, many/other)
PLURAL_SAMPLES = {"en": (1, 2), "ru": (1, 2, 5)}


def browser_texts(library: bool = False) -> dict:
    """The dictionary the page's scripts read, in the current language: ``texts`` (each
    English text -> its translation), ``plurals`` (singular -> its forms) and ``language``;
    with ``library``, bpmn-js's and dmn-js's own texts too (the modeler pages)."""
    language = current_language()
    catalogue = translations(language)
    messages = OWN + (LIBRARY if library else ())
    samples = PLURAL_SAMPLES.get(language, PLURAL_SAMPLES["en"])
    return {
        "language": language,
        "texts": {m: catalogue.ugettext(m) for m in messages},
        "plurals": {s: [catalogue.ungettext(s, p, n) for n in samples] for s, p in PLURALS},
    }
