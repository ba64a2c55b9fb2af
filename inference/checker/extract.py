"""Finding the final answer in a model's (or a student's) text. Runs inside the sandbox."""

from __future__ import annotations

import re
from typing import Any

_BOX = re.compile(r"\\(?:boxed|fbox)\s*\{")
_FINAL = re.compile(
    r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|:|=)?\s*:?\s*(?:\*\*)?\s*(.+)", re.IGNORECASE
)
_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_HEDGE = re.compile(r"\s(?:or|\\text\{\s*or\s*\}|either)\s", re.IGNORECASE)
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


def _is_hedged(answer: str) -> bool:
    if not _HEDGE.search(f" {answer} "):
        return False
    # "x = 2 or x = -2" lists solutions of an equation; "5 or 6" is a guess between two answers.
    return "=" not in answer


def extract(text: str) -> dict[str, Any]:
    text = text[:MAX_TEXT]
    boxes = boxed(text)
    if boxes:
        distinct = list(dict.fromkeys(re.sub(r"\s+", "", b) for b in boxes))
        if len(distinct) > 1:
            between = text[text.find(boxes[-2]) : text.rfind(boxes[-1])]
            if _HEDGE.search(between):
                return {"answer": None, "status": "hedged", "candidates": boxes}
        answer = boxes[-1]
        if _is_hedged(answer):
            return {"answer": None, "status": "hedged", "candidates": boxes}
        return {"answer": answer, "status": "ok" if len(distinct) == 1 else "multiple", "candidates": boxes}
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in reversed(lines):
        match = _FINAL.search(line)
        if match:
            tail = match.group(1).strip().strip("*").strip()
            segments = _math_segments(tail)
            answer = segments[0] if segments else tail.rstrip(".").strip()
            if _is_hedged(answer):
                return {"answer": None, "status": "hedged", "candidates": [answer]}
            if answer:
                return {"answer": answer, "status": "ok", "candidates": [answer]}
    segments = _math_segments(text)
    if segments:
        answer = segments[-1]
        if _is_hedged(answer):
            return {"answer": None, "status": "hedged", "candidates": segments}
        return {"answer": answer, "status": "ok", "candidates": segments}
    return _math_verify_fallback(text)


def _math_verify_fallback(text: str) -> dict[str, Any]:
    """Plain prose with no box, no 'answer' line and no math: let math-verify look for one."""
    from math_verify import parse

    # Timeouts off: math-verify's own timeout uses SIGALRM, which fails outside the main
    # thread; the sandbox's wall-clock limit bounds this instead.
    found = parse(text, parsing_timeout=None)
    if len(found) >= 2 and isinstance(found[1], str) and found[1].strip():
        answer = found[1].strip()
        if _is_hedged(text[-200:]):
            return {"answer": None, "status": "hedged", "candidates": [answer]}
        return {"answer": answer, "status": "ok", "candidates": [answer]}
    return {"answer": None, "status": "none", "candidates": []}
