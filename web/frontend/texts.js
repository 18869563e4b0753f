// The texts of the modeler and the decision table editor in the reader's language. The page
// carries them, rendered from the gettext catalogue (web/browser_texts.py), in
// <script type="application/json" id="slm-texts">; a text missing there stays in English.
let table = null;

function dictionary() {
  if (table === null) {
    const node = document.getElementById("slm-texts");
    try { table = node ? JSON.parse(node.textContent) : {}; } catch (err) { table = {}; }
    table.texts = table.texts || {};
    table.plurals = table.plurals || {};
  }
  return table;
}

function fill(text, values) {
  return text.replace(/%\((\w+)\)s/g, (whole, name) =>
    (values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole));
}

/** ``message`` (its English text) in the reader's language, %(name)s filled from ``values``. */
export function t(message, values) {
  const found = dictionary().texts[message];
  return fill(typeof found === "string" && found ? found : message, values);
}

// gettext's order of plural forms: English one, other; Russian one, few, many
const FORM = { one: 0, few: 1, many: 2, other: 2 };

/** The form of ``singular``/``plural`` for the number ``n`` (%(num)s is ``n``). */
export function tn(singular, plural, n, values) {
  const data = dictionary();
  const forms = data.plurals[singular];
  const all = Object.assign({ num: n }, values || {});
  if (!forms || !forms.length) { return fill(Number(n) === 1 ? singular : plural, all); }
  let index = Number(n) === 1 ? 0 : 1;
  try {
    const category = new Intl.PluralRules(data.language || "en").select(Number(n));
    index = forms.length === 2 ? (category === "one" ? 0 : 1) : FORM[category];
  } catch (err) { /* an old browser: English's rule */ }
  return fill(forms[Math.min(index, forms.length - 1)], all);
}

/** bpmn-js's, diagram-js's and dmn-js's ``translate`` service: their template looked up in
 * the same dictionary, {name} placeholders filled as they fill them. */
export function translate(template, replacements) {
  const found = dictionary().texts[template];
  const text = typeof found === "string" && found ? found : template;
  return text.replace(/{([^}]+)}/g, (whole, key) =>
    (replacements && Object.prototype.hasOwnProperty.call(replacements, key) ? replacements[key] : whole));
}

export const translateModule = { translate: ["value", translate] };
