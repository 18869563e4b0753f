// The texts of the modeler and the decision table editor in the reader's language. The page
// carries them, rendered from the gettext catalogue (web/browser_texts.py), in
// <script type="application/json" id="slm-texts">, and app.js (loaded by every page before
// these bundles) looks them up: window.SLM. A text missing there stays in English.

function slm() {
  return window.SLM || {
    t: (message) => message,
    tn: (singular, plural, n) => (Number(n) === 1 ? singular : plural),
    lookup: () => undefined,
  };
}

/** ``message`` (its English text) in the reader's language, %(name)s filled from ``values``. */
export function t(message, values) {
  return slm().t(message, values);
}

/** The form of ``singular``/``plural`` for the number ``n`` (%(num)s is ``n``). */
export function tn(singular, plural, n, values) {
  return slm().tn(singular, plural, n, values);
}

/** bpmn-js's, diagram-js's and dmn-js's ``translate`` service: their template looked up in
 * the same dictionary, {name} placeholders filled as they fill them. */
export function translate(template, replacements) {
  const text = slm().lookup(template) || template;
  return text.replace(/{([^}]+)}/g, (whole, key) =>
    (replacements && Object.prototype.hasOwnProperty.call(replacements, key) ? replacements[key] : whole));
}

export const translateModule = { translate: ["value", translate] };
