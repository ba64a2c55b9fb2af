/* The student's problem page: answer preview and submission, and the tutor over a websocket.
 * Protocol: docs/websocket-protocol.md. No inline script anywhere (the CSP forbids it). */
(function () {
  "use strict";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) return decodeURIComponent(match[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function postJSON(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json();
    });
  }

  /* ---------- answer entry ---------- */

  // The problem is solved when every answer box on the page is (one box, or one per part).
  function showSolvedIfAll() {
    var cards = document.querySelectorAll("[data-answer-card]");
    var solved = document.querySelectorAll("[data-answer-card][data-solved]");
    var partsSolved = document.getElementById("parts-solved");
    if (partsSolved) partsSolved.textContent = String(solved.length);
    if (solved.length < cards.length) return;
    var solvedState = document.getElementById("solved-state");
    var setSolved = document.getElementById("set-solved");
    var nextProblem = document.getElementById("next-problem");
    if (solvedState && solvedState.hidden) {
      solvedState.hidden = false;
      if (setSolved) setSolved.textContent = String(Number(setSolved.textContent) + 1);
    }
    if (nextProblem) nextProblem.hidden = false;
  }

  function setupAnswer() {
    var cards = document.querySelectorAll("[data-answer-card]");
    for (var c = 0; c < cards.length; c++) setupAnswerCard(cards[c]);
  }

  function setupAnswerCard(card) {
    var list = card.querySelector(".attempt-list");
    var existing = list.querySelectorAll(".attempt-answer");
    for (var e = 0; e < existing.length; e++) showAttemptAnswer(existing[e], existing[e].textContent);
    var form = card.querySelector(".answer-form");
    if (!form) return; // answers closed after the due date
    var input = card.querySelector(".answer-input");
    var preview = card.querySelector(".answer-preview");
    var result = card.querySelector(".answer-result");
    var count = card.querySelector(".attempt-count");
    var partSolved = card.querySelector(".part-solved");
    var timer = null;
    var lastAsked = "";
    // A choice problem has options instead of a text box: the picked ones, one per line.
    var choiceForm = form.hasAttribute("data-choice");
    var dueNote = document.getElementById("due-note");

    function showSolved() {
      card.setAttribute("data-solved", "");
      if (partSolved) partSolved.hidden = false;
      showSolvedIfAll();
    }
    function answerValue() {
      if (!choiceForm) return input.value;
      var picked = form.querySelectorAll("input[name=answer]:checked");
      return Array.prototype.map.call(picked, function (box) { return box.value; }).join("\n");
    }
    if (choiceForm) {
      var texts = form.querySelectorAll(".choice-text");
      for (var t = 0; t < texts.length; t++) {
        if (/\$|\\\(|\\\[/.test(texts[t].textContent)) window.TutorRender.renderInto(texts[t], texts[t].textContent, false);
      }
    }

    function showPreview(data) {
      preview.innerHTML = "";
      if (!input.value.trim()) return;
      var label = document.createElement("span");
      label.className = "preview-label";
      if (data.ok) {
        label.textContent = "Your answer was read as: ";
        var math = document.createElement("span");
        math.className = "preview-math";
        window.TutorRender.renderLatex(math, data.latex);
        preview.appendChild(label);
        preview.appendChild(math);
        if (data.message && data.message.indexOf("add units") >= 0) {
          var hint = document.createElement("span");
          hint.className = "preview-warning";
          hint.textContent = " " + data.message;
          preview.appendChild(hint);
        }
        preview.className = "preview preview-ok";
      } else {
        label.textContent = data.message || "That can't be read yet.";
        preview.appendChild(label);
        preview.className = "preview preview-error";
      }
    }

    var toggle = card.querySelector(".visual-toggle");
    var wrap = card.querySelector(".visual-input-wrap");
    var field = null;
    var loading = null;

    // MathLive is most of the page's weight: fetched the first time the editor is opened.
    function loadEditor() {
      if (window.customElements && window.customElements.get("math-field")) return Promise.resolve();
      if (!loading) {
        loading = new Promise(function (resolve, reject) {
          var script = document.createElement("script");
          script.src = wrap.getAttribute("data-script");
          script.onload = resolve;
          script.onerror = function () { loading = null; script.remove(); reject(); };
          document.head.appendChild(script);
        });
      }
      return loading;
    }

    if (toggle && wrap) {
      toggle.addEventListener("click", function () {
        var open = wrap.hidden;
        wrap.hidden = !open;
        toggle.setAttribute("aria-expanded", String(open));
        toggle.textContent = open ? "Hide the maths editor" : "Use the maths editor";
        if (open && !field) {
          loadEditor().then(showEditor, function () {
            var help = card.querySelector(".visual-help");
            if (help) help.textContent = "The maths editor didn't load. Type your answer in the box above, or try again later.";
          });
          return;
        }
        if (open && field) field.focus();
      });
    }

    function showEditor() {
      if (!field && !wrap.hidden && window.customElements && window.customElements.get("math-field")) {
        var MathField = window.customElements.get("math-field");
        MathField.soundsDirectory = null;
        MathField.fontsDirectory = wrap.getAttribute("data-fonts") || MathField.fontsDirectory;
        field = new MathField();
        field.id = wrap.id.replace("visual-input-wrap", "visual-input");
        field.setAttribute("aria-label", "Maths editor for your answer");
        field.setAttribute("aria-describedby", card.querySelector(".visual-help").id);
        field.value = input.value;
        field.addEventListener("input", function () {
          // The LaTeX goes into the answer box: one place to preview and submit from.
          input.value = field.value;
          input.dispatchEvent(new Event("input"));
        });
        wrap.appendChild(field);
      }
      if (field && !wrap.hidden) field.focus();
    }

    if (input) input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var value = input.value;
        if (!value.trim()) { preview.innerHTML = ""; return; }
        lastAsked = value;
        postJSON(form.getAttribute("data-preview-url"), { answer: value }).then(function (data) {
          // A refusal (too many previews, or paused: HTTP 429) carries its sentence in `error`.
          if (data.error) data = { ok: false, message: data.error };
          if (value === lastAsked) showPreview(data);
        });
      }, 250);
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var value = answerValue();
      result.className = "result";
      if (choiceForm && !value) {
        result.className = "result result-unread";
        result.textContent = "Pick an answer first. Nothing was sent, so this didn't count as an attempt.";
        return;
      }
      result.textContent = "Checking…";
      postJSON(form.getAttribute("action"), { answer: value }).then(function (data) {
        result.innerHTML = "";
        var badge = document.createElement("span");
        var text = document.createElement("span");
        if (data.error) {
          result.className = "result result-unread result-refused";
          text.textContent = data.error;
          result.appendChild(text);
          return;
        }
        if (!data.counted) {
          result.className = "result result-unread";
          text.textContent = (data.reason || "That couldn't be read.") + " This didn't count as an attempt.";
          result.appendChild(text);
          return;
        }
        badge.className = "badge " + (data.correct ? "badge-verified" : "badge-incorrect");
        badge.textContent = data.correct ? "Correct" : "Not yet";
        // The checker's reason for a right answer is often just "Correct.": said once, by the badge.
        var reason = (data.reason || "").trim();
        text.textContent = /^correct\b/i.test(reason) && data.correct ? "" : " " + reason;
        result.className = "result " + (data.correct ? "result-correct" : "result-wrong");
        result.appendChild(badge);
        result.appendChild(text);
        var item = document.createElement("li");
        var shown = document.createElement("span");
        shown.className = "attempt-answer";
        showAttemptAnswer(shown, value.split("\n").join("; "));
        item.appendChild(shown);
        item.appendChild(document.createTextNode(" — " + (data.correct ? "correct" : "not yet: " + data.reason)));
        // The server marks the attempt; the page knows the due date has passed when it was loaded.
        if (data.late || (data.late === undefined && dueNote && dueNote.classList.contains("due-late"))) {
          var late = document.createElement("span");
          late.className = "badge badge-late";
          late.textContent = "late";
          item.appendChild(document.createTextNode(" "));
          item.appendChild(late);
        }
        list.insertBefore(item, list.firstChild);
        if (data.correct) showSolved();
        count.textContent = String(data.attempts);
        unlockSolutionIfAllowed(data.attempts, data.correct, Number(card.getAttribute("data-problem-id")));
      }).catch(function () {
        result.textContent = "Couldn't reach the server. Check your connection and try again.";
      });
    });
  }

  // An answer from the maths editor is LaTeX: shown as the formula it is, not as its source.
  function showAttemptAnswer(element, answer) {
    element.textContent = answer;
    if (/\\[a-zA-Z]|[{}]/.test(answer)) window.TutorRender.renderLatex(element, answer);
  }

  var solutionButton = null;
  var tutorProblemId = null; // the problem (or part) the tutor is talking about
  function unlockSolutionIfAllowed(attempts, correct, problemId) {
    // Mirrors the server's rule so the button looks right; the server still decides on each ask.
    if (!solutionButton) return;
    var needed = solutionButton.getAttribute("data-unlock-after");
    if (needed === null || !(correct || attempts >= Number(needed))) return;
    // A part's own rule: remembered for when the student picks that part in the tutor.
    var option = document.querySelector('#tutor-part option[value="' + problemId + '"]');
    if (option) option.setAttribute("data-solution-allowed", "1");
    if (tutorProblemId !== null && problemId !== tutorProblemId) return;
    if (solutionButton.hasAttribute("data-locked")) {
      solutionButton.removeAttribute("data-locked");
      solutionButton.disabled = false;
      var note = document.getElementById("solution-locked");
      if (note) note.hidden = true;
    }
  }

  /* ---------- the tutor ---------- */

  function setupTutor() {
    var root = document.getElementById("tutor");
    if (!root) return;
    var problemId = Number(root.getAttribute("data-problem-id"));
    tutorProblemId = problemId;
    var chat = document.getElementById("chat");
    var connection = document.getElementById("connection");
    var stopButton = document.getElementById("stop");
    var askButtons = root.querySelectorAll("button[data-mode]");
    solutionButton = document.getElementById("ask-solution");
    var feedbackForm = document.getElementById("feedback-form");
    var feedbackInput = document.getElementById("feedback-input");

    var ws = null;
    var retry = 0;
    var messages = {}; // message_id -> state
    var running = null; // message_id of the reply in progress
    var pendingRender = {};

    function setConnection(text, ok) {
      connection.textContent = text;
      connection.className = "connection " + (ok ? "connection-ok" : "connection-down");
    }

    function bubble(role, mode, hintNumber) {
      var item = document.createElement("li");
      item.className = "bubble bubble-" + role;
      var who = document.createElement("div");
      who.className = "who";
      var hint = hintNumber ? "Tutor · hint " + hintNumber : "Tutor · hint";
      who.textContent = role === "student" ? "You" : (mode === "hint" ? hint : mode === "feedback" ? "Tutor · feedback" : mode === "question" ? "Tutor · answer" : "Tutor");
      item.appendChild(who);
      chat.appendChild(item);
      return item;
    }

    function tutorState(id, mode, hintNumber) {
      if (messages[id]) return messages[id];
      var item = bubble("tutor", mode, hintNumber);
      var thinking = document.createElement("details");
      thinking.className = "reasoning";
      thinking.hidden = true;
      var summary = document.createElement("summary");
      summary.textContent = "Tutor's reasoning";
      var thinkingBody = document.createElement("div");
      thinkingBody.className = "reasoning-body";
      thinking.appendChild(summary);
      thinking.appendChild(thinkingBody);
      var body = document.createElement("div");
      body.className = "body rendered";
      var status = document.createElement("div");
      status.className = "status";
      var badge = document.createElement("div");
      badge.className = "verification";
      item.appendChild(thinking);
      item.appendChild(body);
      item.appendChild(status);
      item.appendChild(badge);
      messages[id] = { id: id, mode: mode, seq: -1, text: "", thinking: "", el: item, body: body, status: status, badge: badge,
                       thinkingEl: thinking, thinkingBody: thinkingBody, done: false };
      return messages[id];
    }

    function scheduleRender(state) {
      if (pendingRender[state.id]) return;
      pendingRender[state.id] = true;
      window.requestAnimationFrame(function () {
        pendingRender[state.id] = false;
        // A reply that ended part-way (stopped, cut off, failed) keeps an unclosed formula held back.
        window.TutorRender.renderInto(state.body, state.text, !state.done || state.partial);
        markFailedStep(state);
        if (state.thinking) {
          state.thinkingEl.hidden = false;
          state.thinkingBody.textContent = state.thinking;
        }
      });
    }

    function showBadge(state, status, reason, answer, steps) {
      state.badge.innerHTML = "";
      var badge = document.createElement("span");
      var verified = status === "verified" || status === "verified_by_substitution";
      badge.className = "badge " + (verified ? "badge-verified" : "badge-unverified");
      badge.textContent = verified ? "✓ Verified answer" : "Unverified answer";
      var why = document.createElement("span");
      why.className = "verification-reason";
      why.textContent = " " + (reason || "");
      state.badge.appendChild(badge);
      state.badge.appendChild(why);
      if (steps) showSteps(state, steps);
    }

    // Step verification (issue 12): how many steps the checker judged, and the first wrong one
    // marked in the rendered solution (found by its LaTeX among the formulas, in order).
    function showSteps(state, steps) {
      var count = document.createElement("span");
      count.className = "steps-checked";
      count.textContent = " " + steps.checked + (steps.checked === 1 ? " step checked" : " steps checked") +
        (steps.unjudged ? " (" + steps.unjudged + " couldn't be checked)" : "");
      state.badge.appendChild(count);
      if (!steps.failed_step) return;
      var note = document.createElement("div");
      note.className = "step-failed-note";
      note.appendChild(document.createTextNode("Step " + steps.failed_step + " doesn't follow: "));
      var tex = document.createElement("span");
      window.TutorRender.renderLatex(tex, steps.failed_latex || "");
      note.appendChild(tex);
      state.badge.appendChild(note);
      state.failedStep = steps;
      markFailedStep(state);
    }

    function markFailedStep(state) {
      var failed = state.failedStep;
      if (!failed) return;
      var squash = function (tex) { return (tex || "").replace(/\s+/g, ""); };
      var block = squash(failed.failed_block), link = squash(failed.failed_latex);
      var maths = window.TutorRender.splitMath(state.text, false).maths;
      var nodes = state.body.querySelectorAll(".katex");
      for (var i = 0; i < maths.length && i < nodes.length; i++) {
        var tex = squash(maths[i].tex);
        if (tex === block || (link && tex.indexOf(link) !== -1)) {
          var display = nodes[i].closest(".katex-display");
          var holder = (display || nodes[i]).parentNode;
          holder.classList.add("step-failed");
          if (display) holder.classList.add("step-failed-display");
          holder.setAttribute("data-failed-step", String(failed.failed_step));
          holder.setAttribute("title", "This step doesn't follow from the one before.");
          return;
        }
      }
    }

    // Grounded feedback: the student's own lines, the one that doesn't follow marked.
    function markWorking(state, working) {
      var student = state.el.previousElementSibling;
      while (student && !student.classList.contains("bubble-student")) student = student.previousElementSibling;
      var body = student && student.querySelector(".body");
      if (!body || body.querySelector(".working-line")) return;
      var lines = body.textContent.split("\n");
      body.textContent = "";
      lines.forEach(function (line, i) {
        var row = document.createElement("div");
        row.className = "working-line";
        row.textContent = line;
        if (i + 1 === working.failed_line) {
          row.className += " working-wrong";
          row.setAttribute("data-line", String(i + 1));
          var tag = document.createElement("span");
          tag.className = "working-tag";
          tag.textContent = " ← this line doesn't follow";
          row.appendChild(tag);
        }
        body.appendChild(row);
      });
    }

    function addReportButton(state) {
      if (state.reportButton) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button report-button";
      button.textContent = "This looks wrong";
      // A small form under the reply: an optional note, then Send (one open report per reply).
      var form = document.createElement("form");
      form.className = "report-form stack";
      form.hidden = true;
      var noteId = "report-note-" + state.id;
      var label = document.createElement("label");
      label.setAttribute("for", noteId);
      label.textContent = "What looks wrong? (optional)";
      var note = document.createElement("textarea");
      note.id = noteId;
      note.rows = 2;
      note.maxLength = 1000;
      var send = document.createElement("button");
      send.type = "submit";
      send.className = "button";
      send.textContent = "Send to my teacher";
      var thanks = document.createElement("p");
      thanks.className = "report-thanks";
      thanks.setAttribute("role", "status");
      form.appendChild(label);
      form.appendChild(note);
      form.appendChild(send);
      button.addEventListener("click", function () {
        form.hidden = false;
        note.focus();
      });
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var body = new URLSearchParams();
        body.set("note", note.value.trim());
        send.disabled = true;
        fetch("/messages/" + state.id + "/report", {
          method: "POST",
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
          body: body.toString()
        }).then(function (response) { return response.json(); }).then(function (data) {
          form.hidden = true;
          thanks.textContent = data.message || data.error || "Sent to your teacher.";
          send.disabled = false;
        }).catch(function () {
          send.disabled = false;
          thanks.textContent = "Couldn't reach the server. Check your connection and try again.";
        });
      });
      state.reportButton = button;
      state.el.appendChild(button);
      state.el.appendChild(form);
      state.el.appendChild(thanks);
    }

    function addStoppedActions(state) {
      // After Stop (or a cut-off): carry the worked solution on from where it stopped, or start again.
      if (state.stoppedActions || (state.mode !== "solution" && state.mode !== "hint")) return;
      var actions = document.createElement("div");
      actions.className = "stopped-actions";
      if (state.mode === "solution") {
        var carryOn = document.createElement("button");
        carryOn.type = "button";
        carryOn.className = "button";
        carryOn.textContent = "Continue";
        carryOn.addEventListener("click", function () {
          actions.hidden = true;
          ask("solution", "", { continue_from: state.id });
        });
        actions.appendChild(carryOn);
      }
      var again = document.createElement("button");
      again.type = "button";
      again.className = "button";
      again.textContent = "Start again";
      again.addEventListener("click", function () {
        actions.hidden = true;
        ask(state.mode);
      });
      actions.appendChild(again);
      state.stoppedActions = actions;
      state.el.appendChild(actions);
    }

    function setRunning(id) {
      running = id;
      stopButton.hidden = id === null;
      for (var i = 0; i < askButtons.length; i++) {
        // A locked button stays disabled: only the unlock rule (and the server) opens it.
        askButtons[i].disabled = id !== null || askButtons[i].hasAttribute("data-locked");
      }
    }

    function apply(frame) {
      var state = tutorState(frame.message_id, frame.mode);
      if (frame.seq <= state.seq) return; // seen already (replay after reconnect)
      state.seq = frame.seq;
      switch (frame.type) {
        case "start":
          state.status.textContent = "Thinking…";
          setRunning(frame.message_id);
          break;
        case "delta":
          state.status.textContent = "";
          state.text += frame.text;
          scheduleRender(state);
          break;
        case "thinking":
          state.thinking += frame.text;
          scheduleRender(state);
          break;
        case "reset":
          state.text = "";
          state.status.textContent = frame.reason;
          scheduleRender(state);
          break;
        case "status":
          state.status.textContent = frame.message;
          if (frame.working) markWorking(state, frame.working);
          break;
        case "verification":
          showBadge(state, frame.status, frame.reason, frame.final_answer, frame.steps);
          break;
        case "error":
          state.status.textContent = frame.message;
          state.status.className = "status status-error";
          break;
        case "done":
          state.done = true;
          state.partial = frame.status !== "complete";
          if (frame.status === "stopped") state.status.textContent = "Stopped.";
          else if (frame.status === "cut_off") state.status.textContent = frame.message || "The answer was cut off.";
          else if (frame.status !== "error") state.status.textContent = "";
          scheduleRender(state);
          if (frame.status === "complete") addReportButton(state);
          if (frame.status === "stopped" || frame.status === "cut_off") addStoppedActions(state);
          if (running === frame.message_id) setRunning(null);
          break;
      }
    }

    function showTranscript(list) {
      chat.innerHTML = "";
      messages = {};
      setRunning(null);
      for (var i = 0; i < list.length; i++) {
        var m = list[i];
        if (m.role === "student") {
          var item = bubble("student", m.mode);
          var body = document.createElement("div");
          body.className = "body";
          body.textContent = m.content;
          item.appendChild(body);
          continue;
        }
        var state = tutorState(m.message_id, m.mode, m.hint_number);
        state.seq = m.last_seq;
        state.text = m.content;
        state.thinking = m.thinking || "";
        var active = m.status === "queued" || m.status === "streaming" || m.status === "verifying";
        state.done = !active;
        state.partial = m.status !== "complete";
        if (m.verification === "verified" || m.verification === "verified_by_substitution" || m.verification === "unverified") {
          showBadge(state, m.verification, m.verification_reason || (m.verification === "unverified" ? "The checker could not confirm this answer." : "Checked by a computer algebra system."), m.final_answer, m.steps);
        }
        if (m.status === "error") state.status.textContent = "This answer stopped with an error.";
        if (m.status === "stopped") state.status.textContent = "Stopped.";
        if (m.status === "stopped" || m.status === "cut_off") addStoppedActions(state);
        if (m.status === "complete") addReportButton(state);
        scheduleRender(state);
        if (active) {
          setRunning(m.message_id);
          // Anything after what the transcript held, then live frames: no gaps, no repeats.
          send({ type: "resume", message_id: m.message_id, after_seq: m.last_seq });
        }
      }
    }

    function send(frame) {
      if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    }

    function connect() {
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      ws = new WebSocket(scheme + window.location.host + root.getAttribute("data-ws-path"));
      window.tutorSocket = ws; // for tests that cut the connection
      ws.addEventListener("open", function () {
        retry = 0;
        setConnection("Connected", true);
        send({ type: "open", problem_id: problemId });
      });
      ws.addEventListener("message", function (event) {
        var frame = JSON.parse(event.data);
        if (frame.type === "session") showTranscript(frame.messages);
        else if (frame.type === "accepted") {
          var reply = tutorState(frame.message_id, frame.mode, frame.hint_number);
          setRunning(frame.message_id);
          // The new reply is where the student should look next. The ask buttons are disabled while
          // it runs, which would drop the focus to <body>: it goes to the reply instead.
          reply.el.setAttribute("tabindex", "-1");
          var active = document.activeElement;
          if (!active || active === document.body || active.closest(".tutor-actions")) reply.el.focus({ preventScroll: true });
          reply.el.scrollIntoView({ block: "nearest" });
        } else if (frame.type === "error" && frame.message_id === undefined) {
          var note = document.createElement("li");
          note.className = "bubble bubble-notice";
          note.textContent = frame.message;
          chat.appendChild(note);
          note.scrollIntoView({ block: "nearest" });
        } else if (frame.message_id !== undefined) apply(frame);
      });
      ws.addEventListener("close", function (event) {
        if (event.code === 4401) {
          setConnection("Please log in again to talk to the tutor.", false);
          return;
        }
        var delay = Math.min(8000, 500 * Math.pow(2, retry++));
        setConnection("Connection lost. Reconnecting…", false);
        setTimeout(connect, delay);
      });
    }

    function ask(mode, text, extra) {
      if (running !== null) return;
      var who = bubble("student", mode);
      var body = document.createElement("div");
      body.className = "body";
      body.textContent = text || (extra && extra.continue_from ? "Please carry on." : mode === "hint" ? "Can I have a hint?" : "Show me a worked solution.");
      who.appendChild(body);
      var id = window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID() : String(Date.now()) + Math.random();
      var frame = { type: "ask", mode: mode, request_id: id, text: text || "" };
      if (extra && extra.continue_from) frame.continue_from = extra.continue_from;
      send(frame);
    }

    for (var i = 0; i < askButtons.length; i++) {
      askButtons[i].addEventListener("click", function (event) {
        ask(event.currentTarget.getAttribute("data-mode"));
      });
    }
    stopButton.addEventListener("click", function () {
      if (running !== null) send({ type: "stop", message_id: running });
    });
    feedbackForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = feedbackInput.value.trim();
      if (!text) return;
      ask("feedback", text);
      feedbackInput.value = "";
    });
    var questionForm = document.getElementById("question-form");
    var questionInput = document.getElementById("question-input");
    questionForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = questionInput.value.trim();
      if (!text) return;
      ask("question", text);
      questionInput.value = "";
    });
    // A multi-part problem: the tutor talks about one part at a time (and reads the stem with it).
    var partPicker = document.getElementById("tutor-part");
    if (partPicker) partPicker.addEventListener("change", function () {
      if (running !== null) send({ type: "stop", message_id: running });
      problemId = Number(partPicker.value);
      tutorProblemId = problemId;
      chat.innerHTML = "";
      messages = {};
      setRunning(null);
      var option = partPicker.options[partPicker.selectedIndex];
      var allowed = option.getAttribute("data-solution-allowed") === "1";
      var note = document.getElementById("solution-locked");
      solutionButton.disabled = !allowed;
      if (allowed) solutionButton.removeAttribute("data-locked");
      else solutionButton.setAttribute("data-locked", "");
      if (note) {
        note.textContent = option.getAttribute("data-locked-reason") || "";
        note.hidden = allowed;
      }
      send({ type: "open", problem_id: problemId });
    });
    connect();
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupAnswer();
    setupTutor();
  });
})();
