// Calls to the diagram endpoints: JSON answers, the CSRF token in a header.
import { t } from "./texts";

export function makeServer(root) {
  const csrf = root.getAttribute("data-csrf");
  function answer(response) {
    return response.json().then((body) => ({ status: response.status, body }),
      () => { throw new Error(t("the server answered HTTP %(status)s", { status: response.status })); });
  }
  return {
    postXml(url, xml, fileName) {
      return fetch(url + "?name=" + encodeURIComponent(fileName), {
        method: "POST", credentials: "same-origin", body: xml,
        headers: { "Content-Type": "application/xml", "X-CSRFToken": csrf, Accept: "application/json" }
      }).then(answer);
    },
    postJson(url, payload) {
      return fetch(url, {
        method: "POST", credentials: "same-origin", body: JSON.stringify(payload),
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" }
      }).then(answer);
    }
  };
}
