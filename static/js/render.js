/* Markdown + LaTeX for untrusted text (model output, problem statements).
 *
 * Math is cut out first (all four delimiter styles: $..$, $$..$$, \(..\), \[..\]), the rest goes
 * through marked and DOMPurify, which drops every style, id, name and class: a style drew a
 * full-screen fake "session expired" overlay, an id hijacked #answer-result, and the page's own
 * class names would dress text up as the page's parts. Only then is each formula rendered by KaTeX
 * with trust: false (so \href{javascript:...} and friends are refused), straight into DOM nodes
 * put where its placeholder was: KaTeX's own layout styles are set through the DOM, never parsed
 * from text that anyone else wrote. While a reply is still streaming, a formula whose closing
 * delimiter hasn't arrived yet is held back instead of flashing as raw LaTeX.
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

  var KATEX_OPTIONS = {
    throwOnError: false,
    trust: false,
    strict: "ignore",
    output: "html",
    maxSize: 50,
    maxExpand: 500
  };

  function mathNode(item) {
    var span = document.createElement("span");
    try {
      window.katex.render(item.tex, span, Object.assign({ displayMode: item.display }, KATEX_OPTIONS));
    } catch (err) {
      span.textContent = item.tex;
    }
    return span;
  }

  var SANITIZE = {
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "iframe", "object", "embed"],
    FORBID_ATTR: ["srcset", "style", "id", "name", "class"],
    ALLOW_DATA_ATTR: false,
    RETURN_DOM_FRAGMENT: true
  };
  var PLACEHOLDER = new RegExp(TOKEN + "(\\d+)END");

  function placeMaths(root, maths) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var texts = [];
    while (walker.nextNode()) texts.push(walker.currentNode);
    texts.forEach(function (node) {
      var pieces = node.nodeValue.split(PLACEHOLDER);
      if (pieces.length === 1) return;
      var replacement = document.createDocumentFragment();
      pieces.forEach(function (piece, i) {
        var item = i % 2 === 1 ? maths[Number(piece)] : null;
        if (item) replacement.appendChild(mathNode(item));
        else if (piece) replacement.appendChild(document.createTextNode(i % 2 === 1 ? TOKEN + piece + "END" : piece));
      });
      node.parentNode.replaceChild(replacement, node);
    });
    // A formula inside an attribute (a link's address): the attribute goes. Putting the formula's
    // text back would skip the sanitiser's check of that address.
    root.querySelectorAll("*").forEach(function (element) {
      Array.prototype.slice.call(element.attributes).forEach(function (attribute) {
        if (PLACEHOLDER.test(attribute.value)) element.removeAttribute(attribute.name);
      });
    });
  }

  function build(text, streaming) {
    var split = splitMath(text || "", !!streaming);
    var html = window.marked.parse(split.text, { async: false, gfm: true, breaks: false });
    var fragment = window.DOMPurify.sanitize(html, SANITIZE);
    placeMaths(fragment, split.maths);
    return fragment;
  }

  // As HTML text, for callers that want a string; the page itself uses renderInto.
  function render(text, streaming) {
    var holder = document.createElement("div");
    holder.appendChild(build(text, streaming));
    return holder.innerHTML;
  }

  function renderInto(element, text, streaming) {
    element.replaceChildren(build(text, streaming));
    var links = element.querySelectorAll("a[href]");
    for (var i = 0; i < links.length; i++) {
      links[i].setAttribute("rel", "noopener noreferrer nofollow");
      links[i].setAttribute("target", "_blank");
    }
  }

  function renderLatex(element, tex) {
    element.replaceChildren(mathNode({ tex: tex, display: false }));
  }

  window.TutorRender = { render: render, renderInto: renderInto, renderLatex: renderLatex, splitMath: splitMath };

  document.addEventListener("DOMContentLoaded", function () {
    var blocks = document.querySelectorAll(".rendered[data-source-id]");
    for (var i = 0; i < blocks.length; i++) {
      var source = document.getElementById(blocks[i].getAttribute("data-source-id"));
      // data-partial: a reply that stopped mid-way; a formula it never closed is held back (" …")
      // as while streaming, instead of showing as raw LaTeX.
      if (source) renderInto(blocks[i], JSON.parse(source.textContent), blocks[i].hasAttribute("data-partial"));
    }
  });
})();
