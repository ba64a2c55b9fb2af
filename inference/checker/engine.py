"""Reading and comparing answers. Runs only inside the sandboxed checker process.

`run(job)` is the single entry point the sandbox calls; it returns plain data only.
"""

from __future__ import annotations

import random
import re
import time
from typing import Any

import sympy as sp

from . import units as unitlib
from .extract import MAX_TEXT as MAX_MODEL_TEXT
from .extract import extract, math_verify_latex
from .reading import MAX_INPUT_CHARS, Read, ReadError, parse_latex, parse_plain
from .verdicts import Status, crashed, verdict

DEFAULT_RELATIVE_TOLERANCE = 1e-3
ABSOLUTE_FLOOR = 1e-9
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
_PERCENT = re.compile(r"\s*(\\%|%|\\text\{\s*%\s*\}|\s+percent)\s*$", re.IGNORECASE)
_DEGREES = re.compile(r"\s*(\^\s*\{?\s*\\circ\s*\}?|°|\\degree|\s+degrees?)\s*$", re.IGNORECASE)
_RADIANS = re.compile(
    r"\s*(\\(?:text|mathrm|textrm|rm)\s*\{\s*rad(?:ians?)?\s*\}|\s+rad(?:ians?)?)\s*$", re.IGNORECASE
)
_OR = re.compile(r"\s+(?:or|\\text\{\s*or\s*\}|\\lor|\\vee)\s+|\s*\\text\{\s*or\s*\}\s*", re.IGNORECASE)
_AND = re.compile(
    r"\s+(?:and|\\text\{\s*and\s*\}|\\land|\\wedge)\s+|\s*\\text\{\s*and\s*\}\s*", re.IGNORECASE
)
_UNION = re.compile(r"\s+U\s+|(?<=[)\]])\s*U\s*(?=[(\[])|\s*∪\s*")
_THOUSANDS = re.compile(r"^-?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?(?=$|\s*[A-Za-z\\])")
_SIMPLE_EQ = re.compile(r"^\s*([A-Za-z](?:_\{?\w+\}?)?)\s*=\s*([^=<>]+)$")


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


def _unicode(text: str) -> str:
    from .reading import _UNICODE

    for old, new in _UNICODE.items():
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

    # "6 and 8" lists answers (a set); "x > 1 and x < 3" is one range.
    parts = _AND.split(text)
    if len(parts) > 1:
        items = [read(part, answer_type=None).obj for part in parts]
        if all(isinstance(item, sp.Basic) and _is_relation(item) for item in items):
            return Read(kind="relation", obj=sp.And(*items, evaluate=False), raw=raw)
        if any(not isinstance(item, sp.Basic) or _is_relation(item) for item in items):
            raise ReadError("Joining an inequality with something else by 'and' doesn't make a set.")
        if all(isinstance(item, sp.Equality) for item in items):
            return Read(kind="alternatives", obj=items, raw=raw)
        return Read(kind="set", obj=sp.FiniteSet(*items), raw=raw)

    # Several alternatives: "x = 2 or x = -2", "5 or 6"; "x < -3 or x > 1" is one union.
    parts = _OR.split(text)
    if len(parts) > 1:
        items = [read(part, answer_type=None).obj for part in parts]
        if any(_is_relation(item) for item in items):
            if not all(isinstance(item, sp.Basic) and _is_relation(item) for item in items):
                raise ReadError("Joining an inequality with something else by 'or' doesn't make a set.")
            return Read(kind="relation", obj=sp.Or(*items, evaluate=False), raw=raw)
        return Read(kind="alternatives", obj=items, raw=raw)

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
    if (percent or degrees) and not result.display:
        from .reading import display_latex

        result.display = display_latex(obj)
    if percent:
        result.obj = result.obj / 100
    if degrees:
        result.obj = result.obj * sp.pi / 180
    return result


def _is_relation(obj: Any) -> bool:
    """An inequality (or a chain of them), not an equation."""
    return isinstance(obj, sp.And | sp.Or) or (isinstance(obj, sp.Rel) and not isinstance(obj, sp.Equality))


def _is_value(obj: Any) -> bool:
    """A number or an expression: what arithmetic and '=' can be used with."""
    return isinstance(obj, sp.Expr) and not isinstance(obj, sp.Tuple | sp.MatrixBase)


# What SymPy raises when a well-formed string builds a meaningless object (pi/(1, 2), |(1, y)|,
# (1, 2) < 3): the answer is unreadable, not the checker broken.
_MEANINGLESS = (
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
            elements = []
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


def _num(value: Any) -> complex:
    return complex(sp.N(value, 30))


def numbers_equal(gold: Any, answer: Any, *, exact: bool, tolerance: float, absolute: bool = False) -> bool:
    if getattr(gold, "is_infinite", False) or getattr(answer, "is_infinite", False):
        return bool(gold == answer)
    if exact:
        difference = sp.N(gold - answer, 60)
        scale = max(abs(_num(gold)), abs(_num(answer)), 1.0)
        return abs(complex(difference)) <= 1e-40 * scale
    g, a = _num(gold), _num(answer)
    if absolute:
        return abs(g - a) <= tolerance + ABSOLUTE_FLOOR
    if g == 0:
        # A relative tolerance of zero is zero: near 0 only an absolute floor makes sense. It
        # applies to a key of exactly 0 only, so 6.6e-34 vs 6.7e-34 still differ.
        return abs(a) <= ABSOLUTE_FLOOR
    # Relative to the key, as a teacher states it ("within 5 % of 100" is 95..105).
    return abs(g - a) <= tolerance * abs(g) * (1 + 1e-12)


def significant_figures(text: str) -> int | None:
    match = re.search(r"[-+]?(\d*\.?\d*)(?:[eE][-+]?\d+)?", text.replace(",", ""))
    if not match or not re.search(r"\d", match.group(1)):
        return None
    mantissa = match.group(1)
    if "." in mantissa:
        digits = mantissa.replace(".", "").lstrip("0")
        return len(digits) if digits else 1
    stripped = mantissa.lstrip("0")
    return len(stripped.rstrip("0")) or 1


def decimal_places(text: str) -> int | None:
    match = re.search(r"\d+(?:\.(\d*))?", text)
    if not match:
        return None
    return len(match.group(1) or "")


def _round_sig(value: float, figures: int) -> float:
    if value == 0:
        return 0.0
    return round(value, figures - 1 - int(sp.floor(sp.log(abs(value), 10))))


def compare_numbers(gold: Read, answer: Read, options: dict[str, Any]) -> dict[str, Any]:
    tolerance = options.get("tolerance")
    absolute = options.get("tolerance_mode") == "absolute"
    tol = float(tolerance) if tolerance is not None else DEFAULT_RELATIVE_TOLERANCE
    exact = not gold.inexact and not answer.inexact and tolerance is None
    interpreted = answer.latex()
    sig_figs, places = options.get("sig_figs"), options.get("decimal_places")
    if sig_figs or places is not None:
        value = _num(answer.obj).real
        target = _num(gold.obj).real
        if sig_figs:
            given = significant_figures(answer.raw)
            rounded = _round_sig(target, int(sig_figs))
            step = (
                10 ** (int(sp.floor(sp.log(abs(rounded), 10))) - int(sig_figs) + 1)
                if rounded
                else 10 ** -int(sig_figs)
            )
            close = abs(value - rounded) <= step / 2 * 1.0001 or numbers_equal(
                rounded, value, exact=False, tolerance=1e-9
            )
            if not close:
                return verdict(False, Status.INCORRECT, "number", "That value isn't right.", interpreted)
            if given != int(sig_figs):
                return verdict(
                    False,
                    Status.WRONG_PRECISION,
                    "number",
                    f"The value is right, but it is given to {given} significant figures and {sig_figs} were asked.",
                    interpreted,
                )
            return verdict(
                True, Status.CORRECT, "number", f"Correct, to {sig_figs} significant figures.", interpreted
            )
        given_places = decimal_places(answer.raw)
        rounded = round(target, int(places))
        if abs(value - rounded) > 0.5 * 10 ** -int(places) * 1.0001:
            return verdict(False, Status.INCORRECT, "number", "That value isn't right.", interpreted)
        if given_places != int(places):
            return verdict(
                False,
                Status.WRONG_PRECISION,
                "number",
                f"The value is right, but it has {given_places} decimal places and {places} were asked.",
                interpreted,
            )
        return verdict(True, Status.CORRECT, "number", f"Correct, to {places} decimal places.", interpreted)
    if numbers_equal(gold.obj, answer.obj, exact=exact, tolerance=tol, absolute=absolute):
        if exact or (
            not gold.inexact
            and answer.inexact
            and numbers_equal(gold.obj, answer.obj, exact=False, tolerance=1e-12)
        ):
            return verdict(True, Status.CORRECT, "number", "Correct.", interpreted)
        return verdict(True, Status.CORRECT, "number", "Correct (within the allowed rounding).", interpreted)
    reason = "That value isn't right."
    if (
        gold.percent
        and not answer.percent
        and numbers_equal(gold.obj * 100, answer.obj, exact=False, tolerance=tol)
    ):
        reason = "That's the number of percent: add the % sign, or write it as a decimal."
    elif exact and numbers_equal(gold.obj, answer.obj, exact=False, tolerance=tol):
        reason = "Close, but an exact answer was expected: keep fractions and roots exact."
    return verdict(False, Status.INCORRECT, "number", reason, interpreted)


def _random_points(symbols: list[sp.Symbol], count: int) -> list[dict[sp.Symbol, float]]:
    rng = random.Random(20261122)  # noqa: S311 - sampling, not security
    points = []
    for _ in range(count):
        point = {}
        for symbol in symbols:
            value = rng.uniform(0.3, 2.7) * rng.choice([-1, 1])
            point[symbol] = round(value, 6)
        points.append(point)
    return points


def _finite_complex(value: Any) -> complex | None:
    """The value as a finite complex number, or None (undefined there, infinite, or not a number)."""
    try:
        z = complex(sp.N(value, 20))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if z != z or abs(z) == float("inf"):
        return None
    return z


def expressions_equal(gold: Any, answer: Any) -> tuple[bool, bool]:
    """(equal, numeric_only)."""
    difference = sp.simplify(gold - answer)
    if difference == 0:
        return True, False
    symbols = sorted(gold.free_symbols | answer.free_symbols, key=lambda s: s.name)
    checked = 0
    for point in _random_points(symbols, 12):
        g, a = _finite_complex(gold.subs(point)), _finite_complex(answer.subs(point))
        if g is None or a is None:
            continue
        checked += 1
        if abs(g - a) > 1e-9 * max(1.0, abs(g), abs(a)):
            return False, False
        if checked >= 6:
            break
    return checked >= 3, True


def compare_expressions(gold: Read, answer: Read) -> dict[str, Any]:
    interpreted = answer.latex()
    missing = gold.obj.free_symbols - answer.obj.free_symbols
    # Equality first: sin(x)^2 + cos(x)^2 has letters but equals the number 1.
    equal, numeric_only = expressions_equal(gold.obj, answer.obj)
    if equal:
        reason = "Correct (checked at many values of the variables)." if numeric_only else "Correct."
        return verdict(True, Status.CORRECT, "expression", reason, interpreted, numeric_only)
    if not answer.obj.free_symbols and gold.obj.free_symbols:
        return verdict(
            False,
            Status.INCORRECT,
            "expression",
            "An expression with letters was expected, not just a number.",
            interpreted,
        )
    reason = "That expression isn't equal to the right answer."
    if missing and not answer.obj.free_symbols - gold.obj.free_symbols:
        names = ", ".join(sorted(s.name for s in missing))
        reason = f"That expression isn't right: the answer should involve {names}."
    return verdict(False, Status.INCORRECT, "expression", reason, interpreted)


def _solution_set(relation: Any) -> tuple[Any, sp.Symbol] | None:
    symbols = sorted(relation.free_symbols, key=lambda s: s.name)
    if len(symbols) != 1:
        return None
    symbol = symbols[0]
    if isinstance(relation, sp.Equality):
        return sp.solveset(relation.lhs - relation.rhs, symbol, domain=sp.S.Reals), symbol
    return relation.as_set(), symbol


def _as_values(read_value: Read, symbol: sp.Symbol | None) -> Any:
    """An answer as a set of values of `symbol`: 'x=2 or x=-2', '{2, -2}', '2', 'x=2'."""
    items = read_value.obj if read_value.kind == "alternatives" else None
    if read_value.kind == "set" and isinstance(read_value.obj, sp.FiniteSet):
        items = list(read_value.obj)
    if read_value.kind in ("number",):
        items = [read_value.obj]
    if read_value.kind == "equation":
        items = [read_value.obj]
    if items is None:
        return None
    values = []
    for item in items:
        if isinstance(item, sp.Equality):
            # x = (-b + sqrt(b^2 - 4ac))/(2a) is a value of x in terms of the other letters.
            if (
                isinstance(item.lhs, sp.Symbol)
                and (symbol is None or item.lhs == symbol)
                and item.lhs not in item.rhs.free_symbols
            ):
                values.append(item.rhs)
            elif (
                isinstance(item.rhs, sp.Symbol)
                and (symbol is None or item.rhs == symbol)
                and item.rhs not in item.lhs.free_symbols
            ):
                values.append(item.lhs)
            else:
                return None
        elif isinstance(item, sp.Basic) and not item.free_symbols:
            values.append(item)
        else:
            return None
    return sp.FiniteSet(*values)


def sets_equal(gold: Any, answer: Any, tolerance: float) -> bool:
    if isinstance(gold, sp.FiniteSet) and isinstance(answer, sp.FiniteSet):
        left, right = list(gold), list(answer)
        if len(left) != len(right):
            return False
        unused = list(right)
        for g in left:
            match = next((a for a in unused if _values_equal(g, a, tolerance)), None)
            if match is None:
                return False
            unused.remove(match)
        return True
    if isinstance(gold, sp.Interval) and isinstance(answer, sp.Interval):
        return (
            gold.left_open == answer.left_open
            and gold.right_open == answer.right_open
            and _values_equal(gold.start, answer.start, tolerance)
            and _values_equal(gold.end, answer.end, tolerance)
        )
    try:
        return bool(sp.simplify(sp.Eq(gold, answer)) is sp.true) or gold == answer
    except (TypeError, ValueError):
        return False


def _as_pair(value: Any, other: Any) -> Any:
    """(1, 2) in LaTeX reads as an open interval; next to a point it is the point (1, 2)."""
    if (
        isinstance(value, sp.Interval)
        and isinstance(other, sp.Tuple)
        and value.left_open
        and value.right_open
    ):
        return sp.Tuple(value.start, value.end)
    return value


def _values_equal(g: Any, a: Any, tolerance: float) -> bool:
    g, a = _as_pair(g, a), _as_pair(a, g)
    if isinstance(g, sp.Tuple) or isinstance(a, sp.Tuple):
        # Points inside a set {(1, 2), (3, 4)}: coordinate by coordinate.
        return (
            isinstance(g, sp.Tuple)
            and isinstance(a, sp.Tuple)
            and len(g) == len(a)
            and all(_values_equal(x, y, tolerance) for x, y in zip(g, a, strict=True))
        )
    if isinstance(g, sp.Set) or isinstance(a, sp.Set):
        return isinstance(g, sp.Set) and isinstance(a, sp.Set) and sets_equal(g, a, tolerance)
    if isinstance(g, sp.Expr) != isinstance(a, sp.Expr):
        return False
    if isinstance(g, sp.Basic) and isinstance(a, sp.Basic) and not g.free_symbols and not a.free_symbols:
        if g.is_infinite or a.is_infinite:
            return g == a
        exact = not g.has(sp.Float) and not a.has(sp.Float)
        return numbers_equal(g, a, exact=exact, tolerance=tolerance)
    if isinstance(g, sp.Equality) and isinstance(a, sp.Equality):
        return g == a
    if isinstance(g, sp.Basic) and isinstance(a, sp.Basic):
        return expressions_equal(g, a)[0]
    return g == a


def compare(gold: Read, answer: Read, options: dict[str, Any]) -> dict[str, Any]:
    tol = float(options["tolerance"]) if options.get("tolerance") is not None else DEFAULT_RELATIVE_TOLERANCE
    interpreted = answer.latex()
    bare_ok = options.get("accept_bare_value", True)

    if gold.kind == "quantity":
        return unitlib.compare_quantities(gold, answer, options, compare_numbers)
    if answer.kind == "quantity":
        if gold.kind == "number":
            return verdict(
                False,
                Status.INCORRECT,
                "number",
                f"This answer has no units, but you wrote {answer.unit_text}.",
                interpreted,
            )
    if gold.kind == "alternatives":
        gold = Read(kind="set", obj=_as_values(gold, None) or sp.FiniteSet(*gold.obj), raw=gold.raw)

    if answer.kind == "alternatives" and gold.kind in ("number", "expr", "tuple", "matrix", "interval"):
        return verdict(
            False, Status.HEDGED, "number", "Give one answer, not a choice of answers.", interpreted
        )

    if gold.kind == "number":
        if answer.kind == "number" and gold.degrees and not answer.degrees and not answer.percent:
            return _compare_angle(gold, answer, options)
        if answer.kind == "number":
            return compare_numbers(gold, answer, options)
        if answer.kind == "equation" and bare_ok:
            values = _as_values(answer, None)
            if values is not None and len(values) == 1:
                inner = Read(kind="number", obj=next(iter(values)), raw=answer.raw, inexact=answer.inexact)
                return compare_numbers(gold, inner, options)
        if answer.kind == "expr":
            return verdict(
                False,
                Status.INCORRECT,
                "number",
                "A number was expected, but your answer has letters in it.",
                interpreted,
            )
        return verdict(
            False,
            Status.INCORRECT,
            "number",
            f"A single number was expected, not a {_kind_words(answer.kind)}.",
            interpreted,
        )

    if gold.kind == "expr":
        if answer.kind in ("expr", "number"):
            return compare_expressions(gold, answer)
        if answer.kind == "equation" and isinstance(answer.obj.lhs, sp.Symbol) and bare_ok:
            return compare_expressions(gold, Read(kind="expr", obj=answer.obj.rhs, raw=answer.raw))
        return verdict(
            False,
            Status.INCORRECT,
            "expression",
            f"An expression was expected, not a {_kind_words(answer.kind)}.",
            interpreted,
        )

    if gold.kind == "equation":
        solved = _solution_set(gold.obj)
        symbol = solved[1] if solved else None
        if answer.kind == "equation":
            if _equations_equal(gold.obj, answer.obj):
                return verdict(True, Status.CORRECT, "equation", "Correct.", interpreted)
        if answer.kind in ("equation", "alternatives", "set", "number") and solved is not None:
            if answer.kind in ("number", "set") and not bare_ok:
                return verdict(
                    False,
                    Status.INCORRECT,
                    "equation",
                    f"Write your answer as an equation, like {symbol} = ...",
                    interpreted,
                )
            values = _as_values(answer, symbol)
            if values is not None and sets_equal(solved[0], values, tol):
                return verdict(True, Status.CORRECT, "equation", "Correct: the same solutions.", interpreted)
            if values is not None and isinstance(solved[0], sp.FiniteSet) and values.is_subset(solved[0]):
                return verdict(
                    False,
                    Status.INCORRECT,
                    "equation",
                    "Those are solutions, but some are missing.",
                    interpreted,
                )
        return verdict(
            False, Status.INCORRECT, "equation", "That doesn't give the same solutions.", interpreted
        )

    if gold.kind == "relation":
        gold_set = _solution_set(gold.obj)
        answer_set = None
        if answer.kind == "relation":
            answer_set = _solution_set(answer.obj)
            answer_set = answer_set[0] if answer_set else None
        elif answer.kind in ("interval", "set"):
            answer_set = answer.obj
        if gold_set and answer_set is not None and sets_equal(gold_set[0], answer_set, tol):
            return verdict(True, Status.CORRECT, "interval", "Correct.", interpreted)
        return verdict(False, Status.INCORRECT, "interval", "That isn't the same set of values.", interpreted)

    if gold.kind in ("set", "interval"):
        target = answer.obj
        if answer.kind == "relation":
            solved = _solution_set(answer.obj)
            target = solved[0] if solved else None
        elif answer.kind == "alternatives":
            target = _as_values(answer, None)
        elif answer.kind == "tuple":
            return verdict(
                False,
                Status.INCORRECT,
                gold.kind,
                "Order doesn't matter here: write a set with { } or an interval.",
                interpreted,
            )
        elif answer.kind == "number" and gold.kind == "set" and bare_ok:
            target = sp.FiniteSet(answer.obj)
        if target is not None and isinstance(target, sp.Set) and sets_equal(gold.obj, target, tol):
            return verdict(True, Status.CORRECT, gold.kind, "Correct.", interpreted)
        if gold.kind == "interval" and isinstance(target, sp.Interval):
            same_ends = _values_equal(gold.obj.start, target.start, tol) and _values_equal(
                gold.obj.end, target.end, tol
            )
            if same_ends:
                return verdict(
                    False,
                    Status.INCORRECT,
                    "interval",
                    "The end points are right, but check the brackets: ( ) leaves an end out, [ ] includes it.",
                    interpreted,
                )
        return verdict(False, Status.INCORRECT, gold.kind, "That isn't the same set of values.", interpreted)

    if gold.kind == "assignments":
        expected = {eq.lhs: eq.rhs for eq in gold.obj}
        given = {eq.lhs: eq.rhs for eq in answer.obj} if answer.kind == "assignments" else {}
        if answer.kind == "tuple" and len(answer.obj) == len(expected):
            given = dict(zip(sorted(expected, key=lambda s: s.name), answer.obj, strict=True))
        if set(given) == set(expected) and all(_values_equal(expected[k], given[k], tol) for k in expected):
            return verdict(True, Status.CORRECT, "equation", "Correct.", interpreted)
        return verdict(
            False, Status.INCORRECT, "equation", "Not every unknown has the right value.", interpreted
        )

    if gold.kind == "tuple":
        if answer.kind == "assignments" and len(answer.obj) == len(gold.obj):
            # "x = 1, y = 2" for the point (1, 2): coordinates in alphabetical order of the letters.
            ordered = sorted(answer.obj, key=lambda eq: str(eq.lhs))
            answer = Read(kind="tuple", obj=sp.Tuple(*[eq.rhs for eq in ordered]), raw=answer.raw)
        if answer.kind != "tuple" or len(answer.obj) != len(gold.obj):
            return verdict(
                False,
                Status.INCORRECT,
                "tuple",
                f"An ordered list of {len(gold.obj)} values was expected.",
                interpreted,
            )
        if all(_values_equal(g, a, tol) for g, a in zip(gold.obj, answer.obj, strict=True)):
            return verdict(True, Status.CORRECT, "tuple", "Correct.", interpreted)
        return verdict(
            False,
            Status.INCORRECT,
            "tuple",
            "Not all of the values are right (order matters here).",
            interpreted,
        )

    if gold.kind == "matrix":
        if answer.kind != "matrix":
            return verdict(False, Status.INCORRECT, "matrix", "A matrix was expected.", interpreted)
        if gold.obj.shape != answer.obj.shape:
            rows, cols = gold.obj.shape
            return verdict(
                False,
                Status.INCORRECT,
                "matrix",
                f"The matrix should have {rows} row(s) and {cols} column(s).",
                interpreted,
            )
        if all(_values_equal(g, a, tol) for g, a in zip(gold.obj, answer.obj, strict=True)):
            return verdict(True, Status.CORRECT, "matrix", "Correct.", interpreted)
        return verdict(
            False, Status.INCORRECT, "matrix", "The shape is right, but some entries are wrong.", interpreted
        )

    return verdict(False, Status.INCORRECT, gold.kind, "That isn't the right answer.", interpreted)


def _compare_angle(gold: Read, answer: Read, options: dict[str, Any]) -> dict[str, Any]:
    """The key is in degrees and the answer has no unit: 90 is read as degrees, 1.5708 as radians."""
    as_radians = compare_numbers(gold, answer, options)
    if as_radians["equivalent"]:
        as_radians["reason"] = "Correct (read as radians)."
        return as_radians
    in_degrees = Read(
        kind="number", obj=answer.obj * sp.pi / 180, raw=answer.raw, inexact=answer.inexact, degrees=True
    )
    as_degrees = compare_numbers(gold, in_degrees, options)
    as_degrees["interpreted_as"] = in_degrees.latex() if not answer.display else answer.display + r"^\circ"
    if as_degrees["equivalent"]:
        as_degrees["reason"] = "Correct (read as degrees)."
    return as_degrees


def _equations_equal(gold: sp.Equality, answer: sp.Equality) -> bool:
    g, a = gold.lhs - gold.rhs, answer.lhs - answer.rhs
    if g.free_symbols != a.free_symbols:
        return False
    ratio = sp.simplify(g / a)
    return bool(ratio.is_number and ratio != 0 and ratio.is_finite)


def _kind_words(kind: str) -> str:
    return {
        "expr": "expression with letters",
        "equation": "equation",
        "alternatives": "choice of answers",
        "set": "set",
        "interval": "interval",
        "tuple": "list of values",
        "matrix": "matrix",
        "relation": "inequality",
        "quantity": "value with units",
        "number": "number",
    }.get(kind, kind)


# --- jobs -----------------------------------------------------------------------------------------


def check(
    gold: str,
    answer: str,
    answer_type: str | None,
    tolerance: float | None,
    units: str | None,
    options: dict[str, Any],
) -> dict[str, Any]:
    options = dict(options or {})
    if tolerance is not None:
        options["tolerance"] = tolerance
    if answer_type == "choice" or answer_type == "text":
        same = _normalise_text(gold) == _normalise_text(extract(answer).get("answer") or answer)
        return verdict(
            same,
            Status.CORRECT if same else Status.INCORRECT,
            "text",
            "Correct." if same else "That isn't the right choice.",
            answer,
        )
    if len(answer) > MAX_MODEL_TEXT or len(gold) > MAX_MODEL_TEXT:
        return verdict(False, Status.UNPARSEABLE, "none", "That answer is far too long to check.", "")
    gold_text = _answer_text(gold)
    try:
        gold_read = read_safely(gold_text, answer_type=answer_type, units=units)
    except ReadError as exc:
        return verdict(False, Status.BAD_KEY, "none", f"The answer key could not be read: {exc}", "")
    model_output = bool(options.pop("model_output", False))
    if model_output or _looks_like_prose(answer):
        answer_extract = extract(answer)
    else:
        answer_extract = {"answer": answer, "status": "ok"}
    if answer_extract.get("hedged_answer") and gold_read.kind in _SOLUTION_LIST_KINDS:
        # The key is a list of solutions, so "2 or -2" in one box lists them rather than guesses.
        answer_extract = {"answer": answer_extract["hedged_answer"], "status": "ok"}
    joined = answer_extract.get("joined")
    if joined and gold_read.kind in (*_SOLUTION_LIST_KINDS, "tuple"):
        # Several boxes side by side answer a list key: read them as the list.
        text = " and ".join(f"{{{part}}}" if "," in part and "(" not in part else part for part in joined)
        if gold_read.kind == "tuple":
            text = "(" + ", ".join(joined) + ")"
        answer_extract = {"answer": text, "status": "ok"}
    if answer_extract["status"] in ("none", Status.HEDGED) or not answer_extract.get("answer"):
        status = Status.HEDGED if answer_extract["status"] == Status.HEDGED else Status.NO_ANSWER
        reason = (
            "Give one answer, not a choice of answers."
            if status == Status.HEDGED
            else "I couldn't find a final answer."
        )
        return verdict(False, status, "none", reason, "")
    if units and gold_read.kind == "number":
        split = unitlib.parse_unit(units)
        if split is not None:
            gold_read.kind, gold_read.unit, gold_read.unit_text = "quantity", split, units
    expect_units = gold_read.kind == "quantity"
    if gold_read.kind in ("number", "quantity") and _THOUSANDS.match(answer_extract["answer"].strip()):
        # "1,000" is a number with a thousands separator here, not the pair (1, 0).
        answer_extract = {**answer_extract, "answer": answer_extract["answer"].replace(",", "")}
    try:
        answer_read = read_safely(
            answer_extract["answer"], answer_type="quantity" if expect_units else answer_type, units=units
        )
    except ReadError as exc:
        return verdict(False, Status.UNPARSEABLE, "none", str(exc), "")
    return compare(gold_read, answer_read, options)


_SOLUTION_LIST_KINDS = ("equation", "set", "alternatives", "relation")


def extract_job(text: str) -> dict[str, Any]:
    found = extract(text)
    latex = ""
    if found.get("answer"):
        try:
            latex = read(found["answer"]).latex()
        except ReadError:
            if len(found["answer"]) <= MAX_INPUT_CHARS:
                latex = math_verify_latex(found["answer"])
    return {**found, "latex": latex}


def _normalise_text(text: str) -> str:
    return re.sub(r"\s+", " ", strip_wrappers(text)).strip().lower()


def _looks_like_prose(text: str) -> bool:
    if "\\boxed" in text or "\\fbox" in text:
        return True
    stripped = text.strip()
    if re.fullmatch(r"\$.*\$|\\\(.*\\\)|\\\[.*\\\]", stripped, re.DOTALL):
        return False
    return (
        bool(re.search(r"\b[A-Za-z]{3,}\s+[A-Za-z]{2,}", re.sub(r"\\[A-Za-z]+|\$[^$]*\$", " ", stripped)))
        or "$" in stripped
    )


def _answer_text(text: str) -> str:
    if _looks_like_prose(text):
        found = extract(text)
        if found.get("answer"):
            return found["answer"]
    return text


def preview(answer: str, answer_type: str | None, units: str | None) -> dict[str, Any]:
    try:
        value = read(answer, answer_type=answer_type, units=units)
    except ReadError as exc:
        return {"ok": False, "latex": "", "message": str(exc)}
    message = "Your answer was read as shown."
    if value.kind == "quantity":
        message = f"Read as a value with units ({value.unit_text})."
    elif (answer_type == "quantity" or units) and value.kind == "number":
        message = "Read as a number with no units: add units."
    return {"ok": True, "latex": value.latex(), "message": message, "kind": value.kind}


def substitute(problem: str, answer: str) -> dict[str, Any]:
    """Check a claimed answer by putting it back into the problem's equation(s)."""
    equations = []
    for segment in re.findall(r"\$\$(.+?)\$\$|\$(.+?)\$|\\\((.+?)\\\)", problem, re.DOTALL):
        text = next(s for s in segment if s)
        if text.count("=") == 1 and not re.search(r"[<>]|\\[lg]eq?|\\neq", text):
            try:
                value, _ = parse_latex(text)
            except ReadError:
                continue
            if isinstance(value, sp.Equality) and value.free_symbols:
                equations.append(value)
    found = extract(answer) if _looks_like_prose(answer) else {"answer": answer, "status": "ok"}
    if not found.get("answer"):
        return verdict(False, Status.NO_ANSWER, "substitution", "I couldn't find a final answer.", "")
    if not equations:
        return verdict(
            False,
            Status.NOT_VERIFIED,
            "substitution",
            "There is no answer key and no equation to check the answer against.",
            "",
        )
    try:
        claim = read(found["answer"])
    except ReadError as exc:
        return verdict(False, Status.UNPARSEABLE, "substitution", str(exc), "")
    symbols = sorted(set().union(*(eq.free_symbols for eq in equations)), key=lambda s: s.name)
    assignments: list[dict[sp.Symbol, Any]] = []
    if len(symbols) == 1:
        values = _as_values(claim, symbols[0])
        if values is None or not isinstance(values, sp.FiniteSet):
            return verdict(
                False,
                Status.NOT_VERIFIED,
                "substitution",
                "The answer isn't a value I can put back into the equation.",
                claim.latex(),
            )
        assignments = [{symbols[0]: v} for v in values]
    else:
        items = claim.obj if claim.kind in ("alternatives", "tuple", "assignments") else [claim.obj]
        mapping = {}
        for item in items:
            if isinstance(item, sp.Equality) and isinstance(item.lhs, sp.Symbol):
                mapping[item.lhs] = item.rhs
        if claim.kind == "tuple" and not mapping and len(claim.obj) == len(symbols):
            mapping = dict(zip(symbols, claim.obj, strict=True))
        if set(mapping) != set(symbols):
            return verdict(
                False,
                Status.NOT_VERIFIED,
                "substitution",
                "Give a value for every unknown to check the answer.",
                claim.latex(),
            )
        assignments = [mapping]
    for assignment in assignments:
        for equation in equations:
            difference = sp.N((equation.lhs - equation.rhs).subs(assignment), 30)
            if not difference.is_number or abs(complex(difference)) > 1e-9:
                return verdict(
                    False,
                    Status.INCORRECT,
                    "substitution",
                    "Putting the answer back into the equation doesn't make both sides equal.",
                    claim.latex(),
                )
    return verdict(
        True,
        Status.VERIFIED_BY_SUBSTITUTION,
        "substitution",
        "Checked by putting the answer back into the problem.",
        claim.latex(),
    )


def run(job: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    kind = job["kind"]
    try:
        if kind == "check":
            result = check(
                job["gold"],
                job["answer"],
                job.get("answer_type"),
                job.get("tolerance"),
                job.get("units"),
                job.get("options") or {},
            )
        elif kind == "preview":
            result = preview(job["answer"], job.get("answer_type"), job.get("units"))
        elif kind == "extract":
            result = extract_job(job["text"])
        elif kind == "substitute":
            result = substitute(job["problem"], job["answer"])
        elif kind == "ping":
            result = {"pong": True}
        elif kind == "crash":
            # Only the tests send this: a bug inside a job, to prove it comes back as `error`.
            raise RuntimeError("a deliberate crash")
        elif kind == "spin":
            # Only the pool's own tests send this: a job that never finishes, to prove the kill.
            while True:
                pass
        else:
            raise ValueError(f"unknown job {kind!r}")
    except ReadError as exc:
        result = verdict(False, Status.UNPARSEABLE, "none", str(exc), "")
    except (RecursionError, MemoryError):
        result = verdict(False, Status.UNPARSEABLE, "none", "That answer is too complicated to check.", "")
    except Exception as exc:  # noqa: BLE001 - a bug of ours: reported as one, never as a timeout
        result = crashed(exc)
    result["ms"] = round((time.perf_counter() - started) * 1000, 2)
    return result
