"""Maths in a hint beyond plain numbers: formulas written in prose, values stated after "is", "=",
"gives"..., the statements, sides and boxes of maths segments, and lists."""

from __future__ import annotations

import re

from .numbers import _COUNT_NOUN, _DENOMINATORS, _ONES, _SCALES, _TENS, _number_candidates
from .text import MAX_CANDIDATE_CHARS, STATED_VALUE_CHARS, Candidate

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
