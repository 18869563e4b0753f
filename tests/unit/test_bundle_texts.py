"""Every text bpmn-js, diagram-js, the properties panel and dmn-js can pass to their
``translate`` service in our built bundles is in web/browser_library_texts.py (so the
gettext catalogue translates it), unless the allow-lists below say why a person never
reads it. The templates are read from the bundles and their source maps
(tests/unit/bundle_templates.py), so the check stays true after an npm upgrade.

The bundles are built by ``make install`` (``npm run build``); without them the test is
skipped with the reason, except under CI=true, where it fails.
"""
from __future__ import annotations

import os

import pytest
from bundle_templates import (
    BUILD,
    BUNDLES,
    INDIRECT,
    in_bundle,
    indirect_modules,
    module_templates,
    templates,
)

from web.browser_library_texts import LIBRARY, LITERAL

#: modules the bundles include but whose texts never show: bpmn-js-properties-panel's index
#: exports the Camunda 7 and Camunda 8 (Zeebe) providers too, and esbuild keeps them, but the
#: modeler loads only BpmnPropertiesProviderModule (web/frontend/modeler.js). A template is
#: allowed only when every module passing it is one of these.
NOT_LOADED = (
    "bpmn-js-properties-panel/src/provider/camunda-platform/",
    "bpmn-js-properties-panel/src/provider/zeebe/",
    "bpmn-js-properties-panel/src/contextProvider/zeebe/",
)
#: single templates a person never reads (by template: why). Empty today: the bpmn-js and
#: dmn-js templates the loaded modules pass are all shown somewhere (tooltips and refused
#: moves included).
NOT_SHOWN: dict[str, str] = {}


@pytest.fixture(scope="module")
def found() -> dict[str, set[str]]:
    missing = [name for bundle in BUNDLES for name in (bundle, f"{bundle}.map")
               if not (BUILD / name).is_file()]
    if missing:
        reason = f"bundles not built ({', '.join(missing)} missing in {BUILD}): run make install"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    return templates()


def allowed(modules: set[str]) -> bool:
    return all(module.startswith(NOT_LOADED) for module in modules)


def test_every_template_the_bundles_translate_is_listed(found):
    missing = sorted(text for text, modules in found.items()
                     if text not in LIBRARY and text not in NOT_SHOWN and not allowed(modules))
    assert not missing, (
        f"{len(missing)} template(s) the bundles pass to translate are not in "
        f"web/browser_library_texts.py (add them and translate them, or allow-list them "
        f"in tests/unit/test_bundle_texts.py with the reason): "
        + "; ".join(f"{text!r} ({', '.join(sorted(found[text]))})" for text in missing))


def test_every_listed_literal_is_still_in_the_bundles(found):
    # an npm upgrade that renames or drops a text leaves a stale entry: move it, or drop it
    stale = [text for text in LITERAL if text not in found]
    assert not stale, ("web/browser_library_texts.py's LITERAL lists templates the bundles "
                       f"no longer pass to translate: {stale}")


def test_the_extraction_finds_the_known_kinds_of_call(found):
    # a literal call (diagram-js's palette), a this._translate call (dmn-js), a field other
    # modules translate by a variable (the hit policies), a constant (bpmn-js's refused move)
    assert "Activate hand tool" in found
    assert "Add rule above" in found
    assert "Collect (Sum)" in found
    assert "Data object must be placed within a pool/participant." in found
    # and many of them: a broken extraction finding a handful would pass the check above
    assert len(found) > 400, len(found)


def test_the_allow_lists_are_not_stale(found):
    assert any(allowed(modules) for modules in found.values()), \
        "no template comes from NOT_LOADED's modules any more: remove them"
    stale = [text for text in NOT_SHOWN if text not in found]
    assert not stale, f"NOT_SHOWN lists templates the bundles no longer pass: {stale}"
    listed_and_allowed = [text for text in NOT_SHOWN if text in LIBRARY]
    assert not listed_and_allowed, listed_and_allowed


def test_every_indirect_module_is_in_a_bundle(found):
    absent = {ending for ending, _ in INDIRECT} - indirect_modules()
    assert not absent, f"INDIRECT names modules no bundle includes (moved by an upgrade?): {absent}"


def test_the_extraction_reads_each_form_of_call():
    source = r"""
      // translate('Not in a comment') is still found here: in_bundle drops it later
      const COLLAB_ERR_MSG = 'flow elements must be children of pools/participants';
      var LABELS = { start: 'Start label', [KEY]: "Keyed label" };
      title: translate('Create task'), label: this._translate("Add rule"),
      x = self._translate('It\'s here', { a: 1 });
      translate(is(element, 'bpmn:Participant') ? 'Participant ID' : 'ID');
      translate(COLLAB_ERR_MSG); translate(LABELS[key]);
      translate(`List contains {n} item${n != 1 ? 's' : ''}`);
      translate(`Made of ${name}`); translate('Align elements ' + alignment);
      svg.setAttribute('transform', translate(3, 2)); retranslate('Not this');
    """
    assert module_templates("some/module.js", source) == [
        "Not in a comment", "Create task", "Add rule", "It's here", "Participant ID", "ID",
        "flow elements must be children of pools/participants", "Start label", "Keyed label",
        "List contains {n} items", "List contains {n} item"]
    indirect = "label: 'Unique',\n explanation: 'No overlap', value: 'UNIQUE'"
    policies = next(ending for ending, _ in INDIRECT if ending.endswith("HitPolicies.js"))
    assert module_templates(f"x/{policies}", indirect) == ["Unique", "No overlap"]
    assert module_templates("x/Other.js", indirect) == []


def test_in_bundle_reads_the_quotes_esbuild_writes():
    code = 'a("Add rule"),b(\'Say "hi"\'),c(`It\'s "both"`),d("Deploying\\u2026")'
    assert in_bundle(code, "Add rule") and in_bundle(code, 'Say "hi"')
    assert in_bundle(code, "It's \"both\"") and in_bundle(code, "Deploying…")
    assert not in_bundle(code, "Add") and not in_bundle(code, "Remove rule")
