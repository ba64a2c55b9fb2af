/* Renders the checker's reading of each answer key ("Read as") with KaTeX. The LaTeX stays in
   the page as text, so without JavaScript (or if KaTeX can't render it) the teacher still sees it. */
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
    if (source) source.classList.add("meta");
    cells[i].insertBefore(target, cells[i].firstChild);
    cells[i].insertBefore(document.createTextNode(" "), target.nextSibling);
  }
})();
