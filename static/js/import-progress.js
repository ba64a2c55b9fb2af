/* Polls an import job and updates its progress bar; reloads the page once it has finished,
   so the server renders the result. Without JavaScript a <noscript> meta refresh does the same. */
(function () {
  "use strict";
  var root = document.getElementById("import-job");
  if (!root || root.getAttribute("data-done") === "true") return;
  var url = root.getAttribute("data-status-url");
  var status = document.getElementById("job-status");
  var bar = document.getElementById("job-progress");
  var count = document.getElementById("job-count");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (job) {
        status.textContent = job.status_text;
        bar.max = Math.max(job.total, 1);
        bar.value = job.processed;
        count.textContent = job.processed + " of " + job.total + " answer keys checked";
        if (job.done) window.location.reload();
        else setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
