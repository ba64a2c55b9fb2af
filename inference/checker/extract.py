"""Finding the final answer in a model's (or a student's) text. Runs inside the sandbox.

Order of evidence, strongest first:
1. `\\boxed{...}` / `\\fbox{...}`: the last box wins. Several *different* boxes give status
   "multiple" (the answer is still the last box: models box a first try, then a correction),
   unless the boxes are joined by "or" ("$\\boxed{5}$ or $\\boxed{6}$"), which is "hedged".
2. A "final answer" line ("**Final answer:** $x = 5$", "Final Answer\\n$$5$$").
3. "the answer is ..." / "answer: ..." on the last line that says so.
4. The last math segment ($...$, \\(...\\), \\[...\\], $$...$$).
5. math-verify's extractor (timeouts off: the sandbox's wall clock bounds it instead), for
   prose with none of the above ("so it is 4").

Our own pass comes first because the comparators need the *raw* answer string (significant
figures, units, "%"), which math-verify normalises away.

"5 or 6" is not an answer (status "hedged"); "x = 2 or x = -2" is a list of solutions.
"""

from __future__ import annotations

import re
from typing import Any

# \boxed{..}, \fbox{..}, and "boxed{..}" where the backslash was lost.
_BOX = re.compile(r"(?:\\|\b)(?:boxed|fbox)\s*\{")
_FINAL_ANSWER = re.compile(r"final\s+answer\s*(?:is|:|=)?", re.IGNORECASE)
_ANSWER_IS = re.compile(
    r"(?:the\s+answer|answer)\s*(?:is|:|=)\s*:?\s*(?:\*\*)?\s*(.+)|(?:^|\n)\s*answer\s*[:=]\s*(.+)",
    re.IGNORECASE,
)
_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_HEDGE = re.compile(r"\s(?:or|\\text\{\s*or\s*\}|\\mathrm\{\s*or\s*\}|either|maybe)\s", re.IGNORECASE)
MAX_TEXT = 40_000


def boxed(text: str) -> list[str]:
    found = []
    for match in _BOX.finditer(text):
        depth, index = 1, match.end()
        while index < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            index += 1
        if depth == 0:
            found.append(text[match.end() : index - 1].strip())
    return found


def _math_segments(text: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None).strip() for m in _MATH.finditer(text)]


def is_hedged(answer: str) -> bool:
    if not _HEDGE.search(f" {answer} "):
        return False
    # "x = 2 or x = -2" lists solutions of an equation; "5 or 6" is a guess between two answers.
    return "=" not in answer


def _found(answer: str, status: str, candidates: list[str]) -> dict[str, Any]:
    if is_hedged(answer):
        # Kept so a checker whose key is a list of solutions can still read "2 or -2".
        return {"answer": None, "status": "hedged", "candidates": candidates, "hedged_answer": answer}
    return {"answer": answer, "status": status, "candidates": candidates}


# What may stand between boxes that together give one answer: "\boxed{1} and \boxed{2}".
_LIST_JOIN = re.compile(
    r"[\s$,;&.]*(?:and|\\text\{\s*and\s*\}|\\quad|\\qquad|,|;)?[\s$,;&.~]*", re.IGNORECASE
)


def _joined_boxes(text: str) -> list[str]:
    """The last run of boxes that follow each other with only 'and' or a comma between them."""
    spans = []
    for match in _BOX.finditer(text):
        depth, index = 1, match.end()
        while index < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            index += 1
        if depth == 0:
            spans.append((match.start(), index, text[match.end() : index - 1].strip()))
    run = spans[-1:]
    for earlier in reversed(spans[:-1]):
        between = text[earlier[1] : run[0][0]]
        if len(between) > 40 or not _LIST_JOIN.fullmatch(between):
            break
        run.insert(0, earlier)
    return [body for _, _, body in run] if len(run) > 1 else []


def _from_boxes(text: str, boxes: list[str]) -> dict[str, Any]:
    distinct = list(dict.fromkeys(re.sub(r"\s+", "", b) for b in boxes))
    if len(distinct) > 1:
        between = text[text.rfind(boxes[-2]) + len(boxes[-2]) : text.rfind(boxes[-1])]
        if _HEDGE.search(f" {between} "):
            return {"answer": None, "status": "hedged", "candidates": boxes}
    found = _found(boxes[-1], "ok" if len(distinct) == 1 else "multiple", boxes)
    joined = _joined_boxes(text)
    if joined:
        # Used only when the key is a list: then "\boxed{-2} and \boxed{1}" is the list -2, 1.
        found["joined"] = joined
    return found


_SENTENCE_END = re.compile(r"\.(?:\s|$)|\n")
_IS = re.compile(r"\s(?:is|equals|=)\s", re.IGNORECASE)


def _after_final_answer(text: str) -> str | None:
    matches = list(_FINAL_ANSWER.finditer(text))
    if not matches:
        return None
    tail = text[matches[-1].end() :].strip().lstrip("*:").strip()
    boxes = boxed(tail)
    if boxes:
        return boxes[-1]
    return _answer_in_sentence(tail)


def _answer_in_sentence(tail: str) -> str | None:
    """'the largest $n$ is 34.' -> 34; '$x = 5$' -> x = 5; 'The volume is 120. I hope...' -> 120."""
    masked = _MATH.sub(lambda m: "§" * len(m.group()), tail)  # sentence ends outside maths only
    end = _SENTENCE_END.search(masked)
    sentence = tail[: end.start()] if end else tail
    masked_sentence = masked[: len(sentence)]
    verbs = list(_IS.finditer(masked_sentence))
    if verbs and verbs[-1].end() < len(sentence):
        sentence = sentence[verbs[-1].end() :]
    segments = _math_segments(sentence)
    if segments:
        return segments[0]
    return sentence.strip().strip("*").strip("\"'").rstrip(".").strip() or None


def _after_answer_is(text: str) -> str | None:
    for line in reversed([line.strip() for line in text.splitlines() if line.strip()]):
        match = _ANSWER_IS.search(line)
        if match:
            tail = (match.group(1) or match.group(2) or "").strip().strip("*").strip()
            segments = _math_segments(tail)
            answer = segments[0] if segments else tail.rstrip(".").strip()
            if answer:
                return answer
    return None


def extract(text: str) -> dict[str, Any]:
    text = _after_thinking(text[:MAX_TEXT])
    boxes = boxed(text)
    final_markers = list(_FINAL_ANSWER.finditer(text))
    last_box = max((m.start() for m in _BOX.finditer(text)), default=-1)
    if final_markers and final_markers[-1].start() > last_box:
        # A "Final answer:" line after the last box is the model's last word; a marker before
        # the box ("**Final Answer**\n\boxed{5}") leads to the box.
        answer = _after_final_answer(text)
        if answer:
            return _found(answer, "ok", [*boxes, answer])
    if boxes:
        return _from_boxes(text, boxes)
    for finder in (_after_final_answer, _after_answer_is):
        answer = finder(text)
        if answer:
            return _found(answer, "ok", [answer])
    segments = _math_segments(text)
    if segments:
        return _found(segments[-1], "ok", segments)
    return _math_verify_fallback(text)


def _after_thinking(text: str) -> str:
    """The reply after a <think>...</think> trace (Phi-4-reasoning often has no tags at all)."""
    closing = text.rfind("</think>")
    return text[closing + len("</think>") :] if closing >= 0 else text


# What a model writes around its answer that is not the answer (inside the box or after it).
_REMARK = re.compile(
    r"\\?\(?\s*\\text(?:normal|rm)?\{\s*\(?\s*(?:approx\w*|about|roughly|or\s+about|i\.e\.)[^{}]*\}\s*\\?\)?"
    r"|\((?:approx\w*|about|roughly)[^()]*\)",
    re.IGNORECASE,
)
_APPROX = re.compile(r"\\approx|≈|\\simeq")
_IMPLIES = re.compile(r"\\implies|\\Rightarrow|\\Longrightarrow|⟹|⇒|\\therefore")
# 14{,}916  16,\!386.20  1\,000  1 000: a thousands separator between digit groups of three.
_THOUSANDS_MARK = re.compile(
    r"(?<=\d)\s*(?:\{\s*,\s*\}|,\\!|\\,|\\ |\{\s\})\s*(?=\d{3}(?!\d))|(?<=\d)\s(?=\d{3}(?!\d))"
)


def without_thousands_marks(answer: str) -> str:
    return _THOUSANDS_MARK.sub("", answer)


_PART = re.compile(
    r"(?:^|[\s,;]|\\quad|\\qquad)\(?\s*(?:\(([1-9a-d])\)|\\text\{\s*\(([1-9a-d])\)\s*\})\s*(?:\\[ ,;:!]|~|\s)*"
)


def _parts(answer: str) -> str | None:
    """'(1)\\ x = 2,\\quad (2)\\ m = \\frac43' -> '(2, \\frac43)': a two-part answer in one box, in order."""
    markers = list(_PART.finditer(answer))
    labels = [m.group(1) or m.group(2) for m in markers]
    if len(markers) < 2 or labels != sorted(labels) or markers[0].start() > 2:
        return None
    values = []
    for marker, following in zip(markers, [*markers[1:], None], strict=False):
        part = answer[marker.end() : following.start() if following else len(answer)]
        part = re.sub(r"(?:\\quad|\\qquad|\\[ ,;:!]|\\$|[\s,;~])+$", "", part).strip()
        part = re.sub(r"^[A-Za-z](?:_\{?\w+\}?)?\s*=\s*", "", part)  # the part's own label: m = 4/3
        if not part:
            return None
        values.append(part)
    return "(" + ", ".join(values) + ")"


def clean_model_answer(answer: str) -> str:
    """A model's final answer without remarks: '8\\sqrt[3]{4} \\approx 12.7' -> '8\\sqrt[3]{4}',
    'x^2 = 4 \\implies x = 2' -> 'x = 2', '\\$16,\\!386.20' -> '16,386.20'."""
    answer = _REMARK.sub(" ", answer)
    answer = _parts(answer) or answer
    parts = _IMPLIES.split(answer)
    if len(parts) > 1 and parts[-1].strip():
        answer = parts[-1]
    approx = _APPROX.split(answer)
    if len(approx) > 1 and approx[0].strip():
        answer = approx[0]
    answer = re.sub(r"\\\$|(?<![\\\w])\$(?=\s*\d)", "", answer)
    return without_thousands_marks(answer).strip().rstrip(".,;").strip()


def _math_verify_fallback(text: str) -> dict[str, Any]:
    """Plain prose with no box, no 'answer' line and no math: let math-verify look for one."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse

    # Timeouts off: math-verify's own timeout uses SIGALRM, which raises ValueError outside the
    # main thread; the sandbox's wall-clock limit bounds this instead. Its expression extractor
    # only ever sees digits and operators (its regex), so its parse_expr cannot reach a name.
    found = parse(
        text,
        extraction_config=[LatexExtractionConfig(), ExprExtractionConfig()],
        parsing_timeout=None,
    )
    if len(found) >= 2 and isinstance(found[1], str) and found[1].strip():
        answer = found[1].strip()
        if is_hedged(text[-200:]):
            return {"answer": None, "status": "hedged", "candidates": [answer]}
        return {"answer": answer, "status": "ok", "candidates": [answer]}
    return {"answer": None, "status": "none", "candidates": []}


def math_verify_latex(answer: str) -> str:
    """LaTeX of math-verify's reading of an answer our own reader refused; '' if it can't either."""
    import sympy as sp
    from math_verify import LatexExtractionConfig, parse

    found = parse(f"${answer}$", extraction_config=[LatexExtractionConfig()], parsing_timeout=None)
    if found and isinstance(found[0], sp.Basic):
        return sp.latex(found[0])
    return ""


def looks_like_prose(text: str) -> bool:
    if "\\boxed" in text or "\\fbox" in text:
        return True
    stripped = text.strip()
    if re.fullmatch(r"\$.*\$|\\\(.*\\\)|\\\[.*\\\]", stripped, re.DOTALL):
        return False
    return (
        bool(re.search(r"\b[A-Za-z]{3,}\s+[A-Za-z]{2,}", re.sub(r"\\[A-Za-z]+|\$[^$]*\$", " ", stripped)))
        or "$" in stripped
    )
