// The task page's diagram: the instance's own diagram version in bpmn-js's NavigatedViewer
// (served from node_modules at /vendor/bpmn-js), with the current task marked.
(function () {
  "use strict";

  function show(container) {
    var elementId = container.getAttribute("data-element-id");
    var viewer = new window.BpmnJS({ container: container });

    window.slmLoadDiagram(container, viewer, function () {
      var canvas = viewer.get("canvas");
      var element = elementId && viewer.get("elementRegistry").get(elementId);
      canvas.zoom("fit-viewport", "auto");
      if (element) {
        canvas.addMarker(element, "slm-current-task");
        // A wide diagram fitted whole is too small to read: zoom in on the task instead.
        if (canvas.zoom() < 0.6) {
          canvas.zoom(0.8);
          var box = canvas.viewbox();
          canvas.viewbox({
            x: element.x + element.width / 2 - box.width / 2,
            y: element.y + element.height / 2 - box.height / 2,
            width: box.width,
            height: box.height
          });
        }
      }
      container.setAttribute("data-state", "ready");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = document.getElementById("task-diagram");
    if (container && window.BpmnJS) {
      show(container);
    } else if (container) {
      container.setAttribute("data-state", "error");
    }
  });
})();
