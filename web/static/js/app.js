// Small behaviours shared by every page (no inline scripts: see the Content-Security-Policy).
(function () {
  "use strict";

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
