"""The leak gate: does a hint or feedback text give the answer key away?

Every maths segment (the four LaTeX delimiter styles and backticks), every number (digits in any
script, number words, vulgar fractions), every formula written in plain text, every value stated
after "=", "is", "equals", "→", "gives", "makes"... and every list/set/matrix/tuple-shaped span is
a candidate. Each candidate goes to the answer checker (a sandboxed child process with its own
time limit), which compares it with the key. A candidate the checker finds equivalent to the key
is a leak. A text that cannot be checked in time, or holds too many candidates, is treated as a
leak: the gate fails closed.

A number that also appears in the problem statement is not a leak just for being mentioned
("subtract 3 from both sides" of 2x + 3 = 11); it is when it is stated as a value ("x is 3").

Everything here in the web process is a linear scan over text capped at MAX_TEXT_CHARS; nothing
is parsed as maths outside the checker. docs/leak-gate.md says what the gate does not catch.
"""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING

from inference.checker import Verdict, acheck_answer, apreview_answer

if TYPE_CHECKING:
    from tutor.problems.models import Problem

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
_LEAK_STATUSES = {"units_missing", "wrong_precision"}
# The checker could not decide in time: fail closed.
_UNDECIDED_STATUSES = {"timeout", "error"}


@dataclass(frozen=True)
class Leak:
    answer: str  # the candidate as sent to the checker
    verdict: Verdict
    source: str = ""  # the words of the text it came from
    reason: str = ""


@dataclass(frozen=True)
class GateDecision:
    leak: Leak | None
    reason: str
    checked: int = 0
    ms: float = 0.0

    @property
    def leaked(self) -> bool:
        return self.leak is not None


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


# --- normalising ------------------------------------------------------------------------------

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


# --- maths segments ---------------------------------------------------------------------------

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


# --- numbers ----------------------------------------------------------------------------------

_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:/\d+)?")
_FRAC = re.compile(r"\\[dt]?frac\s*\{\s*(-?\s*\d{1,12})\s*\}\s*\{\s*(\d{1,12})\s*\}")
# "Step 2", "1." at the start of a line, "equation (1)": labels, not values.
_LABEL = re.compile(
    r"(?im)(?:^[ \t>*#-]*(?:\*\*)?\(?\d{1,2}[.):](?=\s))"
    r"|\b(?:step|hint|part|case|stage|equation|eq\.|line|question|problem|example|method|option|row|column)"
    r"\s*\(?\d{1,2}\)?"
)


def _value(text: str) -> Fraction | None:
    text = text.replace(",", "").replace(" ", "")
    if len(text) > 40:
        return None
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def _number_candidates(text: str, offset: int) -> list[Candidate]:
    """Every number literal in `text` (prose or a maths body), with a unary minus when there is one."""
    found = []
    for match in _FRAC.finditer(text):
        value = _value(f"{match.group(1)}/{match.group(2)}")
        if value is not None:
            found.append(
                Candidate(
                    text=f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value),
                    source=match.group(),
                    start=offset + match.start(),
                    end=offset + match.end(),
                    value=value,
                    kind="number",
                )
            )
    for match in _NUMBER.finditer(text):
        start, end = match.start(), match.end()
        before = text[max(0, start - 2) : start].rstrip()
        after = text[end : end + 1]
        # 2x, x2, x_1, x^2, 10^{3}, v0, 2nd: parts of a formula, a name or a word, not values.
        if before.endswith(("^", "_", "^{", "_{", ".")) or (start and text[start - 1].isalpha()):
            continue
        if after.isalpha() or after == "_":
            continue
        literal = match.group()
        sign = ""
        if start and text[start - 1] == "-" and (start < 2 or not re.match(r"[\w)\]}.]", text[start - 2])):
            sign, start = "-", start - 1
        value = _value(sign + literal)
        if value is None:
            continue
        found.append(
            Candidate(
                text=sign + literal.replace(",", ""),
                source=text[start:end],
                start=offset + start,
                end=offset + end,
                value=value,
                kind="number",
            )
        )
    return found


_ONES = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {
    w: 10 * i
    for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split())
    if i > 1
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9}
_DENOMINATORS = {
    "half": 2,
    "halves": 2,
    "third": 3,
    "thirds": 3,
    "quarter": 4,
    "quarters": 4,
    "fourth": 4,
    "fourths": 4,
    "fifth": 5,
    "fifths": 5,
    "sixth": 6,
    "sixths": 6,
    "seventh": 7,
    "sevenths": 7,
    "eighth": 8,
    "eighths": 8,
    "ninth": 9,
    "ninths": 9,
    "tenth": 10,
    "tenths": 10,
}
_WORD = re.compile(r"[A-Za-z]+")
# Count nouns after a number word ("two sides", "three terms") say how many things, not a value.
_COUNT_NOUN = re.compile(r"\s+(?:more\s+|other\s+|different\s+|equal\s+)?[a-z]{3,}s\b")


def _integer_words(words: list[str], i: int) -> tuple[int, int] | None:
    total, current, j, seen = 0, 0, i, False
    while j < len(words):
        word = words[j]
        if word in _ONES:
            if seen and current % 100 and current % 10 == 0 and current % 100 >= 20 and _ONES[word] < 10:
                current += _ONES[word]  # twenty one
            elif seen and current % 100:
                break
            else:
                current += _ONES[word]
        elif word in _TENS:
            if seen and current % 100:
                break
            current += _TENS[word]
        elif word in _SCALES and seen:
            if _SCALES[word] == 100:
                current *= 100
            else:
                total += current * _SCALES[word]
                current = 0
        elif (
            word == "and" and seen and j + 1 < len(words) and (words[j + 1] in _ONES or words[j + 1] in _TENS)
        ):
            if current and current % 100 == 0 or (total and not current):
                j += 1
                continue
            break
        else:
            break
        seen = True
        j += 1
    return (total + current, j) if seen else None


def _words_value(words: list[str], i: int) -> tuple[Fraction, int] | None:
    """The value of the number words starting at words[i], and the index after them."""
    sign = 1
    if words[i] == "negative":
        if i + 1 >= len(words):
            return None
        sign, i = -1, i + 1
    if words[i] in ("a", "one") and i + 1 < len(words) and words[i + 1] in _DENOMINATORS:
        return Fraction(sign, _DENOMINATORS[words[i + 1]]), i + 2
    integer = _integer_words(words, i)
    if integer is None:
        return None
    value, j = Fraction(integer[0]), integer[1]
    if j < len(words) and words[j] in _DENOMINATORS and words[j] not in ("half", "quarter", "third"):
        return sign * value / _DENOMINATORS[words[j]], j + 1  # three quarters, two thirds
    if j < len(words) and words[j] in ("half", "third", "quarter") and value == 1:
        return Fraction(sign, _DENOMINATORS[words[j]]), j + 1
    if (
        j + 2 < len(words)
        and words[j] == "and"
        and words[j + 1] in ("a", "one")
        and words[j + 2] in _DENOMINATORS
    ):
        return sign * (value + Fraction(1, _DENOMINATORS[words[j + 2]])), j + 3  # two and a half
    if (
        j + 1 < len(words)
        and words[j] == "point"
        and all(w in _ONES and _ONES[w] < 10 for w in words[j + 1 : j + 2])
    ):
        digits, k = "", j + 1
        while k < len(words) and words[k] in _ONES and _ONES[words[k]] < 10:
            digits += str(_ONES[words[k]])
            k += 1
        return sign * (value + Fraction(int(digits), 10 ** len(digits))), k
    return sign * value, j


def _fraction_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _word_number_candidates(text: str, *, how_many: bool) -> list[Candidate]:
    """Numbers written in words: "five", "twenty-one", "two and a half", "three quarters"."""
    matches = list(_WORD.finditer(text))
    words = [m.group().lower() for m in matches]
    found, i = [], 0
    starters = set(_ONES) | set(_TENS) | {"negative", "a"}
    while i < len(words):
        if words[i] not in starters:
            i += 1
            continue
        parsed = _words_value(words, i)
        if parsed is None:
            i += 1
            continue
        value, j = parsed
        start, end = matches[i].start(), matches[j - 1].end()
        single = j - i == 1
        # "one" alone is a pronoun far more often than a value ("one way to start"); a number word
        # before a count noun says how many things. Both still count when stated as a value, and a
        # count counts when the question asks "how many".
        kind = "words"
        if not how_many and _COUNT_NOUN.match(text, end):
            kind = "count-words"
        elif single and words[i] == "one":
            kind = "weak-words"
        found.append(
            Candidate(
                text=_fraction_text(value),
                source=text[start:end],
                start=start,
                end=end,
                value=value,
                kind=kind,
            )
        )
        i = j
    return found


def replace_number_words(text: str) -> str:
    """'two and a half' -> '5/2': number words in a stated value, as the checker reads them."""
    found = _word_number_candidates(text, how_many=True)
    for candidate in reversed(found):
        text = text[: candidate.start] + candidate.text + text[candidate.end :]
    return text


# --- relations and formulas ---------------------------------------------------------------------

# Words that state a value, like "=". Longest first so "is equal to" wins over "is".
_TRIGGER = re.compile(
    r"(?i)\b(?:is\s+equal\s+to|are\s+equal\s+to|equal\s+to|equals?|is|are|was|were|will\s+be|would\s+be|should\s+be"
    r"|gives?(?:\s+(?:us|you))?|makes?|becomes?|simplifies\s+to|simplify\s+to|reduces\s+to|comes?\s+out\s+(?:to|as)"
    r"|works?\s+out\s+(?:to|as)|evaluates?\s+to|(?:you|we|to)\s+get|gets?|got|obtain|yields?|results?\s+in|leaves"
    r"|turns?\s+out\s+to\s+be|answer\s*:)\b|→|->|=>|≈|(?<![<>!=])=(?!=)"
)
_FILLER = re.compile(
    r"(?i)^\s*(?:(?:just|exactly|about|approximately|around|roughly|equal\s+to|the\s+(?:number|value)|simply|then|"
    r"actually|therefore|thus|now|:)\s*)+"
)
_MATH_WORDS = {"sin", "cos", "tan", "sqrt", "ln", "log", "exp", "pi", "lim", "det", "max", "min", "abs"}
_MATH_WORDS |= {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "theta",
    "lambda",
    "rho",
    "sigma",
    "tau",
    "phi",
    "omega",
}
_ENGLISH_SHORT = set(
    "is to of in on at by it an as or be we if so do no up us my me he go am and the for are you can has had not "
    "its was one two all but let try use see".split()
)
_PROSE_TOKEN = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)|(?P<word>[A-Za-z]+'*)|(?P<op>->|=>|<=|>=|\*\*|[=+\-*/^<>→≈])"
    r"|(?P<cmd>\\[A-Za-z]+|\\[{}])|(?P<open>[(\[{])|(?P<close>[)\]}])|(?P<comma>,)|(?P<space>[ \t]+)"
    r"|(?P<masked>\x00+)|(?P<other>[^\n])|(?P<nl>\n)"
)


def _is_math_word(word: str, following: str) -> bool:
    bare = word.rstrip("'")
    if len(bare) == 1:
        return True
    if bare.lower() in _MATH_WORDS:
        return True
    if bare.isupper() and len(bare) <= 3:  # matrix names: AB, BA
        return True
    return len(bare) <= 2 and bare.lower() not in _ENGLISH_SHORT and following == "("


def formula_runs(text: str) -> list[tuple[int, int]]:
    """Spans of plain-text maths in prose: 'x + 3', '2x+3=11', 'AB = [[5, 4], [1, 2]]', '(2, 3)'."""
    tokens = list(_PROSE_TOKEN.finditer(text))
    runs: list[tuple[int, int]] = []
    start = end = None
    has_op = has_group = False
    depth = 0

    def close_run() -> None:
        nonlocal start, end, has_op, has_group, depth
        if start is not None and (has_op or has_group):
            runs.append((start, end))
        start = end = None
        has_op = has_group = False
        depth = 0

    for index, token in enumerate(tokens):
        kind = token.lastgroup
        if kind == "space":
            continue
        following = tokens[index + 1].group() if index + 1 < len(tokens) else ""
        mathy = kind in ("num", "op", "open", "close", "cmd") or (
            kind == "word" and _is_math_word(token.group(), following)
        )
        if kind == "comma":
            mathy = start is not None and (depth > 0 or following.strip() != "" or index + 2 < len(tokens))
            if mathy and depth == 0:
                # A comma at the top level continues a run only before more maths ("x = 2, y = 3").
                nxt = tokens[index + 1] if index + 1 < len(tokens) else None
                if nxt is not None and nxt.lastgroup == "space":
                    nxt = tokens[index + 2] if index + 2 < len(tokens) else None
                mathy = nxt is not None and (
                    nxt.lastgroup in ("num", "open")
                    or (nxt.lastgroup == "word" and len(nxt.group().rstrip("'")) == 1)
                    or (nxt.lastgroup == "op" and nxt.group() == "-")
                )
        if not mathy:
            close_run()
            continue
        if start is None:
            start = token.start()
        end = token.end()
        if kind == "op":
            has_op = True
        elif kind == "open":
            depth += 1
        elif kind == "close":
            depth = max(0, depth - 1)
        elif kind == "comma" and depth > 0:
            has_group = True
    close_run()
    trimmed = []
    for start, end in runs:
        span = text[start:end]
        # Drop a dangling operator or bracket at either end ("x -" from "x-axis").
        while span and span[-1] in "=+-*/^<>,(":
            span = span[:-1].rstrip()
        lead = len(span) - len(span.lstrip("=+*/^<>,)"))
        span = span[lead:]
        if span.count("(") + span.count("[") + span.count("{") < span.count(")") + span.count(
            "]"
        ) + span.count("}"):
            while span and span[-1] in ")]}" and _unbalanced_close(span):
                span = span[:-1].rstrip()
        if not span or not re.search(r"[=+\-*/^<>→≈,]", span[1:] if span[0] == "-" else span):
            continue
        trimmed.append((start + lead, start + lead + len(span)))
    return trimmed


def _unbalanced_close(span: str) -> bool:
    return span.count("(") + span.count("[") + span.count("{") < span.count(")") + span.count(
        "]"
    ) + span.count("}")


# Top-level separators between statements inside one maths segment or formula.
_LATEX_SEPARATORS = re.compile(
    r"\\(?:Rightarrow|Longrightarrow|implies|rightarrow|longrightarrow|to|therefore|because|iff|Leftrightarrow"
    r"|qquad|quad)(?![A-Za-z])|\\text\s*\{\s*(?:and|or|so|then|thus|hence|,)\s*\}|\\\\|→|->|=>|;"
)
_SIDE_SEPARATORS = re.compile(r"\\approx(?![A-Za-z])|≈|(?<![<>!=\\])=(?!=)|\\simeq(?![A-Za-z])")
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
_LONE_LETTER = re.compile(r"^\s*(?:[A-Za-z](?:_\{?\w{1,3}\}?)?|\\[a-z]+)\s*$")
_ALIGNED = re.compile(
    r"\\(?:begin|end)\s*\{\s*(?:aligned|align\*?|gathered|split|eqnarray\*?|equation\*?)\s*\}"
)


_BEGIN_END = re.compile(r"\\(begin|end)\s*\{[^{}]{0,20}\}")


def _top_level_split(body: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """(start, end) pieces of `body` between matches of `pattern` outside braces, brackets and
    environments (a matrix's rows stay together)."""
    steps = [0] * (len(body) + 1)
    for match in _BEGIN_END.finditer(body):
        steps[match.start()] += 1 if match.group(1) == "begin" else -1
    depths, depth = [], 0
    for index, ch in enumerate(body):
        depth = max(0, depth + steps[index])
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth = max(0, depth - 1)
        depths.append(depth)
    pieces, last = [], 0
    for match in pattern.finditer(body):
        if match.start() and depths[match.start() - 1] > 0 and body[match.start()] not in "{([":
            continue
        pieces.append((last, match.start()))
        last = match.end()
    pieces.append((last, len(body)))
    return [(s, e) for s, e in pieces if body[s:e].strip()]


def _boxed_bodies(body: str) -> list[tuple[int, int]]:
    """The outermost \\boxed{...} bodies; each character is scanned once."""
    found = []
    position = 0
    while match := _BOXED.search(body, position):
        depth, i = 1, match.end()
        limit = min(len(body), i + MAX_CANDIDATE_CHARS + 1)  # nested boxes can't make this quadratic
        while i < limit and depth:
            depth += {"{": 1, "}": -1}.get(body[i], 0)
            i += 1
        found.append((match.end(), i - 1 if depth == 0 else i))
        position = max(i, match.end())
    return found


def _strip_env(body: str) -> str:
    """An aligned block's rows read as statements: drop its begin/end and the & alignment marks."""
    if not _ALIGNED.search(body):
        return body
    body = _ALIGNED.sub(lambda m: " " * len(m.group()), body)
    return body.replace("&", " ")


def _math_candidates(body: str, offset: int, *, kind: str) -> list[Candidate]:
    """The whole formula, each statement in it, each side of each equation, boxed answers, numbers."""
    found: list[Candidate] = []

    def add(s: int, e: int, what: str, *, asserted: bool = False, unsolved: bool = False) -> None:
        piece = body[s:e]
        stripped = piece.strip().strip(",.").strip()
        if not stripped:
            return
        lead = piece.find(stripped)
        found.append(
            Candidate(
                text=stripped,
                source=stripped,
                start=offset + s + lead,
                end=offset + s + lead + len(stripped),
                asserted=asserted,
                kind=what,
                unsolved_relation=unsolved,
            )
        )

    body = _strip_env(body)
    add(0, len(body), kind)
    if kind != "boxed":  # a box inside a box is read with its outer box: no rescans
        for s, e in _boxed_bodies(body):
            add(s, e, "boxed", asserted=True)
    for c_index, (cs, ce) in enumerate(_top_level_split(body, _LATEX_SEPARATORS)):
        clause = body[cs:ce]
        parts = _top_level_split(clause, re.compile(r","))
        for ps, pe in parts if len(parts) > 1 else [(0, len(clause))]:
            part = clause[ps:pe]
            sides = _top_level_split(part, _SIDE_SEPARATORS)
            lone = any(_LONE_LETTER.match(part[s:e]) for s, e in sides)
            add(cs + ps, cs + pe, "clause", asserted=c_index > 0, unsolved=len(sides) > 1 and not lone)
            if len(sides) > 1:
                for side_index, (ss, se) in enumerate(sides):
                    add(cs + ps + ss, cs + ps + se, "side", asserted=side_index > 0)
        if len(parts) > 1:
            add(cs, ce, "clause", asserted=c_index > 0)
    found += _number_candidates(body, offset)
    return found


_NUMBER_WORDS = set(_ONES) | set(_TENS) | set(_SCALES) | set(_DENOMINATORS) | {"negative", "point"}
_LIST_WORDS = {"and", "or", "a"}


def _stated_values(masked: str, *, how_many: bool = False) -> list[tuple[int, int]]:
    """Values stated in prose: the maths right after 'is', 'equals', '=', '→', 'gives'... .

    Only a span that starts as maths counts ("x is 5", "it simplifies to x + 3", "the roots are
    2 and 3"); "the first step is to subtract 3" states no value.
    """
    spans: list[tuple[int, int]] = []
    for match in _TRIGGER.finditer(masked):
        if spans and match.start() < spans[-1][1]:
            continue  # "x = 2 = 4/2": read once, as part of the value stated before it
        start = match.end()
        filler = _FILLER.match(masked, start)
        if filler:
            start = filler.end()
        while start < len(masked) and masked[start] == " ":
            start += 1
        end = start
        limit = min(len(masked), start + STATED_VALUE_CHARS)
        tokens = list(_PROSE_TOKEN.finditer(masked, start, limit))
        for index, token in enumerate(tokens):
            kind, word = token.lastgroup, token.group()
            following = tokens[index + 1].group() if index + 1 < len(tokens) else ""
            if kind == "space":
                continue
            if kind in ("num", "op", "open", "close", "cmd") or kind == "masked":
                end = token.end()
            elif kind == "comma" and following.strip() == "" and index + 2 < len(tokens):
                continue
            elif kind == "word" and (word.lower() in _NUMBER_WORDS or _is_math_word(word, following)):
                end = token.end()
            elif kind == "word" and word.lower() in _LIST_WORDS and end > start:
                continue
            elif kind == "other" and word == "." and re.match(r"\d", following) and end > start:
                continue
            else:
                break
        # "there are two steps": how many things, not a value (unless the question asks how many).
        if end > start and (how_many or not _COUNT_NOUN.match(masked, end)):
            spans.append((start, end))
    return spans


_LIST_JOIN = re.compile(r"(?i)\s*(?:,\s*(?:and|or)\s+|,|\band\b|\bor\b|&)\s*")


def _as_list(text: str) -> list[str] | None:
    """'2 and 3', '2, 3, and 5', '-2 or 2' -> the items; None unless every item is a short value."""
    items = [item.strip() for item in _LIST_JOIN.split(text)]
    if len(items) < 2 or len(items) > 8:
        return None
    if not all(item and len(item) <= 30 and re.fullmatch(r"[-+]?[\w./^()\\{}\s*]+", item) for item in items):
        return None
    if not all(re.search(r"\d", item) or len(item.strip()) <= 3 for item in items):
        return None
    return items


# --- finding candidates -----------------------------------------------------------------------


@dataclass(frozen=True)
class KeyFacts:
    """What the gate needs to know about the answer key, read once per problem."""

    kind: str = ""  # how the checker reads the key: number, quantity, set, equation, ... ('' unknown)
    value_text: str = ""  # a quantity key's value without its units
    percent: bool = False
    solved: bool = True  # an equation/inequality key with a lone letter on one side: "x = 4"
    statement_values: frozenset[Fraction] = frozenset()
    statement_compact: str = ""
    how_many: bool = False
    list_shaped: bool = True  # the key is several values (set, solutions, tuple, interval)
    ordered: bool = False  # a tuple: order matters
    unread: str = ""  # the checker's status when it could not read the key in time (timeout, error)


def statement_facts(statement: str) -> tuple[frozenset[Fraction], str, bool]:
    text = normalise(statement[:MAX_TEXT_CHARS])
    # Every number in the statement, coefficients and exponents too: "divide by 2" for 2x = 6.
    values = {Fraction(m.group()) for m in re.finditer(r"\d{1,30}(?:\.\d{1,30})?", text)}
    values |= {c.value for c in _number_candidates(text, 0) if c.value is not None}
    values |= {c.value for c in _word_number_candidates(text, how_many=True) if c.value is not None}
    return frozenset(values), _compact(text), bool(re.search(r"(?i)\bhow\s+many\b", text))


def find_candidates(text: str, *, facts: KeyFacts | None = None) -> list[Candidate]:
    """Every candidate answer in `text` (already normalised), exempt ones removed, asserted ones first.

    Deduplicated on what the checker is asked; at most a few hundred before capping, since every
    scan here is linear in the text.
    """
    facts = facts or KeyFacts()
    text = _LABEL.sub(lambda m: re.sub(r"\d", " ", m.group()), text)
    segments = math_segments(text)
    masked = _mask(text, segments)
    found: list[Candidate] = []
    for seg in segments:
        found += _math_candidates(text[seg.body_start : seg.body_end], seg.body_start, kind="math")
    for start, end in formula_runs(masked):
        found += _math_candidates(text[start:end], start, kind="formula")
    found += _number_candidates(masked, 0)
    found += _word_number_candidates(masked, how_many=facts.how_many)
    found += _unit_candidates(masked, facts)

    for start, end in _boxed_bodies(masked):
        found += _math_candidates(text[start:end], start, kind="boxed")
    stated = _stated_values(masked, how_many=facts.how_many)
    for start, end in stated:
        words = _unwrap_math(text[start:end])
        value = replace_number_words(words).strip().rstrip(".")
        if value and re.search(r"[\d=+\-*/^()\[\]{}\\]", value) and len(value) <= MAX_CANDIDATE_CHARS:
            found.append(
                Candidate(
                    text=value, source=text[start:end], start=start, end=end, asserted=True, kind="stated"
                )
            )
            items = _as_list(value)
            if items and facts.list_shaped:
                found += _list_forms(items, text[start:end], start, end, facts)

    # A number near the start of a stated value is stated too ("is 5 metres", "is about 2.5").
    stated_at = bytearray(len(text) + 1)
    for start, end in stated:
        stated_at[start : min(end, start + 60)] = b"\x01" * (min(end, start + 60) - start)
    found = [replace(c, asserted=True) if not c.asserted and stated_at[c.start] else c for c in found]
    found += _sentence_lists(text, found, facts)
    return _dedupe([c for c in found if _keep(c, facts)])


def _unwrap_math(text: str) -> str:
    for opener, closer in _OPENERS:
        text = text.replace(closer, " ").replace(opener, " ")
    return re.sub(r"\s+", " ", text).strip()


def _list_forms(items: list[str], source: str, start: int, end: int, facts: KeyFacts) -> list[Candidate]:
    forms = ["{" + ", ".join(items) + "}", " or ".join(items)]
    if facts.ordered or not facts.kind:
        forms.append("(" + ", ".join(items) + ")")
    return [Candidate(text=f, source=source, start=start, end=end, asserted=True, kind="list") for f in forms]


def _sentence_lists(text: str, found: list[Candidate], facts: KeyFacts) -> list[Candidate]:
    """'x = 2 and x = 3', '$x=2$ or $x=-2$': the values stated in one sentence, as one set/tuple."""
    if not facts.list_shaped:
        return []
    lists = []
    solved = re.compile(r"\s*[A-Za-z]\s*=\s*[^=<>]{1,40}")
    ordered = sorted(found, key=lambda c: c.start)
    first = 0
    for s_start, s_end in _sentence_spans(text):
        while first < len(ordered) and ordered[first].start < s_start:
            first += 1
        last = first
        while last < len(ordered) and ordered[last].start < s_end:
            last += 1
        in_sentence = ordered[first:last]
        assignments = []
        for c in in_sentence:
            if c.kind == "clause" and solved.fullmatch(c.text) and c.text not in assignments:
                assignments.append(c.text)
        if 2 <= len(assignments) <= 6:
            joined = ", ".join(assignments)
            lists.append(
                Candidate(text=joined, source=joined, start=s_start, end=s_end, asserted=True, kind="list")
            )
        values = []
        for c in in_sentence:
            if (
                c.asserted
                and c.value is not None
                and c.kind == "number"
                and _fraction_text(c.value) not in values
            ):
                values.append(_fraction_text(c.value))
        if 2 <= len(values) <= 6:
            lists += _list_forms(values, text[s_start:s_end].strip(), s_start, s_end, facts)
    return lists


def _keep(candidate: Candidate, facts: KeyFacts) -> bool:
    if not candidate.text or len(candidate.text) > MAX_CANDIDATE_CHARS:
        return False
    if candidate.kind == "count-words" or (candidate.kind == "weak-words" and not candidate.asserted):
        return False
    # "2x = 8" on the way to "x = 4": a step, not the answer, when the answer is a value of x.
    if candidate.unsolved_relation and facts.solved:
        return False
    if candidate.asserted:
        return True
    if candidate.value is not None:
        return candidate.value not in facts.statement_values
    compact = _compact(candidate.text)
    return not (compact and facts.statement_compact and compact in facts.statement_compact)


def _dedupe(found: list[Candidate]) -> list[Candidate]:
    by_text: dict[str, Candidate] = {}
    for candidate in found:
        key = candidate.text.strip()
        if key in by_text:
            if candidate.asserted and not by_text[key].asserted:
                by_text[key] = replace(by_text[key], asserted=True)
            continue
        by_text[key] = candidate
    ordered = list(by_text.values())
    return sorted(ordered, key=lambda c: (not c.asserted, c.start))


_UNIT_TOKEN = re.compile(
    r"\s*((?:[A-Za-zµΩ°][A-Za-zµΩ°/^*\-\d]{0,11})(?:\s+per\s+[A-Za-z]{1,12}|\s*/\s*[A-Za-z]{1,8}(?:\^-?\d)?)?)"
)


def _unit_candidates(masked: str, facts: KeyFacts) -> list[Candidate]:
    """For a key with units: each number with the word after it ('20.8 m/s', '75 km per hour')."""
    if facts.kind != "quantity":
        return []
    found = []
    for number in _number_candidates(masked, 0):
        unit = _UNIT_TOKEN.match(masked, number.end)
        if not unit or unit.group(1).lower() in _ENGLISH_SHORT or _TRIGGER.fullmatch(unit.group(1)):
            continue
        unit_text = re.sub(r"\s+per\s+", "/", unit.group(1)).rstrip(".")
        found.append(
            Candidate(
                text=f"{number.text} {unit_text}",
                source=masked[number.start : unit.end()],
                start=number.start,
                end=unit.end(),
                value=None,
                kind="unit",
            )
        )
    return found


# --- sentences --------------------------------------------------------------------------------

_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "approx.", "Eq.", "eq.", "Fig.", "cf.")


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of `text`; a boundary is never inside a maths segment or a number like 2.5."""
    spans, start = [], 0
    protected = [(seg.start, seg.end) for seg in math_segments(text)]
    p = 0
    i = 0
    while i < len(text):
        while p < len(protected) and protected[p][1] <= i:
            p += 1
        if p < len(protected) and protected[p][0] <= i < protected[p][1]:
            i = protected[p][1]
            continue
        ch = text[i]
        boundary = None
        if ch in ".!?" and (i + 1 == len(text) or text[i + 1] in " \n\t\"')*"):
            if not text[max(0, i - 6) : i + 1].endswith(_ABBREVIATIONS):
                boundary = i + 1
        elif ch == "\n" and i + 1 < len(text) and text[i + 1] == "\n":
            boundary = i + 1
        if boundary is not None:
            if spans and not text[start:boundary].strip():
                spans[-1] = (spans[-1][0], boundary)  # a bare line break joins the sentence before it
            else:
                spans.append((start, boundary))
            start = boundary
        i += 1
    if start < len(text) and text[start:].strip():
        spans.append((start, len(text)))
    return spans


def split_sentences(text: str) -> list[str]:
    """The sentences of a text, for a caller that gates a streamed hint one sentence at a time."""
    return [text[s:e] for s, e in _sentence_spans(text)]


class SentenceBuffer:
    """Collects streamed deltas and hands out complete sentences; the last one waits for more text.

    A sentence ends at . ! ? followed by a space or a line break, or at a blank line, and never
    inside a maths segment. `flush()` returns what is left at the end of the stream.
    """

    def __init__(self) -> None:
        self._pending = ""

    def feed(self, delta: str) -> list[str]:
        self._pending += delta
        if len(self._pending) > MAX_SENTENCE_CHARS:
            # No sentence end for this long (a long derivation): gate what there is, so the scan
            # below stays linear over the stream.
            rest, self._pending = self._pending, ""
            return [rest]
        before = self._pending[-len(delta) - 1 : -len(delta)] if delta else ""
        if not re.search(r"[.!?\n]", delta) and not (delta[:1].isspace() and before in (".", "!", "?")):
            return []  # no sentence can have ended: don't rescan
        spans = _sentence_spans(self._pending)
        # The last span may still grow (no boundary after it, or a "." that may be "2.5").
        complete = [
            (s, e)
            for s, e in spans
            if e < len(self._pending)
            and (self._pending[e - 1] in ".!?\n" and self._pending[e : e + 1].isspace())
        ]
        if not complete:
            return []
        cut = complete[-1][1]
        sentences = [self._pending[s:e] for s, e in complete]
        self._pending = self._pending[cut:]
        return sentences

    def flush(self) -> str:
        rest, self._pending = self._pending, ""
        return rest


# --- checking ---------------------------------------------------------------------------------


def _checker_options(problem: Problem) -> dict:
    options = {**(problem.checker_options or {}), "accept_bare_value": True}
    # The right value rounded differently still gives the answer away.
    options.pop("sig_figs", None)
    options.pop("decimal_places", None)
    return options


async def key_facts(problem: Problem, *, owner: str | None = None) -> KeyFacts:
    """Reads the key through the checker (which caches it) and the statement here."""
    gold = problem.answer.strip()
    values, compact, how_many = await asyncio.to_thread(statement_facts, problem.statement or "")
    if problem.answer_type in ("text", "choice"):
        return KeyFacts(kind="text", statement_values=values, statement_compact=compact, how_many=how_many)
    preview = await apreview_answer(
        answer=gold, answer_type=problem.answer_type or None, units=problem.units or None, owner=owner
    )
    if not preview.ok and preview.kind in _UNDECIDED_STATUSES:
        # The key could not be read in time: nothing can be compared with it.
        return KeyFacts(unread=preview.kind, statement_values=values, statement_compact=compact)
    kind = preview.kind if preview.ok else ""
    value_text = ""
    if kind == "quantity":
        # The checker shows a quantity as "<value>\ \mathrm{<unit>}".
        value_text = preview.latex.split("\\ \\mathrm{")[0].strip() if "\\ \\mathrm{" in preview.latex else ""
    elif problem.units and kind == "number":
        kind, value_text = "quantity", gold
    solved = True
    if kind in ("equation", "relation"):
        sides = _top_level_split(_unwrap_math(gold), _SIDE_SEPARATORS)
        plain = _unwrap_math(gold)
        solved = (
            any(_LONE_LETTER.match(plain[s:e]) for s, e in sides)
            or kind == "relation"
            and bool(re.match(r"^\s*[A-Za-z]\s*[<>]|[<>]=?\s*[A-Za-z]\s*$", plain))
        )
    return KeyFacts(
        kind=kind,
        value_text=value_text,
        percent=bool(re.search(r"(?:%|\\%|percent)\s*\$?\s*$", gold)),
        solved=solved,
        statement_values=values,
        statement_compact=compact,
        how_many=how_many,
        list_shaped=kind
        in ("", "set", "equation", "alternatives", "relation", "tuple", "interval", "assignments"),
        ordered=kind in ("tuple", "assignments") or problem.answer_type == "tuple",
    )


def _unchecked(answer: str, status: str, reason: str) -> Verdict:
    return Verdict(
        equivalent=False, status=status, interpreted_as="", comparator="leak-gate", reason=reason, ms=0.0
    )


async def _gate(
    *, text: str, problem: Problem, boundary: int, budget: float, owner: str | None
) -> GateDecision:
    started = time.perf_counter()
    # Reading the key and scanning count against the budget too: a decision takes at most the
    # budget plus one checker time limit (the check running when the budget runs out).
    deadline = time.monotonic() + budget

    def done(leak: Leak | None, reason: str, checked: int) -> GateDecision:
        return GateDecision(
            leak=leak, reason=reason, checked=checked, ms=(time.perf_counter() - started) * 1000
        )

    gold = problem.answer.strip()
    if not gold:
        return done(None, "There is no answer key to give away.", 0)
    if len(text) > MAX_TEXT_CHARS:
        reason = f"The text is over {MAX_TEXT_CHARS} characters, too long to check: treated as a leak."
        return done(Leak(answer="", verdict=_unchecked("", "too_long", reason), reason=reason), reason, 0)
    normalised_before = normalise(text[:boundary])
    normalised = normalised_before + normalise(text[boundary:])
    facts = await key_facts(problem, owner=owner)
    if facts.unread:
        reason = f"The answer key could not be read in time ({facts.unread}): treated as a leak."
        verdict = _unchecked(gold, facts.unread, reason)
        return done(Leak(answer="", verdict=verdict, reason=reason), reason, 0)
    if problem.answer_type in ("text", "choice") or not facts.kind:
        # A word, a letter, or a key the checker can't read: looked for as text, without the checker.
        found = _text_key_match(normalise(gold), normalised, len(normalised_before), facts)
        if found is not None:
            reason = f"The key {gold!r} is stated in the text ({found!r})."
            verdict = _unchecked(gold, "text_match", reason)
            return done(Leak(answer=gold, verdict=verdict, source=found, reason=reason), reason, 0)
        if problem.answer_type in ("text", "choice"):
            return done(None, "The key is not stated in the text.", 0)
        return done(None, "The key can't be read by the checker; only its text was looked for.", 0)
    # Linear, but up to a few hundred milliseconds on a hostile 8000 characters: off the event loop.
    found = await asyncio.to_thread(find_candidates, normalised, facts=facts)
    candidates = [c for c in found if c.end > len(normalised_before)]
    if len(candidates) > MAX_CANDIDATES:
        reason = f"{len(candidates)} candidate answers, more than the {MAX_CANDIDATES} the gate checks: treated as a leak."
        return done(Leak(answer="", verdict=_unchecked("", "too_many", reason), reason=reason), reason, 0)

    options = _checker_options(problem)
    asked: set[str] = set()
    checked = 0
    for candidate in candidates:
        for form in _forms(candidate, facts):
            if form in asked:
                continue
            asked.add(form)
            if time.monotonic() >= deadline:
                reason = f"Not every candidate could be checked within {budget:g} s: treated as a leak."
                verdict = _unchecked(form, "timeout", reason)
                return done(
                    Leak(answer=form, verdict=verdict, source=candidate.source, reason=reason),
                    reason,
                    checked,
                )
            verdict = await acheck_answer(
                gold=gold,
                answer=form,
                answer_type=problem.answer_type or None,
                tolerance=problem.tolerance,
                units=problem.units or None,
                options=options,
                owner=owner,
            )
            checked += 1
            if verdict.status == "units_missing" and facts.value_text and time.monotonic() < deadline:
                # A bare value: it gives the answer away when it is the key's value in the key's units.
                # With no time left to compare, units_missing stands, and that counts as a leak.
                verdict = await acheck_answer(
                    gold=facts.value_text,
                    answer=form,
                    answer_type="number",
                    tolerance=problem.tolerance,
                    options=options,
                    owner=owner,
                )
                checked += 1
            if verdict.status in _UNDECIDED_STATUSES:
                reason = (
                    f"{form!r} (from {candidate.source!r}) could not be checked in time: treated as a leak."
                )
                return done(
                    Leak(answer=form, verdict=verdict, source=candidate.source, reason=reason),
                    reason,
                    checked,
                )
            if verdict.equivalent or verdict.status in _LEAK_STATUSES:
                reason = f"{form!r} (from {candidate.source!r}) matches the key: {verdict.reason}"
                return done(
                    Leak(answer=form, verdict=verdict, source=candidate.source, reason=reason),
                    reason,
                    checked,
                )
    return done(None, f"None of {len(asked)} candidate answers matches the key.", checked)


_CHOICE = re.compile(
    r"(?i)\b(?:answer|option|choice|letter|pick|choose|select|go\s+with)\s*(?:is|would\s+be)?\s*[:\-]?\s*"
    r"\(?\**([A-Za-z0-9]{1,3})\**\)?(?!\w)"
)


def _text_key_match(gold: str, text: str, boundary: int, facts: KeyFacts) -> str | None:
    """Where a text or choice key (or one the checker can't read) is stated in `text`, if it is."""
    key = re.sub(r"\s+", " ", _unwrap_math(gold)).strip().strip(".").lower()
    if not key:
        return None
    lowered = text.lower()
    for match in _CHOICE.finditer(lowered):
        if match.end() > boundary and match.group(1) == key:
            return text[match.start() : match.end()]
    for match in _TRIGGER.finditer(lowered):
        rest = _FILLER.sub("", lowered[match.end() : match.end() + len(key) + 40]).strip(" *($`")
        if match.end() >= boundary - len(key) and re.match(rf"{re.escape(key)}(?!\w)", rest):
            return text[match.start() : match.end() + len(key) + 1].strip()
    compact_key = _compact(key)
    if len(compact_key) >= 3 and compact_key not in facts.statement_compact.lower():
        for match in re.finditer(rf"(?<!\w){re.escape(key)}(?!\w)", lowered):
            if match.end() > boundary:
                return text[match.start() : match.end()]
        if compact_key in _compact(lowered[boundary:]):
            return key
    return None


def _forms(candidate: Candidate, facts: KeyFacts) -> list[str]:
    forms = [candidate.text]
    if candidate.value is not None and facts.percent:
        forms.append(f"{candidate.text}%")
    return forms


async def check_text(
    *, text: str, problem: Problem, budget: float = TEXT_BUDGET_SECONDS, owner: str | None = None
) -> GateDecision:
    """Gate a whole hint or feedback text. `owner` ("user:12") is whose turn it is in the checker's
    fair sharing; without one each check queues as its own owner."""
    return await _gate(text=text, problem=problem, boundary=0, budget=budget, owner=owner)


async def check_sentence(
    *,
    sentence: str,
    problem: Problem,
    checked: str = "",
    budget: float = SENTENCE_BUDGET_SECONDS,
    owner: str | None = None,
) -> GateDecision:
    """Gate the next sentence of a streamed text, given the text already let through.

    Only candidates that reach into the new sentence are checked (the earlier ones were already),
    but the end of the earlier text is read with it, so "x is" + "5." is still seen as a value.
    """
    context = checked[-CONTEXT_CHARS:]
    if len(checked) > CONTEXT_CHARS:
        # Start the context at a sentence start so a formula isn't read from its middle.
        cut = re.search(r"[.!?]\s+|\n\n", context)
        context = context[cut.end() :] if cut and cut.end() < len(context) else context
    return await _gate(
        text=context + sentence, problem=problem, boundary=len(context), budget=budget, owner=owner
    )


async def reveals_answer(*, text: str, problem: Problem, owner: str | None = None) -> Leak | None:
    """The leak in a whole text, or None (the call generation makes; see check_text)."""
    return (await check_text(text=text, problem=problem, owner=owner)).leak


def answer_candidates(text: str, *, statement: str = "") -> list[str]:
    """What the gate would ask the checker about, without a key: for tests and debugging."""
    values, compact, how_many = statement_facts(statement)
    facts = KeyFacts(statement_values=values, statement_compact=compact, how_many=how_many)
    return [c.text for c in find_candidates(normalise(text[:MAX_TEXT_CHARS]), facts=facts)]


def fallback_hint(*, problem: Problem, attempt_count: int) -> str:
    """A teacher-written hint when every model draft leaked; a generic nudge when there is none."""
    hints = [h for h in (problem.hints or []) if isinstance(h, str) and h.strip()]
    if hints:
        return hints[min(attempt_count, len(hints)) - 1] if attempt_count > 0 else hints[0]
    return (
        "What is the problem asking you to find? Write down what you know, then think about "
        "which rule or formula connects them. Try the first step and check it."
    )
