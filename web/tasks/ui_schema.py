"""A form's ui schema (``formUiSchemaFilename``), read the way react-jsonschema-form reads
it, which is what SpiffArena's forms use: per property a dict of ``ui:`` keys, nested like
the JSON Schema (an object's properties under their names, an array's under ``items``).

What the server's form renderer honours:
- ``ui:order``: the order of an object's fields; ``"*"`` stands for every field not named
  (without it, fields not named come last, in the schema's order);
- ``ui:widget``: ``textarea``, ``radio``, ``select``, ``date``, ``hidden``, ``text``;
- ``ui:help``: a help text below the field; ``ui:title``: its label;
- ``ui:description``: the text the JSON Schema's ``description`` would give.
Other keys are ignored; a ui schema never changes what is valid (the JSON Schema does).
"""
from __future__ import annotations

from engine.i18n import DEFAULT_LANGUAGE, _, current_language

#: rjsf widget name -> the renderer's widget
WIDGETS = {"textarea": "textarea", "radio": "radios", "select": "select", "date": "date",
           "hidden": "hidden", "text": "text"}
#: widgets a field of each kind may take
_FITS = {
    "textarea": {"text", "textarea"},
    "radios": {"radios", "select", "checkbox"},
    "select": {"radios", "select"},
    "date": {"text", "date"},
    "text": {"text", "textarea", "date"},
}


def of(ui, name: str) -> dict:
    """The ui schema of property ``name`` (or of ``items``), {} when none."""
    sub = ui.get(name) if isinstance(ui, dict) else None
    return sub if isinstance(sub, dict) else {}


def ordered(names: list[str], ui) -> list[str]:
    """``names`` in the order ``ui:order`` gives (unknown names in it are skipped)."""
    order = ui.get("ui:order") if isinstance(ui, dict) else None
    if not isinstance(order, list) or not order:
        return names
    named = [n for n in order if isinstance(n, str) and n in names]
    rest = [n for n in names if n not in named]
    if "*" in order:
        at = order.index("*")
        before = [n for n in order[:at] if n in named]
        after = [n for n in order[at + 1:] if n in named]
        return before + rest + after
    return named + rest


def _text(ui: dict, key: str):
    """``ui[key]``, or its text in the reader's language (``ui:title_ru``) when given."""
    language = current_language()
    localised = ui.get(f"{key}_{language}") if language != DEFAULT_LANGUAGE else None
    return localised if isinstance(localised, str) else ui.get(key)


def apply(field, ui: dict) -> None:
    """Set the label, help and widget of ``field`` (a form_fields.Field) from ``ui``."""
    if isinstance(_text(ui, "ui:title"), str):
        field.label = _text(ui, "ui:title")
    if isinstance(_text(ui, "ui:description"), str):
        field.help = _text(ui, "ui:description")
    if isinstance(_text(ui, "ui:help"), str):
        field.help = _text(ui, "ui:help")
    wanted = WIDGETS.get(ui.get("ui:widget")) if isinstance(ui.get("ui:widget"), str) else None
    if wanted is None:
        return
    if wanted == "hidden":
        if field.widget not in ("fieldset", "rows", "list", "checkboxes"):
            if field.widget == "checkbox":
                field.value = "true" if field.value else "false"
            field.widget = "hidden"
        return
    if field.widget in _FITS.get(wanted, set()):
        if field.widget == "checkbox" and wanted == "radios":
            field.options = [("true", _("Yes")), ("false", _("No"))]
            field.value = "true" if field.value else "false"
        field.widget = wanted
