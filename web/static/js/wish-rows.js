// The requirement form's wish rows: each row is checked as it is left and when the form is
// sent, and says which field is missing (the server checks the same, with the same words).
// A row is empty, or "not sure" (ticked: words are enough), or complete: what to measure,
// a value that is a number, and a period.
(function () {
  "use strict";
  var t = window.SLM.t;

  function field(row, name) {
    return row.querySelector("[data-field='" + name + "']");
  }

  function problems(row) {
    var text = field(row, "text").value.trim();
    var metric = field(row, "metric").value;
    var value = field(row, "value").value.trim();
    var period = field(row, "period").value;
    var unsure = field(row, "clarify").checked;
    var found = {};
    if (!text && !metric && !value && !period && !field(row, "comparator").value && !unsure) {
      return found; // an empty row is skipped
    }
    if (!text) {
      found.text = t("say in words what you wish");
    }
    if (unsure) {
      return found;
    }
    if (!metric) {
      found.metric = t("choose what to measure, or tick \u201c%(choice)s\u201d",
                     { choice: t("Not sure: clarify it with me") });
    }
    if (!value) {
      found.value = t("give the level as a number");
    } else if (!/^-?\d+([.,]\d+)?$/.test(value)) {
      found.value = t("%(str)s is not a number", { str: "\u2018" + value + "\u2019" });
    }
    if (!period) {
      found.period = t("choose per month or per quarter");
    }
    return found;
  }

  function show(row, found) {
    Array.prototype.forEach.call(row.querySelectorAll("[data-live-for]"), function (box) {
      var input = document.getElementById(box.getAttribute("data-live-for"));
      var message = found[input.getAttribute("data-field")];
      box.textContent = message || "";
      box.classList.toggle("d-block", Boolean(message));
      if (message) {
        input.classList.add("is-invalid");
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", box.id);
      } else if (!document.getElementById(input.id + "-error")) {
        input.classList.remove("is-invalid");
        input.removeAttribute("aria-invalid");
        input.removeAttribute("aria-describedby");
      }
    });
  }

  function check(row) {
    var found = problems(row);
    show(row, found);
    return found;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-wish-form]");
    if (!form) {
      return;
    }
    var rows = form.querySelectorAll("[data-wish-row]");
    Array.prototype.forEach.call(rows, function (row) {
      row.addEventListener("focusout", function (event) {
        if (!row.contains(event.relatedTarget)) {
          check(row);
        }
      });
      row.addEventListener("change", function (event) {
        if (event.target.getAttribute("data-field") === "clarify" || row.querySelector(".is-invalid")) {
          check(row);
        }
      });
    });
    form.addEventListener("submit", function (event) {
      var first = null;
      Array.prototype.forEach.call(rows, function (row) {
        var found = check(row);
        var names = Object.keys(found);
        if (names.length && !first) {
          first = field(row, names[0]);
        }
      });
      if (first) {
        event.preventDefault();
        first.focus();
      }
    });
  });
})();
