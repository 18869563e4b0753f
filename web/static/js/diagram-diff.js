// The diff page: both versions side by side (bpmn-js NavigatedViewer from /vendor/bpmn-js),
// added and changed elements marked on the new version, removed ones on the old.
(function () {
  "use strict";
  var box = document.getElementById("diff-diagrams");
  if (!box || !window.BpmnJS) { return; }
  var marks = JSON.parse(box.getAttribute("data-marks") || "{}");
  var kinds = { old: ["removed"], "new": ["added", "changed"] };
  box.querySelectorAll("[data-side]").forEach(function (container) {
    var viewer = new window.BpmnJS({ container: container });
    window.slmLoadDiagram(container, viewer, function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport", "auto");
      kinds[container.getAttribute("data-side")].forEach(function (kind) {
        (marks[kind] || []).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "slm-diff-" + kind); }
        });
      });
      container.setAttribute("data-state", "ready");
    });
  });
}());
