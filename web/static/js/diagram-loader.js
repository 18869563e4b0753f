// Shared by the pages that show an instance's diagram: fetch the BPMN XML named by the
// container's data-diagram-url, import it into ``viewer`` and remove the loading note.
// Resolves when the diagram is shown; on any failure the container says so instead.
(function () {
  "use strict";

  function failed(container) {
    container.setAttribute("data-state", "error");
    container.innerHTML = "";
    var note = document.createElement("p");
    note.className = "text-body-secondary small p-3 mb-0";
    note.textContent = window.SLM.t("The diagram could not be shown.");
    container.appendChild(note);
  }

  window.slmLoadDiagram = function (container, viewer, onShown) {
    var url = container.getAttribute("data-diagram-url");
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/xml" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        var loading = container.querySelector(".slm-diagram-loading");
        if (loading) { loading.remove(); }
        onShown();
      })
      .catch(function () { failed(container); });
  };
})();
