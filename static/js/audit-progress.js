/* While an answer-key check runs: keeps the count and the summary on the results page up to date
   (the section is aria-live), and reloads once it has finished so the server renders every result. */
(function () {
  "use strict";
  var root = document.getElementById("audit-summary");
  var url = root && root.getAttribute("data-status-url");
  if (!url) return;
  var heading = document.getElementById("audit-progress");
  var soFar = document.getElementById("audit-so-far");
  var last = null;
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (audit) {
        if (!audit.running) {
          window.location.reload();
          return;
        }
        if (audit.processed !== last) {
          last = audit.processed;
          heading.textContent = "Checking: " + audit.processed + " of " + audit.total + " problems done";
          soFar.textContent = audit.summary;
        }
        setTimeout(poll, 2000);
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 2000);
})();
