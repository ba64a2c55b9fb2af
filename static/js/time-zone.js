/* The teacher's time zone, from the browser (Intl.DateTimeFormat().resolvedOptions().timeZone).
   On the settings page: an empty choice is filled with it, and the page says which zone the browser is in.
   Elsewhere (loaded by base.html only while the teacher has no zone saved): sent once; the next page
   shows its times in it. The server never replaces a zone the teacher chose. */
(function () {
  "use strict";
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone) return;
  var select = document.getElementById("id_time_zone");
  if (select) {
    var note = document.getElementById("time-zone-browser");
    if (note) {
      note.textContent = "Your browser says you are in " + zone.replace(/_/g, " ") + ".";
      note.hidden = false;
    }
    if (!select.value) {
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === zone) {
          select.value = zone;
          break;
        }
      }
    }
    return;
  }
  var me = document.getElementById("time-zone-guess");
  if (!me) return;
  var body = new URLSearchParams();
  body.set("time_zone", zone);
  fetch(me.getAttribute("data-url"), {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": me.getAttribute("data-csrf"), "Content-Type": "application/x-www-form-urlencoded" },
    body: body.toString()
  }).catch(function () { /* the site's zone stays in use; Settings can set one */ });
})();
