/* Markdown + LaTeX for untrusted text (model output, problem statements).
 *
 * Math is cut out first (all four delimiter styles: $..$, $$..$$, \(..\), \[..\]), the rest goes
 * through marked and DOMPurify, then each formula is rendered by KaTeX with trust: false (so
 * \href{javascript:...} and friends are refused) and the whole result is sanitised once more.
 * While a reply is still streaming, a formula whose closing delimiter hasn't arrived yet is held
 * back instead of flashing as raw LaTeX.
 */
(function () {
  "use strict";

  var TOKEN = "KTXMATHTOKEN";
  var OPENERS = [
    { open: "$$", close: "$$", display: true },
    { open: "\\[", close: "\\]", display: true },
    { open: "\\(", close: "\\)", display: false },
    { open: "$", close: "$", display: false }
  ];

  function findOpener(text, from) {
    var best = null;
    for (var i = 0; i < OPENERS.length; i++) {
      var at = text.indexOf(OPENERS[i].open, from);
      while (at > 0 && text.charAt(at - 1) === "\\" && OPENERS[i].open === "$") {
        at = text.indexOf("$", at + 1); // \$ is a literal dollar sign
      }
      if (at >= 0 && (best === null || at < best.at || (at === best.at && OPENERS[i].open.length > best.kind.open.length))) {
        best = { at: at, kind: OPENERS[i] };
      }
    }
    return best;
  }

  function splitMath(text, streaming) {
    var parts = [];
    var maths = [];
    var pos = 0;
    while (pos < text.length) {
      var opener = findOpener(text, pos);
      if (!opener) {
        parts.push(text.slice(pos));
        break;
      }
      var start = opener.at + opener.kind.open.length;
      var end = text.indexOf(opener.kind.close, start);
      if (end < 0) {
        // Unclosed: while streaming, hold it back; when complete, show it as typed.
        parts.push(text.slice(pos, opener.at));
        if (!streaming) parts.push(text.slice(opener.at));
        else parts.push(" …");
        break;
      }
      parts.push(text.slice(pos, opener.at));
      parts.push(TOKEN + maths.length + "END");
      maths.push({ tex: text.slice(start, end), display: opener.kind.display });
      pos = end + opener.kind.close.length;
    }
    return { text: parts.join(""), maths: maths };
  }

  function renderMath(item) {
    try {
      return window.katex.renderToString(item.tex, {
        displayMode: item.display,
        throwOnError: false,
        trust: false,
        strict: "ignore",
        output: "html",
        maxSize: 50,
        maxExpand: 500
      });
    } catch (err) {
      var span = document.createElement("span");
      span.textContent = item.tex;
      return span.outerHTML;
    }
  }

  var SANITIZE = {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed"],
    FORBID_ATTR: ["srcset"],
    ALLOW_DATA_ATTR: false
  };

  function render(text, streaming) {
    var split = splitMath(text || "", !!streaming);
    var html = window.marked.parse(split.text, { async: false, gfm: true, breaks: false });
    html = window.DOMPurify.sanitize(html, SANITIZE);
    html = html.replace(new RegExp(TOKEN + "(\\d+)END", "g"), function (_, n) {
      return renderMath(split.maths[Number(n)]);
    });
    // KaTeX's output is trusted HTML built from escaped input, but sanitise the whole once more.
    return window.DOMPurify.sanitize(html, SANITIZE);
  }

  function renderInto(element, text, streaming) {
    element.innerHTML = render(text, streaming);
    var links = element.querySelectorAll("a[href]");
    for (var i = 0; i < links.length; i++) {
      links[i].setAttribute("rel", "noopener noreferrer nofollow");
      links[i].setAttribute("target", "_blank");
    }
  }

  function renderLatex(element, tex) {
    element.innerHTML = window.DOMPurify.sanitize(renderMath({ tex: tex, display: false }), SANITIZE);
  }

  window.TutorRender = { render: render, renderInto: renderInto, renderLatex: renderLatex, splitMath: splitMath };

  document.addEventListener("DOMContentLoaded", function () {
    var blocks = document.querySelectorAll(".rendered[data-source-id]");
    for (var i = 0; i < blocks.length; i++) {
      var source = document.getElementById(blocks[i].getAttribute("data-source-id"));
      if (source) renderInto(blocks[i], JSON.parse(source.textContent), false);
    }
  });
})();
