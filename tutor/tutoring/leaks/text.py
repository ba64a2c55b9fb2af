"""The leak gate's text handling: bounds, the candidate record, normalising any script's digits and
symbols to ASCII, and the maths segments of a text (all four LaTeX styles and backticks)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from fractions import Fraction

from inference.checker import Status

MAX_TEXT_CHARS = 8000


MAX_CANDIDATES = 80


MAX_SENTENCE_CHARS = 1200


STATED_VALUE_CHARS = 80  # how far a value stated after "is", "=", "gives"... is read


MAX_CANDIDATE_CHARS = 200


TEXT_BUDGET_SECONDS = 8.0


SENTENCE_BUDGET_SECONDS = 4.0


# How much of the text already checked is read again with a new sentence, so that a value split
# across the boundary ("x is" / "5.") is still seen.
CONTEXT_CHARS = 300


# Checker statuses that mean "this gives the answer away" besides equivalent: the right value
# without its units, the right value to the wrong precision.
_LEAK_STATUSES = {Status.UNITS_MISSING, Status.WRONG_PRECISION}


# The checker could not decide in time: fail closed.
_UNDECIDED_STATUSES = {Status.TIMEOUT, Status.ERROR}


@dataclass(frozen=True)
class Candidate:
    text: str  # what the checker is asked about
    source: str  # the words of the hint it came from
    start: int  # position in the normalised text
    end: int
    asserted: bool = False  # stated as a value: after =, is, equals, →, gives...
    value: Fraction | None = None  # for a plain number
    kind: str = "math"  # number | words | math | clause | side | formula | stated | list | boxed | unit
    unsolved_relation: bool = False  # an equation with no lone letter on either side ("2x = 8")


_MINUS = {"\u2212", "\ufe63", "\uff0d", "\u2010", "\u2011"}


_SPACES = {"\u00a0", "\u2009", "\u202f", "\u2007", "\u2002", "\u2003", "\u3000"}


_SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8"}


_SUPERSCRIPTS |= {"⁹": "9", "⁻": "-", "⁺": "+"}


_OPERATORS = {
    "±": "\\pm ",
    "∓": "\\mp ",
    "×": "*",
    "·": "*",
    "⋅": "*",
    "÷": "/",
    "⟶": "→",
    "⇒": "→",
    "⟹": "→",
    "≅": "≈",
    "≃": "≈",
}


# Letters the checker knows by name; µ/μ stays, as it is more often a unit prefix (μm) than a variable.
_GREEK = {
    ch: name
    for ch, name in zip(
        "αβγδεθλπρστφω",
        "alpha beta gamma delta epsilon theta lambda pi rho sigma tau phi omega".split(),
        strict=True,
    )
}


def _vulgar(ch: str) -> Fraction | None:
    if unicodedata.category(ch) != "No" or "FRACTION" not in unicodedata.name(ch, ""):
        return None
    return Fraction(unicodedata.numeric(ch)).limit_denominator(100)


def normalise(text: str) -> str:
    """ASCII digits and minus, fractions as a/b, x² as x^2; other characters are kept."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isascii():
            out.append(ch)
        elif ch in _MINUS:
            out.append("-")
        elif ch in _SPACES:
            out.append(" ")
        elif ch in _OPERATORS:
            out.append(_OPERATORS[ch])
        elif ch in _GREEK:
            # θ = π/6 -> theta = pi/6; a space keeps 2π from reading as the word "2pi".
            out.append(("" if not out or not out[-1][-1:].isalnum() else " ") + _GREEK[ch])
        elif ch == "√":
            radicand = ""
            while i + 1 < len(text) and (
                text[i + 1].isdigit() or (text[i + 1] == "." and text[i + 2 : i + 3].isdigit())
            ):
                radicand += text[i + 1]
                i += 1
            out.append(f"sqrt({radicand})" if radicand else "sqrt")
        elif ch in _SUPERSCRIPTS:
            run = ""
            while i < len(text) and text[i] in _SUPERSCRIPTS:
                run += _SUPERSCRIPTS[text[i]]
                i += 1
            out.append(f"^{run}" if len(run) == 1 else f"^({run})")
            continue
        elif 0xFF01 <= ord(ch) <= 0xFF5E:  # full-width ASCII: ｘ＝５
            out.append(chr(ord(ch) - 0xFEE0))
        elif unicodedata.category(ch) == "Nd":  # any script's digits: ５, ٥, ५
            out.append(str(unicodedata.decimal(ch)))
        elif (fraction := _vulgar(ch)) is not None:
            whole = ""
            while out and out[-1].isdigit():
                whole = out.pop() + whole
            if whole:  # 2½
                out.append(f"({whole}+{fraction.numerator}/{fraction.denominator})")
            else:
                out.append(f"{fraction.numerator}/{fraction.denominator}")
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _compact(text: str) -> str:
    text = re.sub(r"\\(?:left|right|[,;:! ]|displaystyle)", "", text)
    return re.sub(r"[\s${}]", "", text)


_OPENERS = (("$$", "$$"), ("\\[", "\\]"), ("\\(", "\\)"), ("```", "```"), ("$", "$"), ("`", "`"))


@dataclass(frozen=True)
class Segment:
    start: int  # of the opening delimiter
    end: int  # after the closing delimiter (or the end of the text when unclosed)
    body_start: int
    body_end: int
    style: str


def math_segments(text: str) -> list[Segment]:
    """Maths segments in order, found by one left-to-right scan (each closer is found with find)."""
    found: list[Segment] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch not in "$\\`" or (ch == "$" and i and text[i - 1] == "\\"):
            i += 1
            continue
        for opener, closer in _OPENERS:
            if text.startswith(opener, i):
                body = i + len(opener)
                close = text.find(closer, body)
                while closer == "$" and close > 0 and text[close - 1] == "\\":
                    close = text.find(closer, close + 1)
                if close == -1:  # unclosed (a stream cut mid-formula): the rest is maths
                    found.append(Segment(i, len(text), body, len(text), opener))
                    i = len(text)
                else:
                    found.append(Segment(i, close + len(closer), body, close, opener))
                    i = close + len(closer)
                break
        else:
            i += 1
    return found


def _mask(text: str, segments: list[Segment]) -> str:
    """The text with maths segments blanked out (same length), for the prose scans."""
    if not segments:
        return text
    parts, last = [], 0
    for seg in segments:
        parts.append(text[last : seg.start])
        parts.append("\x00" * (seg.end - seg.start))
        last = seg.end
    parts.append(text[last:])
    return "".join(parts)
