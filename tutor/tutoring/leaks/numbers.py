"""Numbers as a hint writes them: digits (thousands separators, decimals, fractions, \frac) and number
words ("two and a half", "three quarters"), each a candidate with its value."""

from __future__ import annotations

import re
from fractions import Fraction

from .text import Candidate

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
