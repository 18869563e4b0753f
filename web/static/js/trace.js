// The auditor's instance trace: the instance's own diagram version in bpmn-js's
// NavigatedViewer with completed/current/error markers and a count badge on every element
// that ran more than once; clicking an element filters the timeline to its events.
(function () {
  "use strict";

  var MARKERS = { completed: "slm-done", current: "slm-current", error: "slm-error" };

  function filterTimeline(elementId, label) {
    var rows = document.querySelectorAll("[data-testid=timeline] > tbody > tr");
    var note = document.getElementById("timeline-filter");
    rows.forEach(function (row) {
      row.hidden = Boolean(elementId) && row.getAttribute("data-element") !== elementId;
    });
    if (note) {
      note.hidden = !elementId;
      document.getElementById("timeline-filter-name").textContent = label || elementId || "";
    }
  }

  function show(container) {
    var marks = JSON.parse(container.getAttribute("data-markers") || "{}");
    var viewer = new window.BpmnJS({ container: container });
    var selected = null;

    window.slmLoadDiagram(container, viewer, function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      var overlays = viewer.get("overlays");
      canvas.zoom("fit-viewport", "auto");
      Object.keys(MARKERS).forEach(function (kind) {
        (marks[kind] || []).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, MARKERS[kind]); }
        });
      });
      Object.keys(marks.counts || {}).forEach(function (id) {
        var element = registry.get(id);
        if (!element) { return; }
        var badge = document.createElement("span");
        badge.className = "slm-count";
        badge.setAttribute("data-testid", "count-" + id);
        badge.setAttribute("title", window.SLM.tn("ran %(num)s time", "ran %(num)s times", marks.counts[id]));
        badge.textContent = String(marks.counts[id]);
        overlays.add(id, "count", { position: { top: -10, right: 10 }, html: badge });
      });
      viewer.get("eventBus").on("element.click", function (event) {
        var element = event.element;
        if (selected) { canvas.removeMarker(selected, "slm-selected"); }
        if (!element || !element.businessObject || element.type === "bpmn:Process" ||
            element.type === "bpmn:Participant" || element.type === "bpmn:Lane" ||
            element.type === "bpmn:Collaboration") {
          selected = null;
          filterTimeline(null);
          return;
        }
        selected = element.id;
        canvas.addMarker(selected, "slm-selected");
        filterTimeline(element.id, element.businessObject.name || element.id);
      });
      container.setAttribute("data-state", "ready");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var all = document.getElementById("timeline-show-all");
    if (all) { all.addEventListener("click", function () { filterTimeline(null); }); }
    var container = document.getElementById("trace-diagram");
    if (container && window.BpmnJS) {
      show(container);
    } else if (container) {
      container.setAttribute("data-state", "error");
    }
  });
})();
