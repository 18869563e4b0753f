// The task page's diagram: the instance's own diagram version in bpmn-js's NavigatedViewer
// (served from node_modules at /vendor/bpmn-js), with the current task marked.
(function () {
  "use strict";

  function show(container) {
    var url = container.getAttribute("data-diagram-url");
    var elementId = container.getAttribute("data-element-id");
    var viewer = new window.BpmnJS({ container: container });

    function failed() {
      container.setAttribute("data-state", "error");
      container.innerHTML = "";
      var note = document.createElement("p");
      note.className = "text-body-secondary small p-3 mb-0";
      note.textContent = "The diagram could not be shown.";
      container.appendChild(note);
    }

    fetch(url, { credentials: "same-origin", headers: { Accept: "application/xml" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var loading = container.querySelector(".slm-diagram-loading");
        if (loading) { loading.remove(); }
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
      })
      .catch(failed);
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
