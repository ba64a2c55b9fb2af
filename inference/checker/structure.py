"""Reading the structure of an answer: lists, sets, intervals, relations, "or"/"and", ±, labels.

The pieces inside (numbers, names, functions) are read by reading.py (typed text through an
`ast` allow-list, LaTeX through latex2sympy2_extended). Runs only inside the sandboxed worker.
Over 400 lines on purpose: the structure grammar (or below and, and below ',', labels, ±, unions,
sets, intervals, relations) is one recursive reader whose precedence is easiest to check in one place;
`read` and `_parse_structure` are long for the same reason.
"""

from __future__ import annotations

import re
from typing import Any

import sympy as sp

from . import units as unitlib
from .latex import parse_latex
from .reading import MAX_INPUT_CHARS, Read, ReadError, parse_plain

ANSWER_TYPES = {
    "number",
    "expression",
    "equation",
    "set",
    "interval",
    "matrix",
    "quantity",
    "choice",
    "text",
    "tuple",
}

_MATH_WRAPPERS = [(r"^\$\$(.*)\$\$$", 1), (r"^\$(.*)\$$", 1), (r"^\\\((.*)\\\)$", 1), (r"^\\\[(.*)\\\]$", 1)]
_PERCENT = re.compile(
    r"\s*(\\%|%|\\text\{\s*\\?%\s*\}|\s*\\(?:text|mathrm)\{\s*(?:percent|pct)\s*\}|\s+(?:percent(?:age)?|pct))\s*$",
    re.IGNORECASE,
)
_DEGREES = re.compile(r"\s*(\^\s*\{?\s*\\circ\s*\}?|°|\\degree|\s+degrees?)\s*$", re.IGNORECASE)
_RADIANS = re.compile(
    r"\s*(\\(?:text|mathrm|textrm|rm)\s*\{\s*rad(?:ians?)?\s*\}|\s+rad(?:ians?)?)\s*$", re.IGNORECASE
)
_OR = re.compile(r"\s+(?:or|\\text\{\s*or\s*\}|\\lor|\\vee)\s+|\s*\\text\{\s*or\s*\}\s*", re.IGNORECASE)
_AND = re.compile(
    r"\s+(?:and|\\text\{\s*and\s*\}|\\land|\\wedge)\s+|\s*\\text\{\s*and\s*\}\s*", re.IGNORECASE
)
_UNION = re.compile(r"\s+U\s+|(?<=[)\]])\s*U\s*(?=[(\[])|\s*∪\s*")
THOUSANDS = re.compile(r"^-?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?(?=$|\s*[A-Za-z\\])")


# --- reading --------------------------------------------------------------------------------------


def strip_wrappers(text: str) -> str:
    text = text.strip().rstrip(".").strip()
    changed = True
    while changed:
        changed = False
        for pattern, group in _MATH_WRAPPERS:
            match = re.match(pattern, text, re.DOTALL)
            if match:
                text = match.group(group).strip()
                changed = True
    text = re.sub(r"^\\boxed\{(.*)\}$", r"\1", text, flags=re.DOTALL)
    return text.strip().rstrip(".").strip()


def _is_latex(text: str) -> bool:
    return "\\" in text or bool(re.search(r"[\^_]\{", text))


_ROOT_OF_ATOM = re.compile(r"([√∛])\s*(\d+(?:\.\d+)?|[A-Za-z](?![A-Za-z(]))")
_VULGAR = {"½": "(1/2)", "⅓": "(1/3)", "⅔": "(2/3)", "¼": "(1/4)", "¾": "(3/4)", "⅕": "(1/5)", "⅛": "(1/8)"}


_LATEX_UNICODE = {
    "π": "\\pi ",
    "θ": "\\theta ",
    "α": "\\alpha ",
    "β": "\\beta ",
    "∞": "\\infty ",
    "≤": "\\le ",
    "≥": "\\ge ",
    "≠": "\\ne ",
    "×": "\\times ",
    "·": "\\cdot ",
    "⋅": "\\cdot ",
    "÷": "\\div ",
    "−": "-",
    "–": "-",
    "²": "^2",
    "³": "^3",
    "∛": "\\sqrt[3]",
    "√": "\\sqrt",
}


def _unicode(text: str) -> str:
    """Maths typed on a phone or written by a model: √2, 2√3, ∛4, ½, x², ≤ (in LaTeX too: \\frac{π}{2})."""
    from .names import _UNICODE

    if _is_latex(text):
        text = re.sub(r"([√∛])\s*\(([^()]*)\)", r"\1{\2}", text)  # √(x+1) -> √{x+1}
        for old, new in _LATEX_UNICODE.items():
            text = text.replace(old, new)
        return text

    text = _ROOT_OF_ATOM.sub(r"\1(\2)", text)  # √2 -> √(2), so it isn't read as a name 'sqrt2'
    text = re.sub(r"(\d)\s*([½⅓⅔¼¾⅕⅛])", r"(\1+\2)", text)  # 1½ is a mixed number, 3/2
    for old, new in {**_VULGAR, "∛": "cbrt", **_UNICODE}.items():
        text = text.replace(old, new)
    return text


def read(text: str, *, answer_type: str | None = None, units: str | None = None) -> Read:
    raw = text
    if len(text) > MAX_INPUT_CHARS:
        raise ReadError(f"That answer is too long to check (over {MAX_INPUT_CHARS} characters).")
    text = _unicode(strip_wrappers(text))
    if not text:
        raise ReadError("There's no answer there.")
    percent = bool(_PERCENT.search(text))
    if percent:
        text = _PERCENT.sub("", text)
    degrees = bool(_DEGREES.search(text))
    if degrees:
        text = _DEGREES.sub("", text)
    elif _RADIANS.search(text):
        # Radians are the unit angles are compared in already; the word just goes.
        text = _RADIANS.sub("", text)

    # Quantities: a value followed by a unit.
    if answer_type in (None, "quantity", "number") and not percent and not degrees:
        split = unitlib.split_quantity(text, expect_units=answer_type == "quantity" or bool(units))
        if split is not None:
            value_text, unit, unit_text = split
            value = read(value_text, answer_type="number")
            if value.kind != "number":
                raise ReadError(f"I read the units as {unit_text}, but the value before them isn't a number.")
            value.kind, value.unit, value.unit_text, value.raw = "quantity", unit, unit_text, raw
            return value

    # "or" binds less tightly than "and": (x > 4 and x < 5) or x < -4.
    parts = _split_words(text, _OR)
    if len(parts) > 1:
        items = [read(_unwrapped(part), answer_type=None).obj for part in parts]
        if any(_is_relation(item) for item in items):
            if not all(isinstance(item, sp.Basic) and _is_relation(item) for item in items):
                raise ReadError("Joining an inequality with something else by 'or' doesn't make a set.")
            return Read(kind="relation", obj=sp.Or(*items, evaluate=False), raw=raw)
        return Read(kind="alternatives", obj=items, raw=raw)

    # "6 and 8" lists answers (a set); "x > 1 and x < 3" is one range.
    parts = _split_words(text, _AND)
    if len(parts) > 1:
        items = [read(_unwrapped(part), answer_type=None).obj for part in parts]
        if all(isinstance(item, sp.Basic) and _is_relation(item) for item in items):
            return Read(kind="relation", obj=sp.And(*items, evaluate=False), raw=raw)
        if any(not isinstance(item, sp.Basic) or _is_relation(item) for item in items):
            raise ReadError("Joining an inequality with something else by 'and' doesn't make a set.")
        if all(isinstance(item, sp.Equality) for item in items):
            return Read(kind="alternatives", obj=items, raw=raw)
        return Read(kind="set", obj=sp.FiniteSet(*items), raw=raw)

    # A system's solution: "x = 2, y = 1".
    top = _split_top(text)
    if len(top) > 1 and all(re.fullmatch(r"\s*[A-Za-z](?:_\{?\w+\}?)?\s*=[^=]+", part) for part in top):
        equations = [read(part).obj for part in top]
        if len({eq.lhs for eq in equations}) < len(equations):
            # "x = 2, x = 3" lists the solutions of one unknown, like "x = 2 or x = 3".
            return Read(kind="alternatives", obj=equations, raw=raw)
        return Read(kind="assignments", obj=equations, raw=raw)

    # x ∈ [a, b] and x \in (a, b): the set on the right.
    member = re.match(r"^[A-Za-z]\s*(?:\\in|∈)\s*(.+)$", text)
    if member:
        text = member.group(1)
        if answer_type is None:
            # x ∈ (0, 1) is an interval, never an ordered pair.
            answer_type = "interval"

    obj, inexact = _parse_structure(text, answer_type)
    if isinstance(obj, sp.logic.boolalg.BooleanAtom):
        raise ReadError("That compares two numbers, so it is just true or false: give the answer itself.")
    if isinstance(obj, sp.Equality) and isinstance(obj.rhs, sp.FiniteSet) and isinstance(obj.lhs, sp.Symbol):
        # x = ±2 means x = 2 or x = -2.
        return Read(kind="alternatives", obj=[sp.Eq(obj.lhs, v) for v in obj.rhs], raw=raw, inexact=inexact)
    if isinstance(obj, sp.Equality) and not _is_value(obj.rhs):
        if not isinstance(obj.lhs, sp.Symbol):
            raise ReadError("Only a name can stand before '=' when a list, set or interval follows it.")
        rhs_text = text.split("=", 1)[1].strip()
        if isinstance(obj.rhs, sp.Tuple) and not rhs_text.startswith(("(", "\\left(", "[")):
            # n = 1, 2, 3 lists the values n can take, like n = 1 or n = 2 or n = 3.
            equations = [sp.Eq(obj.lhs, v, evaluate=False) for v in obj.rhs]
            return Read(kind="alternatives", obj=equations, raw=raw, inexact=inexact)
        # D = (0, 1), A = {1, 2}: a named answer; the name is a label, the value is what is judged.
        obj = obj.rhs
    result = Read(
        kind=_kind(obj, answer_type), obj=obj, raw=raw, inexact=inexact, percent=percent, degrees=degrees
    )
    if result.kind == "number" and inexact and not _is_latex(text) and _number_text(text) == text.strip():
        result.display = text.strip()
    if not result.display and result.kind in ("number", "expr") and not _is_latex(text) and "." in text:
        # What the student typed, normalised: 100.4-80.0 shows as 100.4 - 80.0, not 102/5.
        result.display = _typed_display(text)
    if (percent or degrees) and not result.display:
        from .reading import display_latex

        result.display = display_latex(obj)
    if percent:
        result.obj = result.obj / 100
    if degrees:
        result.obj = result.obj * sp.pi / 180
    _check_well_formed(result)
    return result


# About 2 000 decimal digits: more than any answer needs, and printing more can stall a worker.
_MAX_BITS = 6700
_CONTAINERS = (sp.Tuple, sp.Set, sp.Rel, sp.logic.boolalg.BooleanFunction, sp.logic.boolalg.BooleanAtom)


def _check_well_formed(result: Read) -> None:
    """Refuse what reads but means nothing (a factorial of a pair, (1, 2)^2) or can't be computed."""
    obj = result.obj
    if not isinstance(obj, sp.Basic) or isinstance(obj, sp.MatrixBase):
        return
    for node in sp.preorder_traversal(obj):
        if isinstance(node, sp.Expr) and not isinstance(node, sp.Tuple):
            if any(isinstance(arg, _CONTAINERS) for arg in node.args):
                raise ReadError("A list, set or comparison can't be used inside a calculation.")
        if isinstance(node, sp.Rational) and max(abs(node.p).bit_length(), node.q.bit_length()) > _MAX_BITS:
            raise ReadError("That number is too large to check.")
    numbers = [obj] if result.kind in ("number", "quantity") else list(_elements(obj))
    for number in numbers:
        if not isinstance(number, sp.Expr) or number.free_symbols or number.is_infinite:
            continue
        try:
            value = complex(sp.N(number, 20))
        except (TypeError, ValueError, OverflowError, ZeroDivisionError) as exc:
            raise ReadError("That value can't be worked out as a number.") from exc
        if value != value or abs(value) == float("inf"):
            raise ReadError("That value can't be worked out as a number.")


def _elements(obj: Any) -> Any:
    """The values inside sets, lists, intervals and matrices (not inside expressions)."""
    if isinstance(obj, sp.Tuple | sp.FiniteSet | sp.Union | sp.Intersection):
        for arg in obj.args:
            yield from _elements(arg)
    elif isinstance(obj, sp.Interval):
        yield obj.start
        yield obj.end
    elif isinstance(obj, sp.Expr):
        yield obj


def _depth_at(text: str, index: int) -> int:
    depth = 0
    for ch in text[:index]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    return depth


def _split_words(text: str, pattern: re.Pattern[str]) -> list[str]:
    """Split on 'or' / 'and' outside brackets only."""
    parts, start = [], 0
    for match in pattern.finditer(text):
        if match.start() >= start and _depth_at(text, match.start()) == 0:
            parts.append(text[start : match.start()])
            start = match.end()
    parts.append(text[start:])
    return [part.strip() for part in parts]


def _unwrapped(text: str) -> str:
    """(x > 4 and x < 5) -> x > 4 and x < 5, when the brackets hold a whole 'and'/'or'."""
    text = text.strip()
    while (
        text.startswith("(")
        and text.endswith(")")
        and all(_depth_at(text, i) > 0 for i in range(1, len(text)))
        and (_OR.search(text) or _AND.search(text))
    ):
        text = text[1:-1].strip()
    return text


def _is_relation(obj: Any) -> bool:
    """An inequality (or a chain of them), not an equation."""
    return isinstance(obj, sp.And | sp.Or) or (isinstance(obj, sp.Rel) and not isinstance(obj, sp.Equality))


def _is_value(obj: Any) -> bool:
    """A number or an expression: what arithmetic and '=' can be used with."""
    return isinstance(obj, sp.Expr) and not isinstance(obj, sp.Tuple | sp.MatrixBase)


# What SymPy raises when a well-formed string builds a meaningless object (pi/(1, 2), |(1, y)|,
# (1, 2) < 3): the answer is unreadable, not the checker broken.


_MEANINGLESS = (
    OverflowError,
    TypeError,
    AttributeError,
    ValueError,
    IndexError,
    KeyError,
    NotImplementedError,
    sp.SympifyError,
)


def read_safely(text: str, *, answer_type: str | None = None, units: str | None = None) -> Read:
    try:
        return read(text, answer_type=answer_type, units=units)
    except ReadError:
        raise
    except _MEANINGLESS as exc:
        raise ReadError(
            "I couldn't make sense of that as maths: check that lists, sets and brackets are used "
            "the usual way."
        ) from exc


def _typed_display(text: str) -> str:
    from .reading import display_latex

    try:
        typed, _ = parse_plain(_absolute_bars(text.replace("^", "**")), evaluate=False)
    except (ReadError, TypeError, ValueError, AttributeError):
        return ""
    return display_latex(typed)


def _number_text(raw: str) -> str | None:
    match = re.search(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", raw)
    return match.group() if match else None


def _split_top(text: str, sep: str = ",") -> list[str]:
    parts, depth, start = [], 0, 0
    for index, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _parse_structure(text: str, answer_type: str | None) -> tuple[Any, bool]:
    if _is_latex(text):
        value, inexact = parse_latex(text)
        if isinstance(value, sp.Tuple) and answer_type == "interval" and len(value) == 2:
            return sp.Interval.open(value[0], value[1]), inexact
        if isinstance(value, sp.Interval) and answer_type == "tuple":
            return sp.Tuple(value.start, value.end), inexact
        return value, inexact
    text = _absolute_bars(text.replace("^", "**"))
    inexact = False
    # Matrices [[1, 2], [3, 4]]
    if text.startswith("[[") and text.endswith("]]"):
        rows = [_split_top(row.strip().strip("[]")) for row in _split_top(text[1:-1])]
        if len({len(r) for r in rows}) != 1:
            raise ReadError("Every row of a matrix needs the same number of entries.")
        entries = []
        for row in rows:
            built = []
            for cell in row:
                value, cell_inexact = parse_plain(cell)
                inexact |= cell_inexact
                built.append(value)
            entries.append(built)
        return sp.Matrix(entries), inexact
    # a ± b typed as text: both values (inside a set, both elements).
    if "±" in text:
        if text.startswith("{") and text.endswith("}"):
            elements: list[Any] = []
            for part in _split_top(text[1:-1].strip()):
                value, part_inexact = _parse_structure(part, None)
                inexact |= part_inexact
                if isinstance(value, sp.Equality) and isinstance(value.rhs, sp.FiniteSet):
                    value = value.rhs
                elements.extend(value if isinstance(value, sp.FiniteSet) else [value])
            return sp.FiniteSet(*elements), inexact
        (plus, plus_inexact), (minus, minus_inexact) = (
            _parse_structure(text.replace("±", "+"), None),
            _parse_structure(text.replace("±", "-"), None),
        )
        if isinstance(plus, sp.Equality) and isinstance(minus, sp.Equality) and plus.lhs == minus.lhs:
            return sp.Eq(plus.lhs, sp.FiniteSet(plus.rhs, minus.rhs), evaluate=False), plus_inexact
        if not (_is_value(plus) and _is_value(minus)):
            raise ReadError("I can only read ± in front of a value, like x = 3 ± 2.")
        return sp.FiniteSet(plus, minus), plus_inexact or minus_inexact
    # Unions of intervals typed as text: (-oo, 1) U (2, oo).
    pieces = [piece for piece in _UNION.split(text) if piece.strip()]
    if len(pieces) > 1:
        sets = [_parse_structure(piece.strip(), "interval") for piece in pieces]
        if not all(isinstance(value, sp.Set) for value, _ in sets):
            raise ReadError("Only sets and intervals can be joined with U.")
        return sp.Union(*[value for value, _ in sets]), any(i for _, i in sets)
    # Sets {1, 2}
    if text.startswith("{") and text.endswith("}"):
        inner = text[1:-1].strip()
        elements = []
        for part in _split_top(inner) if inner else []:
            value, part_inexact = _parse_structure(part, None)
            inexact |= part_inexact
            elements.append(value)
        return sp.FiniteSet(*elements), inexact
    # Intervals [a, b), (a, b], and (a, b) when an interval is expected or an end is infinite.
    interval = re.match(r"^([\[(])(.*)([\])])$", text, re.DOTALL)
    if (
        interval
        and len(_split_top(interval.group(2))) == 2
        and text.count("(") + text.count("[") == text.count(")") + text.count("]")
    ):
        left, right = _split_top(interval.group(2))
        (a, a_inexact), (b, b_inexact) = parse_plain(left), parse_plain(right)
        inexact = a_inexact or b_inexact
        left_open, right_open = interval.group(1) == "(", interval.group(3) == ")"
        infinite = a.is_infinite or b.is_infinite
        if not (left_open and right_open) or answer_type == "interval" or infinite:
            if answer_type == "tuple" and left_open and right_open:
                return sp.Tuple(a, b), inexact
            return sp.Interval(a, b, left_open, right_open), inexact
        return sp.Tuple(a, b), inexact
    # Relations: equations and inequalities (chains allowed).
    pieces = re.split(r"(<=|>=|!=|<|>|=)", text)
    if len(pieces) > 1:
        sides = [_parse_structure(piece, None) for piece in pieces[::2]]
        if len(sides) > 2 and not all(_is_value(side) for side, _ in sides):
            raise ReadError("A chain like a < b < c can only compare numbers and expressions.")
        inexact = any(i for _, i in sides)
        ops = pieces[1::2]
        relations = []
        for (left, _), op, (right, _) in zip(sides, ops, sides[1:], strict=False):
            if op != "=" and not (_is_value(left) and _is_value(right)):
                raise ReadError(f"'{op}' can only compare numbers and expressions.")
            relations.append(
                {"=": sp.Eq, "!=": sp.Ne, "<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge}[op](
                    left, right, evaluate=False
                )
            )
        return (relations[0] if len(relations) == 1 else sp.And(*relations)), inexact
    if len(_split_top(text)) > 1:
        items = [parse_plain(part) for part in _split_top(text)]
        return sp.Tuple(*[v for v, _ in items]), any(i for _, i in items)
    return parse_plain(text)


def _absolute_bars(text: str) -> str:
    """|x - 1| -> abs(x - 1). Bars alternate open/close, which reads every school answer right."""
    if "|" not in text:
        return text
    if text.count("|") % 2:
        raise ReadError("The | bars don't pair up: write |x| with a bar on each side.")
    pieces = text.split("|")
    out = [pieces[0]]
    for index, piece in enumerate(pieces[1:]):
        out.append("abs(" if index % 2 == 0 else ")")
        out.append(piece)
    return "".join(out)


def _kind(obj: Any, answer_type: str | None) -> str:
    if isinstance(obj, sp.MatrixBase):
        return "matrix"
    if isinstance(obj, sp.Equality):
        return "equation"
    if isinstance(obj, sp.Rel | sp.And | sp.Or):
        return "relation"
    if isinstance(obj, sp.Interval):
        return "interval"
    if isinstance(obj, sp.Set):
        return "set"
    if isinstance(obj, sp.Tuple | tuple | list):
        return "tuple"
    if isinstance(obj, sp.Basic) and not obj.free_symbols:
        return "number"
    return "expr"


# --- comparing ------------------------------------------------------------------------------------
