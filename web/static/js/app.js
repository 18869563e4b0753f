// Small behaviours shared by every page (no inline scripts: see the Content-Security-Policy).
(function () {
  "use strict";

  // The page scripts' texts in the reader's language: base.html carries them, rendered from
  // the gettext catalogue (web/browser_texts.py), as JSON in #slm-texts. SLM.t(english,
  // {name: value}) fills %(name)s; SLM.tn(singular, plural, n, {name: value}) picks the
  // plural form (%(num)s is n). The modeler's bundles use them too (web/frontend/texts.js).
  var table = null;
  function dictionary() {
    if (table === null) {
      var node = document.getElementById("slm-texts");
      try { table = node ? JSON.parse(node.textContent) : {}; } catch (err) { table = {}; }
      table.texts = table.texts || {};
      table.plurals = table.plurals || {};
    }
    return table;
  }
  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }
  function t(message, values) {
    var found = dictionary().texts[message];
    return fill(typeof found === "string" && found ? found : message, values);
  }
  function tn(singular, plural, n, more) {
    var data = dictionary();
    var forms = data.plurals[singular];
    var values = Object.assign({ num: n }, more || {});
    if (!forms || !forms.length) { return fill(Number(n) === 1 ? singular : plural, values); }
    var index = Number(n) === 1 ? 0 : 1;
    try {
      var category = new Intl.PluralRules(data.language || "en").select(Number(n));
      // gettext's order of plural forms: English one, other; Russian one, few, many
      index = forms.length === 2 ? (category === "one" ? 0 : 1)
        : (category === "one" ? 0 : category === "few" ? 1 : 2);
    } catch (err) { /* an old browser: English's rule */ }
    return fill(forms[Math.min(index, forms.length - 1)], values);
  }
  // the text for ``message`` in the reader's language, or undefined (the editors' own
  // translate service, web/frontend/texts.js, fills their {name} placeholders itself)
  function lookup(message) {
    var found = dictionary().texts[message];
    return typeof found === "string" && found ? found : undefined;
  }
  window.SLM = { t: t, tn: tn, lookup: lookup };

  // <form data-confirm="Really delete?"> asks before it is sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Enter in a field of a table of rows (data-rows) moves to the next field instead of
  // sending a half-filled form; the submit button still sends it.
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !field.closest || !field.closest("[data-rows]")) {
      return;
    }
    if (field.tagName !== "INPUT" || /^(submit|button|checkbox|radio)$/.test(field.type)) {
      return;
    }
    event.preventDefault();
    var fields = Array.prototype.filter.call(
      field.form ? field.form.elements : [], function (el) {
        return !el.disabled && el.type !== "hidden" && el.tabIndex >= 0;
      });
    var next = fields[fields.indexOf(field) + 1];
    if (next) {
      next.focus();
    }
  });

  // Put the cursor in the first invalid field after a refused submission.
  document.addEventListener("DOMContentLoaded", function () {
    var invalid = document.querySelector(".is-invalid");
    if (invalid && typeof invalid.focus === "function") {
      invalid.focus();
    }
  });
})();
