/* Renders the checker's reading of each answer key ("Read as") with KaTeX. The LaTeX is then only
   shown on demand (a "LaTeX" disclosure under the formula); without JavaScript, or if KaTeX can't
   render it, the teacher sees the LaTeX as text instead. */
(function () {
  "use strict";
  if (!window.katex) return;
  var cells = document.querySelectorAll(".rendered-latex[data-latex]");
  for (var i = 0; i < cells.length; i++) {
    var latex = cells[i].getAttribute("data-latex");
    if (!latex || latex.charAt(0) === "(") continue; // "(no key: ...)" is a note, not maths
    var target = document.createElement("span");
    try {
      window.katex.render(latex, target, { throwOnError: true, trust: false, displayMode: false });
    } catch (error) {
      continue;
    }
    var source = cells[i].querySelector("code");
    target.className = "read-as-formula";
    cells[i].insertBefore(target, cells[i].firstChild);
    if (source) {
      var more = document.createElement("details");
      more.className = "read-as-latex";
      var label = document.createElement("summary");
      label.textContent = "LaTeX";
      more.appendChild(label);
      more.appendChild(source);
      cells[i].appendChild(more);
    }
  }
})();
