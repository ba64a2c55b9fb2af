/* Polls an import job and updates its progress bar; reloads the page when it has finished. */
(function () {
  "use strict";
  var root = document.getElementById("import-job");
  if (!root) return;
  var url = root.getAttribute("data-status-url");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        document.getElementById("job-status").textContent = job.status_text;
        var bar = document.getElementById("job-progress");
        bar.max = Math.max(job.total, 1);
        bar.value = job.processed;
        document.getElementById("job-count").textContent = job.processed + " of " + job.total + " answer keys checked";
        if (job.done) window.location.reload();
        else setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (root.querySelector("#job-status").textContent.indexOf("Imported") < 0 &&
      root.querySelector("#job-status").textContent.indexOf("Not imported") < 0) {
    setTimeout(poll, 500);
  }
})();
