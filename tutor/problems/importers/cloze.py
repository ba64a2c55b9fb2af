"""Moodle's Embedded Answers (Cloze, `multianswer`) questions as multi-part problems.

A Cloze text holds its blanks inline: `{1:NUMERICAL:=23.8:0.1}`, `{1:SHORTANSWER:=Paris~%50%paris}`,
`{2:MULTICHOICE:Wrong~=Right}` (Moodle's help page for the question type, lang/en/help/quiz/
multianswer.html, and docs.moodle.org/en/Embedded_Answers_(Cloze)_question_type). Each blank
becomes a part: the stem is the text with the blanks shown as "(a) ____", and part (a) asks what
goes in blank (a), checked as a number, text or choice like the same Moodle question type on its
own. The reading is plain string work on a text the upload bound has already limited; a blank
Moodle can't grade by itself (a blank with no right answer) is refused with the question's line.
"""

from __future__ import annotations

import re
from typing import Any

from tutor.problems.choices import choice_text

from .base import ImportProblem
from .readers import NUMBER, guess_type

# {weight:TYPE:answers}; the short forms are Moodle's own (NM, SA, MW, MC, MCV, MCH, MR, ...).
BLANK = re.compile(
    r"\{(?P<weight>\d*):(?P<kind>NUMERICAL|NM|SHORTANSWER|SA|MW|SHORTANSWER_C|SAC|MWC|"
    r"MULTICHOICE(?:_[VHS]{1,2})?|MC[VHS]{0,2}|MULTIRESPONSE(?:_[HS]{1,2})?|MR[HS]{0,2}):"
    r"(?P<answers>(?:\\\}|[^}])*)\}"
)
MAX_BLANKS = 26
_NUMERIC = ("NUMERICAL", "NM")
_CHOICE_PREFIXES = ("MULTICHOICE", "MC", "MULTIRESPONSE", "MR")


def _split(answers: str) -> list[tuple[float, str]]:
    """[(fraction, answer text)] from `~`-separated answers; `\\~`, `\\}` and `\\#` are literal."""
    out = []
    for raw in re.split(r"(?<!\\)~", answers):
        text = re.split(r"(?<!\\)#", raw, maxsplit=1)[0]  # the rest is feedback
        fraction = 0.0
        if text.startswith("="):
            fraction, text = 1.0, text[1:]
        else:
            match = re.match(r"%(-?\d+(?:\.\d+)?)%", text)
            if match:
                fraction, text = float(match.group(1)) / 100, text[match.end() :]
        text = re.sub(r"\\([~}#{])", r"\1", text).strip()
        if text:
            out.append((fraction, text))
    return out


def _label(index: int) -> str:
    return chr(ord("a") + index)


def cloze_item(*, statement: str, name: str, where: str, found: list[ImportProblem]) -> dict[str, Any] | None:
    """The mapping (as a YAML item would be written) of a Cloze question: the stem and its parts."""
    blanks = list(BLANK.finditer(statement))
    if not blanks:
        found.append(
            ImportProblem(where, "questiontext", f"Cloze question '{name}' has no {{1:TYPE:...}} blanks")
        )
        return None
    if len(blanks) > MAX_BLANKS:
        found.append(
            ImportProblem(
                where, "questiontext", f"'{name}' has {len(blanks)} blanks; at most {MAX_BLANKS} are read"
            )
        )
        return None
    parts: list[dict[str, Any]] = []
    for index, blank in enumerate(blanks):
        label = _label(index)
        answers = _split(blank.group("answers"))
        right = [text for fraction, text in answers if fraction >= 1.0] or [
            text for fraction, text in sorted(answers, reverse=True) if fraction > 0
        ][:1]
        if not right:
            found.append(
                ImportProblem(where, "questiontext", f"blank ({label}) of '{name}' has no right answer")
            )
            return None
        kind = blank.group("kind")
        part: dict[str, Any] = {"key": label, "statement": f"What goes in blank ({label})?"}
        if kind.startswith(_CHOICE_PREFIXES):
            part["answer_type"] = "choice"
            part["choices"] = [choice_text(text) for _, text in answers]
            multiple = kind.startswith(("MULTIRESPONSE", "MR"))
            part["answer"] = (
                [choice_text(t) for f, t in answers if f > 0] if multiple else choice_text(right[0])
            )
        elif kind in _NUMERIC:
            value, _, tolerance = right[0].partition(":")
            part["answer"] = value.strip()
            part["answer_type"] = "number"
            if tolerance.strip() not in ("", "0", "0.0"):
                part["tolerance"] = tolerance.strip()
                part["tolerance_mode"] = "absolute"  # as in Moodle: in the answer's own units
        else:
            # As a Moodle short answer on its own: maths when it looks like maths, else words.
            part["answer"] = right[0]
            part["answer_type"] = (
                guess_type(right[0], None)
                if NUMBER.fullmatch(right[0]) or re.search(r"[+*/^=()]", right[0])
                else "text"
            )
        parts.append(part)
    counter = iter(range(len(blanks)))
    stem = BLANK.sub(lambda _m: f"**({_label(next(counter))})** \\_\\_\\_\\_", statement)
    return {"statement": stem, "parts": parts}
