"""Randomised problems: sample a template's variables and work out each variant's answer key.

Runs only inside the checker's sandboxed child (the "variants" job), like every other reading of
maths. Nothing here calls `eval`: an expression is tokenised and given explicit multiplication by
the checker's own reader (reading.py), parsed by `ast` in "eval" mode, and walked over an
allow-list (numbers, the template's variables, pi and e, + - * / ^ and a few functions).

Values are exact fractions. A whole-number power is worked out exactly only while the result stays
under MAX_BITS bits; anything irrational (sqrt 2, sin 1) is worked out in floats and rounded to
SIGNIFICANT digits *before* it is stored, so the number a student reads in the statement is the
number the key was computed from. Every input is bounded: range sizes, list lengths, expression
length and nodes, the number of variables and constraints, and the tries of the rejection sampling.

The answer key of a variant is the answer template with the values put in, read by the checker
(structure.read, as for any key), then printed back the way a student would type it
(`-5/2 + sqrt(13)/2`, `24.5 m`, `[[5, 4], [1, 2]]`).

Over 400 lines on purpose: the bounded evaluator, the sampler and the key printer share the
limits above; split up, a limit could be checked in one place and forgotten in another.
"""

from __future__ import annotations

import ast
import functools
import math
import random
import re
from fractions import Fraction
from typing import Any

MAX_VARIABLES = 30
MAX_CONSTRAINTS = 20
MAX_LIST = 200
MAX_EXPR_CHARS = 300
MAX_NODES = 200
# Range ends: no template needs a variable beyond a billion, and huge ends make huge keys.
MAX_MAGNITUDE = 10**9
MAX_RANGE_VALUES = 10**7
MAX_BITS = 2000
MAX_EXPONENT = 1000
MAX_TRIES = 1000
MAX_SEEDS = 2000
MAX_MISTAKES = 10
SIGNIFICANT = 10
MAX_DECIMALS = 10

Number = Fraction | float


class TemplateError(ValueError):
    """A template that can't be used; `field` and `name` say where (variables/a, constraints/2)."""

    def __init__(self, message: str, *, field: str = "variables", name: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.name = name


class Rejected(Exception):
    """This sample doesn't work (a constraint fails, sqrt of a negative, a division by zero)."""


# --- expressions -------------------------------------------------------------------------------

_BRACED = re.compile(r"\{(\w+)\}")
_WORD = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_COMPARISON = re.compile(r"<=|>=|!=|==|=|<|>|≤|≥|≠")


def _literal(value: Fraction) -> str:
    """A value as text the reader reads back exactly: (3), (-7/2), (0.25)."""
    return f"({value.numerator}/{value.denominator})" if value.denominator != 1 else f"({value.numerator})"


def _put_values(text: str, values: dict[str, Fraction], *, bare_names: bool) -> str:
    """Replace {a} (and, in variable expressions and constraints, a bare a) by its value."""

    def braced(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            if not bare_names:
                return match.group()  # a key in LaTeX: \frac{1}{2} keeps its braces
            raise TemplateError(f"{{{name}}} isn't a variable defined before this point.", name=name)
        return _literal(values[name])

    text = _BRACED.sub(braced, text)
    if bare_names:
        text = _WORD.sub(lambda m: _literal(values[m.group()]) if m.group() in values else m.group(), text)
    return text


def _parse(text: str) -> tuple[ast.Expression, str]:
    from .reading import ReadError, _tokens, _with_explicit_multiplication

    if len(text) > MAX_EXPR_CHARS * 8:  # values put in make a text longer than the teacher wrote
        raise TemplateError("That expression is too long.")
    if "_" in re.sub(r"[A-Za-z]\w*", "", text) or "__" in text or "." in re.sub(r"\d\.|\.\d", "", text):
        # No attribute access and no dunder names, whatever the tokeniser would make of them.
        raise TemplateError("Only numbers, variables and maths symbols are allowed.")
    try:
        source = _with_explicit_multiplication(_tokens(text.replace("^", "**")))
        tree = ast.parse(source, mode="eval")
    except ReadError as exc:
        raise TemplateError(str(exc)) from exc
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        raise TemplateError(
            "I couldn't read that expression; check for a missing number or operator."
        ) from exc
    return tree, source


def _exact_sqrt(value: Fraction) -> Fraction | None:
    if value < 0:
        return None
    top, bottom = math.isqrt(value.numerator), math.isqrt(value.denominator)
    if top * top == value.numerator and bottom * bottom == value.denominator:
        return Fraction(top, bottom)
    return None


def _checked(value: Number) -> Number:
    if isinstance(value, Fraction):
        if value.numerator.bit_length() > MAX_BITS or value.denominator.bit_length() > MAX_BITS:
            raise TemplateError("A value in this template grows too large to work out.")
        return value
    if not math.isfinite(value):
        raise Rejected("a value is too large or not a number")
    return value


def _float(value: Number) -> float:
    try:
        return float(value)
    except OverflowError as exc:
        raise Rejected("a value is too large") from exc


def _power(base: Number, exponent: Number) -> Number:
    if isinstance(exponent, Fraction) and exponent.denominator == 1:
        e = exponent.numerator
        if abs(e) > MAX_EXPONENT:
            raise TemplateError(f"Powers above {MAX_EXPONENT} aren't allowed in templates.")
        if isinstance(base, Fraction):
            if base == 0 and e < 0:
                raise Rejected("0 to a negative power")
            size = max(base.numerator.bit_length(), base.denominator.bit_length()) * abs(e)
            if size > MAX_BITS:
                raise TemplateError(
                    "A power in this template grows too large to work out (a tower of powers?)."
                )
            return base**e
    if isinstance(exponent, Fraction) and exponent.denominator == 2 and isinstance(base, Fraction):
        root = _exact_sqrt(base)
        if root is not None:
            return _power(root, Fraction(exponent.numerator))
    b, x = _float(base), _float(exponent)
    if b < 0 and not float(x).is_integer():
        raise Rejected("a negative number to a fractional power")
    if b != 0 and abs(x * math.log10(abs(b))) > 300:
        raise TemplateError("A power in this template grows too large to work out (a tower of powers?).")
    if b == 0 and x < 0:
        raise Rejected("0 to a negative power")
    return b**x


def _real_function(name: str, args: list[Number]) -> Number:
    x = args[0]
    if name == "sqrt":
        if x < 0:
            raise Rejected("sqrt of a negative number")
        exact = _exact_sqrt(x) if isinstance(x, Fraction) else None
        return exact if exact is not None else math.sqrt(_float(x))
    if name == "abs":
        return -x if x < 0 else x
    if name in ("floor", "ceil"):
        return Fraction(math.floor(x) if name == "floor" else math.ceil(x))
    if name == "sign":
        return Fraction((x > 0) - (x < 0))
    if name == "factorial":
        if not (isinstance(x, Fraction) and x.denominator == 1 and 0 <= x <= 200):
            raise Rejected("factorial of something other than a whole number up to 200")
        return Fraction(math.factorial(int(x)))
    if name in ("ln", "log", "log10", "log2"):
        if any(a <= 0 for a in args):
            raise Rejected("log of a number that isn't positive")
        base = {"log10": 10.0, "log2": 2.0}.get(name, _float(args[1]) if len(args) > 1 else math.e)
        if base == 1:
            raise Rejected("log to base 1")
        return math.log(_float(x)) / math.log(base)
    floats = {
        "sin": math.sin,
        "cos": math.cos,
        "tan": math.tan,
        "asin": math.asin,
        "acos": math.acos,
        "atan": math.atan,
        "arcsin": math.asin,
        "arccos": math.acos,
        "arctan": math.atan,
        "sinh": math.sinh,
        "cosh": math.cosh,
        "tanh": math.tanh,
        "exp": math.exp,
        "cbrt": lambda v: math.copysign(abs(v) ** (1 / 3), v),
    }
    if name not in floats:
        raise TemplateError(f"The function {name} can't be used in a template's variables or constraints.")
    try:
        return floats[name](_float(x))
    except (ValueError, OverflowError) as exc:
        raise Rejected(f"{name} can't be worked out there") from exc


class _Evaluator:
    def __init__(self, source: str) -> None:
        self.source = source
        self.nodes = 0
        self.slots: dict[str, Fraction] = {}

    def walk(self, node: ast.AST) -> Number:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise TemplateError("That expression is too long or complicated.")
        if isinstance(node, ast.Expression):
            return self.walk(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise TemplateError("Only numbers, variables and maths symbols are allowed.")
            literal = ast.get_source_segment(self.source, node) or repr(node.value)
            if len(literal) > 60:
                raise TemplateError("A number in this template is too long.")
            return _checked(Fraction(literal))
        if isinstance(node, ast.Name):
            if node.id in self.slots:
                return self.slots[node.id]
            if node.id == "pi":
                return math.pi
            if node.id == "e":
                return math.e
            raise TemplateError(f"{node.id!r} isn't a variable defined before this point.", name=node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = self.walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp):
            left, right = self.walk(node.left), self.walk(node.right)
            if isinstance(left, float) or isinstance(right, float):
                if not isinstance(node.op, ast.Pow):
                    left, right = _float(left), _float(right)
            if isinstance(node.op, ast.Add):
                return _checked(left + right)
            if isinstance(node.op, ast.Sub):
                return _checked(left - right)
            if isinstance(node.op, ast.Mult):
                return _checked(left * right)
            if isinstance(node.op, ast.Div):
                if right == 0:
                    raise Rejected("a division by zero")
                return _checked(left / right)
            if isinstance(node.op, ast.Pow):
                return _checked(_power(left, right))
            raise TemplateError("Only +, -, *, / and ^ are allowed.")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.keywords or not 1 <= len(node.args) <= 2:
                raise TemplateError("That uses a function I don't know.")
            args = [self.walk(a) for a in node.args]
            return _checked(_real_function(node.func.id, args))
        raise TemplateError("Only numbers, variables and maths symbols are allowed.")


_SLOT = re.compile(r"Z\d+")


@functools.lru_cache(maxsize=256)
def _compiled(text: str, names: tuple[str, ...]) -> tuple[ast.Expression, str]:
    """Parsed once per template: each variable becomes a slot Z0, Z1... (one name to the reader,
    which would read 'ab' as a times b), filled from the values at each sample."""
    if len(text) > MAX_EXPR_CHARS:
        raise TemplateError(f"That expression is longer than {MAX_EXPR_CHARS} characters.")
    slots = {name: f"Z{index}" for index, name in enumerate(names)}
    for word in _WORD.findall(_BRACED.sub("", text)):
        if _SLOT.fullmatch(word) and word not in slots:
            raise TemplateError(f"{word!r} isn't a variable defined before this point.", name=word)

    def braced(match: re.Match[str]) -> str:
        if match.group(1) not in slots:
            raise TemplateError(
                f"{{{match.group(1)}}} isn't a variable defined before this point.", name=match.group(1)
            )
        return f" {slots[match.group(1)]} "

    text = _BRACED.sub(braced, text)
    text = _WORD.sub(lambda m: f" {slots[m.group()]} " if m.group() in slots else m.group(), text)
    return _parse(text)


def evaluate(text: str, values: dict[str, Fraction]) -> Number:
    """An expression of earlier variables (braced or bare), exactly where it can be."""
    names = tuple(values)
    tree, source = _compiled(text, names)
    evaluator = _Evaluator(source)
    evaluator.slots = {f"Z{index}": values[name] for index, name in enumerate(names)}
    return evaluator.walk(tree)


def holds(constraint: str, values: dict[str, Fraction]) -> bool:
    """A constraint like `b^2 - 4*a*c > 0` or `a != b`: one comparison between two expressions."""
    pieces = _COMPARISON.split(constraint)
    operators = _COMPARISON.findall(constraint)
    if len(operators) != 1:
        raise TemplateError(
            "A constraint compares two things with one of < <= > >= = !=, like 'a != b'.", field="constraints"
        )
    left, right = evaluate(pieces[0], values), evaluate(pieces[1], values)
    if isinstance(left, float) or isinstance(right, float):
        a, b = _float(left), _float(right)
        close = math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    else:
        a, b, close = left, right, left == right  # type: ignore[assignment]
    op = operators[0]
    if op in ("=", "=="):
        return close
    if op in ("!=", "≠"):
        return not close
    if op == "<":
        return a < b and not close
    if op == ">":
        return a > b and not close
    if op in ("<=", "≤"):
        return a < b or close
    return a > b or close


# --- values ------------------------------------------------------------------------------------


def _number(value: Any, what: str) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TemplateError(f"{what} should be a number.")
    text = str(value).strip()
    if len(text) > 40 or not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d{1,3})?(/\d{1,20})?", text):
        raise TemplateError(f"{what}: {text[:40]!r} isn't a number.")
    number = Fraction(text)
    if abs(number) > MAX_MAGNITUDE:
        raise TemplateError(f"{what}: {text[:40]} is beyond ±{MAX_MAGNITUDE:,}; use smaller numbers.")
    return number


def rounded(value: Number, decimals: int | None = None) -> Fraction:
    """A float as the decimal a student is shown (SIGNIFICANT digits, or `decimals` places)."""
    if decimals is not None:
        if isinstance(value, Fraction):
            return Fraction(round(value, decimals))
        return Fraction(f"{value:.{decimals}f}")
    if isinstance(value, Fraction):
        return value
    return Fraction(f"{value:.{SIGNIFICANT}g}")


def show(value: Fraction) -> str:
    """How a value appears in the statement: 3, -2, 0.25, 2/3."""
    if value.denominator == 1:
        return str(value.numerator)
    q = value.denominator
    for p in (2, 5):
        while q % p == 0:
            q //= p
    if q == 1:
        text = f"{float(value):.{SIGNIFICANT}g}"
        if "e" not in text or abs(value) >= 1e-6:
            text = format(value.numerator / value.denominator, f".{MAX_DECIMALS}f").rstrip("0").rstrip(".")
            if Fraction(text) == value:
                return text
        return f"{float(value):.{SIGNIFICANT}g}"
    return f"{value.numerator}/{value.denominator}"


class Variable:
    def __init__(self, name: str, spec: Any) -> None:
        self.name = name
        self.kind = "expression"
        self.choices: list[Fraction] = []
        self.low = self.step = Fraction(0)
        self.count = 0
        self.expression = ""
        self.decimals: int | None = None
        if isinstance(spec, dict):
            unknown = set(spec) - {"range", "list", "expr", "decimals"}
            if unknown or len(spec.keys() & {"range", "list", "expr"}) != 1:
                raise TemplateError(
                    f"{name}: give one of range: [low, high] or [low, high, step], list: [...], or an expression.",
                    name=name,
                )
            decimals = spec.get("decimals")
            if decimals is not None:
                if (
                    not isinstance(decimals, int)
                    or isinstance(decimals, bool)
                    or not 0 <= decimals <= MAX_DECIMALS
                ):
                    raise TemplateError(
                        f"{name}: decimals should be a whole number from 0 to {MAX_DECIMALS}.", name=name
                    )
                self.decimals = decimals
            if "range" in spec:
                self._range(spec["range"])
            elif "list" in spec:
                self._list(spec["list"])
            else:
                self._expression(spec["expr"])
        elif isinstance(spec, list):
            self._list(spec)
        elif isinstance(spec, str) and not re.fullmatch(r"\s*[-+]?[\d.]+\s*", spec):
            self._expression(spec)
        else:
            self.kind, self.choices = "list", [_number(spec, name)]

    def _range(self, bounds: Any) -> None:
        if not isinstance(bounds, list) or len(bounds) not in (2, 3):
            raise TemplateError(f"{self.name}: range is [low, high] or [low, high, step].", name=self.name)
        low, high = _number(bounds[0], f"{self.name}: low"), _number(bounds[1], f"{self.name}: high")
        step = _number(bounds[2], f"{self.name}: step") if len(bounds) == 3 else Fraction(1)
        if step <= 0:
            raise TemplateError(f"{self.name}: the step must be more than 0.", name=self.name)
        if high < low:
            raise TemplateError(
                f"{self.name}: the range goes from {show(low)} down to {show(high)}.", name=self.name
            )
        count = (high - low) / step
        if count > MAX_RANGE_VALUES:
            raise TemplateError(
                f"{self.name}: the range has more than {MAX_RANGE_VALUES:,} values; use a larger step or a "
                "smaller range.",
                name=self.name,
            )
        self.kind, self.low, self.step, self.count = "range", low, step, math.floor(count) + 1

    def _list(self, items: Any) -> None:
        if not isinstance(items, list) or not items or len(items) > MAX_LIST:
            raise TemplateError(f"{self.name}: a list needs 1 to {MAX_LIST} numbers.", name=self.name)
        self.kind, self.choices = "list", [_number(item, f"{self.name}: list") for item in items]

    def _expression(self, text: Any) -> None:
        if not isinstance(text, str) or not text.strip():
            raise TemplateError(
                f'{self.name}: an expression should be text, like "{{a}}*{{b}}".', name=self.name
            )
        if len(text) > MAX_EXPR_CHARS:
            raise TemplateError(f"{self.name}: longer than {MAX_EXPR_CHARS} characters.", name=self.name)
        self.kind, self.expression = "expression", text

    def draw(self, rng: random.Random, values: dict[str, Fraction]) -> Fraction:
        if self.kind == "range":
            return rounded(self.low + self.step * rng.randrange(self.count), self.decimals)
        if self.kind == "list":
            return rng.choice(self.choices)
        try:
            return rounded(evaluate(self.expression, values), self.decimals)
        except TemplateError as exc:
            raise TemplateError(f"{self.name}: {exc}", name=self.name) from exc


class Template:
    def __init__(self, spec: dict[str, Any]) -> None:
        variables = spec.get("variables") or {}
        constraints = spec.get("constraints") or []
        if not isinstance(variables, dict) or not variables:
            raise TemplateError("variables: give each variable a name, like a: {range: [1, 9]}.")
        if len(variables) > MAX_VARIABLES:
            raise TemplateError(f"variables: at most {MAX_VARIABLES} in one problem.")
        if isinstance(constraints, str):
            constraints = [constraints]
        if not isinstance(constraints, list) or not all(isinstance(c, str) for c in constraints):
            raise TemplateError('constraints: a list of comparisons, like ["a != b"].', field="constraints")
        if len(constraints) > MAX_CONSTRAINTS:
            raise TemplateError(f"constraints: at most {MAX_CONSTRAINTS}.", field="constraints")
        for index, constraint in enumerate(constraints):
            if len(constraint) > MAX_EXPR_CHARS:
                raise TemplateError(
                    f"constraint {index + 1} is too long.", field="constraints", name=str(index + 1)
                )
        self.variables: list[Variable] = []
        for name, definition in variables.items():
            if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,19}", name):
                raise TemplateError(
                    f"{str(name)[:30]!r}: a variable's name is a letter followed by letters or digits.",
                    name=str(name),
                )
            if name in ("e", "pi", "i", "I", "oo") or name in _function_names():
                raise TemplateError(
                    f"{name}: that name means something in maths already; pick another.", name=name
                )
            try:
                self.variables.append(Variable(name, definition))
            except TemplateError as exc:
                raise TemplateError(str(exc), name=name) from exc
        self.variables = _in_order(self.variables)
        self.constraints: list[str] = constraints

    def sample(self, seed: int, max_tries: int = MAX_TRIES) -> tuple[dict[str, Fraction], int]:
        """The first sample of this seed's random stream that meets every constraint."""
        rng = random.Random(seed)  # noqa: S311 - variants, not secrets
        why = ""
        for tries in range(1, max_tries + 1):
            values: dict[str, Fraction] = {}
            try:
                for variable in self.variables:
                    values[variable.name] = variable.draw(rng, values)
                for index, constraint in enumerate(self.constraints):
                    try:
                        ok = holds(constraint, values)
                    except TemplateError as exc:
                        raise TemplateError(
                            f"constraint {index + 1} ({constraint[:60]!r}): {exc}",
                            field="constraints",
                            name=str(index + 1),
                        ) from exc
                    if not ok:
                        raise Rejected(f"constraint {index + 1} ({constraint[:60]!r}) fails")
            except Rejected as exc:
                why = str(exc)
                continue
            return values, tries
        raise TemplateError(
            f"no values met the constraints in {max_tries} tries (the last try: {why}). Widen the ranges or "
            "loosen the constraints.",
            field="constraints",
        )


def _in_order(variables: list[Variable]) -> list[Variable]:
    """Each variable after the ones its expression uses, otherwise by name: the database keeps a
    template's variables in its own order (PostgreSQL's jsonb sorts keys), so the order (and with
    it each seed's numbers) must not depend on how they were written down."""
    names = {v.name for v in variables}
    needs = {
        v.name: {
            w for w in _WORD.findall(_BRACED.sub(lambda m: f" {m.group(1)} ", v.expression)) if w in names
        }
        for v in variables
    }
    by_name = {v.name: v for v in variables}
    ordered: list[Variable] = []
    done: set[str] = set()
    while len(ordered) < len(variables):
        ready = sorted(n for n in by_name if n not in done and needs[n] <= done)
        if not ready:
            stuck = sorted(n for n in by_name if n not in done)
            raise TemplateError(
                f"{', '.join(stuck)} are worked out from each other in a circle; one must come first.",
                name=stuck[0],
            )
        done.add(ready[0])
        ordered.append(by_name[ready[0]])
    return ordered


def _function_names() -> set[str]:
    from .names import FUNCTIONS

    return set(FUNCTIONS)


# --- texts and keys ----------------------------------------------------------------------------

_INLINE = re.compile(r"\{=([^{}]{1,300})\}")


def fill(text: str, values: dict[str, Fraction]) -> str:
    """A statement, hint or solution with {a} replaced by a's value and {=expr} by its value."""

    def inline(match: re.Match[str]) -> str:
        value = rounded(evaluate(match.group(1), values))
        text = show(value)
        if "/" in text and _decimal_data(values):
            return f"{float(value):.{SIGNIFICANT}g}"  # data in decimals: a result in decimals too
        return text

    text = _INLINE.sub(inline, text)
    return _BRACED.sub(lambda m: show(values[m.group(1)]) if m.group(1) in values else m.group(), text)


def _decimal_data(values: dict[str, Fraction]) -> bool:
    """Some value is shown as a decimal (0.5, 9.8): then results are written as decimals too."""
    return any(v.denominator != 1 and "/" not in show(v) for v in values.values())


def _key_text(obj: Any, inexact: bool) -> str:
    import sympy as sp
    from sympy.printing.str import StrPrinter

    class Printer(StrPrinter):
        def _print_Float(self, expr: Any) -> str:
            return f"{float(expr):.{SIGNIFICANT}g}"

    if inexact and isinstance(obj, sp.Basic) and not isinstance(obj, sp.MatrixBase):
        obj = obj.xreplace({r: sp.Float(r, 15) for r in obj.atoms(sp.Rational) if r.q != 1})
        if obj.is_number:
            obj = sp.Float(obj.evalf(15), 15)
    # Ordering the terms of a sum costs more than the rest of a key; numbers don't need it.
    printer = Printer({"order": "none"} if not getattr(obj, "free_symbols", True) else {})
    if isinstance(obj, sp.MatrixBase):
        rows = [", ".join(_key_text(obj[i, j], inexact) for j in range(obj.cols)) for i in range(obj.rows)]
        return "[" + ", ".join(f"[{row}]" for row in rows) + "]"
    if isinstance(obj, sp.Eq):
        return f"{_key_text(obj.lhs, inexact)} = {_key_text(obj.rhs, inexact)}"
    if isinstance(obj, sp.FiniteSet):
        return "{" + ", ".join(_key_text(e, inexact) for e in sorted(obj, key=sp.default_sort_key)) + "}"
    if isinstance(obj, sp.Tuple | tuple | list):
        return "(" + ", ".join(_key_text(e, inexact) for e in obj) + ")"
    return printer.doprint(obj).replace("**", "^")


_STRUCTURED = re.compile(r"[=,\[\]{}<>\\|;:!%°]|\b(?:or|and)\b")


@functools.lru_cache(maxsize=64)
def _unit_latex(unit: str) -> str:
    from . import units as unitlib
    from .reading import unit_latex

    return unit_latex(unitlib.parse_unit(unit))


@functools.lru_cache(maxsize=256)
def _split_units(text: str) -> tuple[str, str]:
    """'{v0}*{t} - 1/2*{g}*{t}^2 m' -> (the value, 'm'): the shortest tail that is a unit."""
    from . import units as unitlib

    spaces = [m.start() for m in re.finditer(r"\s+(?=\S)", text)]
    for index in reversed(spaces):
        tail = text[index:].strip()
        if re.search(r"[{}()]|\d\s*[-+*/]", tail) or unitlib.parse_unit(tail) is None:
            continue
        return text[:index].strip(), tail
    return text, ""


def key_for(
    answer: str, values: dict[str, Fraction], answer_type: str | None, units: str | None
) -> tuple[str, str]:
    """The key a student should type for these values, and its LaTeX."""
    from .structure import read_safely

    if answer_type in ("choice", "text"):
        return fill(answer, values), ""
    text, unit = answer, ""
    if answer_type == "quantity" or units:
        text, unit = _split_units(answer)
    filled = _put_values(text, values, bare_names=False)
    if answer_type in (None, "", "number", "expression", "quantity") and not _STRUCTURED.search(filled):
        # Plain arithmetic (most keys): read it with the reader's own parse, without the
        # structure pass (lists, relations, LaTeX) that can't apply.
        import sympy as sp

        from .reading import _is_decimal, display_latex, parse_plain

        obj, inexact = parse_plain(filled.replace("^", "**"))
        decimal = inexact or _decimal_data(values)
        key = _key_text(obj, decimal)
        if decimal and not obj.free_symbols:
            latex = key  # a decimal such as 20.4 is its own LaTeX
        elif obj.free_symbols:
            latex = display_latex(obj)
        else:  # display_latex's decimals, without ordering the terms of a number
            decimals = {r: sp.Float(r, 15) for r in obj.atoms(sp.Rational) if r.q != 1 and _is_decimal(r)}
            latex = sp.latex(obj.xreplace(decimals) if decimals else obj, order="none")
        if not unit:
            return key, latex
        return f"{key} {unit}", rf"{latex}\ {_unit_latex(unit)}"
    reading = read_safely(filled, answer_type=None if unit or answer_type == "quantity" else answer_type)
    inexact = reading.inexact or _decimal_data(values)
    if reading.kind in ("number", "expr", "equation", "set", "tuple", "matrix"):
        key = _key_text(reading.obj, inexact)
    else:
        key = re.sub(r"\((-?\d+(?:/\d+)?)\)", r"\1", filled)
    if not unit:
        return key, reading.latex()
    key = f"{key} {unit}"
    return key, read_safely(key, answer_type=answer_type, units=units).latex()


def variants_job(job: dict[str, Any]) -> dict[str, Any]:
    """The "variants" job: sample each seed, fill in the texts, work out the key."""
    from .reading import ReadError

    seeds = list(job.get("seeds") or [])[:MAX_SEEDS]
    try:
        template = Template(job.get("template") or {})
    except TemplateError as exc:
        return {"ok": False, "field": exc.field, "name": exc.name, "message": str(exc)}
    texts = job.get("texts") or {}
    max_tries = min(int(job.get("max_tries") or MAX_TRIES), MAX_TRIES)
    out = []
    for seed in seeds:
        field = "constraints"
        try:
            values, tries = template.sample(int(seed), max_tries)
            field = "statement"
            variant = {
                "seed": seed,
                "tries": tries,
                "values": {name: show(value) for name, value in values.items()},
                "statement": fill(texts.get("statement") or "", values),
                "hints": [fill(h, values) for h in texts.get("hints") or []],
                "solution": fill(texts.get("solution") or "", values),
                "choices": [fill(c, values) for c in texts.get("choices") or []],
                "answer": "",
                "latex": "",
            }
            field = "answer"
            if (texts.get("answer") or "").strip():
                variant["answer"], variant["latex"] = key_for(
                    texts["answer"], values, job.get("answer_type"), job.get("units")
                )
            # Named mistakes ("forgot the ½"): each worked out for these values like the key.
            field = "mistakes"
            variant["mistakes"] = [
                key_for(str(m), values, job.get("answer_type"), job.get("units"))[0]
                for m in (texts.get("mistakes") or [])[:MAX_MISTAKES]
            ]
        except TemplateError as exc:
            return {
                "ok": False,
                "field": exc.field if field not in ("answer", "mistakes") else field,
                "name": exc.name,
                "message": str(exc),
            }
        except ReadError as exc:
            what = "a mistake's answer" if field == "mistakes" else "the key"
            return {
                "ok": False,
                "field": "mistakes" if field == "mistakes" else "answer",
                "name": "",
                "message": f"{what} couldn't be read with the values {_shown(values)}: {exc}",
            }
        out.append(variant)
    return {"ok": True, "variants": out}


def _shown(values: dict[str, Fraction]) -> str:
    return ", ".join(f"{k} = {show(v)}" for k, v in values.items())
