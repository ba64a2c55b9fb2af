"""Reading answers into SymPy objects. Runs only inside the sandboxed checker process.

Typed text never reaches `sympify`/`parse_expr` (they call `eval`): it is tokenised, given
explicit multiplication, parsed by Python's `ast` in "eval" mode, and every node is checked
against an allow-list while we build the SymPy object ourselves. LaTeX goes through
latex2sympy2_extended (an ANTLR grammar, no eval).
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp
from latex2sympy2_extended import latex2sympy
from latex2sympy2_extended.latex2sympy2 import ConversionConfig

MAX_INPUT_CHARS = 2000
MAX_AST_NODES = 400
MAX_INT_DIGITS = 60
MAX_RESULT_DIGITS = 2000
MAX_SYMBOLIC_EXPONENT = 60
MAX_FACTORIAL = 200
MAX_SERIES_TERMS = 1000


class ReadError(ValueError):
    """The input could not be read; the message says why, in words a student understands."""


@dataclass
class Read:
    kind: str  # number expr equation alternatives relation set tuple interval matrix quantity
    obj: Any
    raw: str
    inexact: bool = False
    unit: Any = None  # a pint Unit for quantities
    unit_text: str = ""
    percent: bool = False
    degrees: bool = False
    notes: list[str] = field(default_factory=list)

    def latex(self) -> str:
        if self.display:
            body = self.display
        elif self.kind == "alternatives":
            body = r" \text{ or } ".join(display_latex(o) for o in self.obj)
        elif self.kind == "assignments":
            body = ", ".join(display_latex(o) for o in self.obj)
        else:
            body = display_latex(self.obj)
        if self.percent:
            body = rf"{body}\%"
        if self.degrees:
            body = rf"{body}^\circ"
        if self.unit is not None:
            body = rf"{body}\ {unit_latex(self.unit)}"
        elif self.unit_text:
            body = rf"{body}\ \mathrm{{{self.unit_text}}}"
        return body

    display: str = ""


def unit_latex(unit: Any) -> str:
    """pint's LaTeX for a unit (m/s^2 -> \\frac{\\mathrm{m}}{\\mathrm{s}^{2}}), in symbols KaTeX knows."""
    text = f"{unit:~L}"
    return (
        text.replace(r"\mathrm{°C}", r"{}^{\circ}\mathrm{C}")
        .replace(r"\mathrm{°F}", r"{}^{\circ}\mathrm{F}")
        .replace(r"\mathrm{Ω}", r"\Omega")
        .replace(r"\mathrm{µ", r"\mu\mathrm{")
        .replace(r"\mathrm{°}", r"^{\circ}")
        .replace("\\_", r"\_")
    )


def display_latex(obj: Any) -> str:
    """LaTeX for showing a student how their answer was read; decimals stay decimals."""
    if isinstance(obj, sp.Basic) and not isinstance(obj, sp.MatrixBase):
        fractions = {r: sp.Float(r, 15) for r in obj.atoms(sp.Rational) if r.q != 1 and _is_decimal(r)}
        if fractions:
            obj = obj.xreplace(fractions)
    return sp.latex(obj)


def _is_decimal(value: sp.Rational) -> bool:
    """1/4 came from 0.25 or from 1/4; both show fine as 0.25, but 1/3 must stay a fraction."""
    q = int(value.q)
    while q % 2 == 0:
        q //= 2
    while q % 5 == 0:
        q //= 5
    return q == 1 and value.q >= 10


# --- names -----------------------------------------------------------------------------------

FUNCTIONS: dict[str, tuple[Any, int]] = {
    "sin": (sp.sin, 1),
    "cos": (sp.cos, 1),
    "tan": (sp.tan, 1),
    "cot": (sp.cot, 1),
    "sec": (sp.sec, 1),
    "csc": (sp.csc, 1),
    "asin": (sp.asin, 1),
    "acos": (sp.acos, 1),
    "atan": (sp.atan, 1),
    "arcsin": (sp.asin, 1),
    "arccos": (sp.acos, 1),
    "arctan": (sp.atan, 1),
    "sinh": (sp.sinh, 1),
    "cosh": (sp.cosh, 1),
    "tanh": (sp.tanh, 1),
    "sqrt": (sp.sqrt, 1),
    "cbrt": (sp.cbrt, 1),
    "exp": (sp.exp, 1),
    "ln": (sp.log, 1),
    "log": (sp.log, 2),
    "abs": (sp.Abs, 1),
    "floor": (sp.floor, 1),
    "ceil": (sp.ceiling, 1),
    "factorial": (sp.factorial, 1),
    "root": (sp.root, 2),
    # Other names teachers and books use (STACK accepts them too).
    "cosec": (sp.csc, 1),
    "csch": (sp.csch, 1),
    "cosech": (sp.csch, 1),
    "sech": (sp.sech, 1),
    "coth": (sp.coth, 1),
    "asinh": (sp.asinh, 1),
    "acosh": (sp.acosh, 1),
    "atanh": (sp.atanh, 1),
    "arsinh": (sp.asinh, 1),
    "arcosh": (sp.acosh, 1),
    "artanh": (sp.atanh, 1),
    "arcsinh": (sp.asinh, 1),
    "arccosh": (sp.acosh, 1),
    "arctanh": (sp.atanh, 1),
    "acot": (sp.acot, 1),
    "asec": (sp.asec, 1),
    "acsc": (sp.acsc, 1),
    "arccot": (sp.acot, 1),
    "arcsec": (sp.asec, 1),
    "arccsc": (sp.acsc, 1),
    "sign": (sp.sign, 1),
    "sgn": (sp.sign, 1),
    "signum": (sp.sign, 1),
    "lg": (lambda x, base=10: sp.log(x, base), 2),
    "log10": (lambda x: sp.log(x, 10), 1),
    "log2": (lambda x: sp.log(x, 2), 1),
    "binomial": (sp.binomial, 2),
}
CONSTANTS: dict[str, Any] = {
    "pi": sp.pi,
    "e": sp.E,
    "oo": sp.oo,
    "inf": sp.oo,
    "infinity": sp.oo,
    "i": sp.I,
    "I": sp.I,
}
GREEK = {
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "rho",
    "sigma",
    "tau",
    "phi",
    "chi",
    "psi",
    "omega",
}
KNOWN_NAMES = sorted(set(FUNCTIONS) | set(CONSTANTS) | GREEK, key=len, reverse=True)

_UNICODE = {
    "×": "*",
    "·": "*",
    "⋅": "*",
    "÷": "/",
    "−": "-",
    "–": "-",
    "π": "pi",
    "√": "sqrt",
    "∞": "oo",
    "²": "^2",
    "³": "^3",
    "≤": "<=",
    "≥": ">=",
    "≠": "!=",
    "θ": "theta",
    "α": "alpha",
    "β": "beta",
}


def _symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name)


# --- typed text ---------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<op>\*\*|[-+*/(),!])"
    r"|(?P<space>\s+)"
)


def _split_name(name: str) -> list[str]:
    """'xy' -> x, y ; 'sinx' -> sin, x ; 'theta' stays."""
    parts: list[str] = []
    i = 0
    while i < len(name):
        for known in KNOWN_NAMES:
            if name.startswith(known, i):
                parts.append(known)
                i += len(known)
                break
        else:
            if name[i].isdigit() and parts:
                # x2 -> x*2 is surprising; keep digits attached to the previous letter (x2 as a name).
                parts[-1] += name[i]
            else:
                parts.append(name[i])
            i += 1
    return parts


# Words read as products of letters while reading the current answer (the worker is one thread).
SPLIT_WORDS: list[tuple[str, list[str]]] = []


def unknown_words(key_letters: set[str]) -> list[str]:
    """Words read as letters that the key doesn't use: 'odd' -> o*d*d is a word, not a product."""
    found = []
    for word, parts in SPLIT_WORDS:
        letters = {p.rstrip("0123456789") for p in parts if p not in FUNCTIONS and p not in CONSTANTS}
        if len(word) >= 3 and letters - key_letters:
            found.append(word)
    return list(dict.fromkeys(found))


def did_you_mean(word: str) -> str:
    import difflib

    names = sorted(set(FUNCTIONS) | set(CONSTANTS) | GREEK)
    close = difflib.get_close_matches(word.lower(), names, n=1, cutoff=0.6)
    return f"I don't know '{word}'" + (
        f" — did you mean {close[0]}?" if close else ". Check the spelling, or use * between letters."
    )


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ReadError(f"I couldn't read the character {text[pos]!r} (position {pos + 1}).")
        pos = match.end()
        kind = match.lastgroup
        if kind == "space":
            continue
        value = match.group()
        if kind == "num":
            value = re.sub(r"^0+(?=\d)", "", value)  # 004 is 4 (Python refuses leading zeros)
        if kind == "name":
            parts = _split_name(value)
            if len(parts) > 1:
                # Kept so the checker can tell 'xy' (x times y) from a word it doesn't know ('odd').
                SPLIT_WORDS.append((value, parts))
            out.extend(("name", part) for part in parts)
        else:
            out.append((kind, value))
    return out


def _with_explicit_multiplication(tokens: list[tuple[str, str]]) -> str:
    pieces: list[str] = []
    previous: tuple[str, str] | None = None
    for index, token in enumerate(tokens):
        kind, value = token
        if previous is not None:
            pkind, pvalue = previous
            ends_atom = (
                pkind == "num" or (pkind == "name" and pvalue not in FUNCTIONS) or pvalue in (")", "!")
            )
            starts_atom = kind in ("num", "name") or value == "("
            if ends_atom and starts_atom:
                if pkind == "num" and kind == "num":
                    raise ReadError(
                        f"Two numbers are next to each other: {pvalue} {value}. Did you miss an operator?"
                    )
                pieces.append("*")
            if pkind == "name" and pvalue in FUNCTIONS and value != "(":
                # sin x -> sin(x): a function name applies to the next atom.
                if kind not in ("num", "name"):
                    raise ReadError(f"{pvalue} needs something to act on, like {pvalue}(x).")
                pieces.append(f"({value})")
                previous = ("op", ")")
                continue
        if value == "!":
            pieces.append("!")
        else:
            pieces.append(value)
        previous = token
        del index
    source = " ".join(pieces)
    # n! -> factorial(n) for a number or a name; (n+1)! -> factorial((n+1)).
    source = re.sub(r"(\w+)\s*!(?!=)", lambda m: f"factorial({m.group(1)})", source)
    while (bang := re.search(r"\)\s*!(?!=)", source)) is not None:
        depth, start = 0, bang.start()
        for index in range(bang.start(), -1, -1):
            depth += {")": 1, "(": -1}.get(source[index], 0)
            if depth == 0:
                start = index
                break
        source = f"{source[:start]}factorial({source[start : bang.start() + 1]}){source[bang.end() :]}"
    if "!" in source:
        raise ReadError("Write factorials as factorial(n) when n is more than a number.")
    return source


def _number_from_literal(text: str) -> tuple[sp.Rational, bool]:
    digits = len(re.sub(r"\D", "", text.split("e")[0].split("E")[0]))
    if digits > MAX_INT_DIGITS:
        raise ReadError("That number is too long to check.")
    exponent = re.search(r"[eE]([+-]?\d+)", text)
    if exponent and abs(int(exponent.group(1))) > 400:
        raise ReadError("That power of ten is too large to check.")
    fraction = Fraction(text)
    inexact = "." in text or "e" in text.lower()
    return sp.Rational(fraction.numerator, fraction.denominator), inexact


class _Builder:
    def __init__(self, source: str, evaluate: bool = True) -> None:
        self.source = source
        self.nodes = 0
        self.inexact = False
        # evaluate=False keeps the form the student typed (2*(x+1) stays a product), for form checks.
        self.evaluate = evaluate

    def build(self, node: ast.AST) -> Any:
        self.nodes += 1
        if self.nodes > MAX_AST_NODES:
            raise ReadError("That answer is too long or complicated to check.")
        if isinstance(node, ast.Expression):
            return self.build(node.body)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ReadError("Only numbers, letters and maths symbols are allowed.")
            literal = ast.get_source_segment(self.source, node) or str(node.value)
            value, inexact = _number_from_literal(literal)
            self.inexact |= inexact
            if inexact and not self.evaluate:
                # Shown as typed: 80.0 stays 80.0 rather than 80 or 400/5.
                digits = len(re.sub(r"\D", "", literal.lower().split("e")[0]).lstrip("0")) or 1
                return sp.Float(literal, max(digits, 2))
            return value
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            if node.id in FUNCTIONS:
                raise ReadError(f"{node.id} needs brackets, like {node.id}(x).")
            if node.id.startswith("_"):
                raise ReadError("Names can't start with an underscore.")
            return _symbol(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.build(node.operand)
            if isinstance(operand, sp.Tuple):
                raise ReadError("A list in brackets can't have a sign in front of it.")
            if not self.evaluate and isinstance(node.op, ast.USub) and not operand.is_Number:
                return sp.Mul(sp.S.NegativeOne, operand, evaluate=False)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left, right = self.build(node.left), self.build(node.right)
            if not (isinstance(left, sp.Expr) and isinstance(right, sp.Expr)) or sp.Tuple in (
                type(left),
                type(right),
            ):
                raise ReadError("A list in brackets can't be added, multiplied or raised to a power.")
            if not self.evaluate:
                return _unevaluated(node.op, left, right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                if right == 0:
                    raise ReadError("That answer divides by zero.")
                return left / right
            if isinstance(node.op, ast.Pow):
                return safe_pow(left, right)
            raise ReadError("Only +, -, *, / and ^ are allowed.")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
                raise ReadError("That uses a function I don't know.")
            function, arity = FUNCTIONS[node.func.id]
            args = [self.build(arg) for arg in node.args]
            if not 1 <= len(args) <= arity:
                raise ReadError(f"{node.func.id} takes {arity} value{'s' if arity > 1 else ''}.")
            if function is sp.factorial and args[0].is_number:
                n = args[0]
                if not (n.is_Integer and 0 <= int(n) <= MAX_FACTORIAL):
                    raise ReadError(f"I can only check factorials of whole numbers up to {MAX_FACTORIAL}.")
            if node.func.id == "log" and len(args) == 2:
                return sp.log(args[0], args[1])
            return function(*args)
        if isinstance(node, ast.Tuple):
            return sp.Tuple(*[self.build(e) for e in node.elts])
        raise ReadError("Only numbers, letters and maths symbols are allowed.")


def _unevaluated(op: ast.operator, left: Any, right: Any) -> Any:
    if isinstance(op, ast.Add):
        return sp.Add(left, right, evaluate=False)
    if isinstance(op, ast.Sub):
        return sp.Add(left, sp.Mul(sp.S.NegativeOne, right, evaluate=False), evaluate=False)
    if isinstance(op, ast.Mult):
        return sp.Mul(left, right, evaluate=False)
    if isinstance(op, ast.Div):
        reciprocal = sp.Pow(right, sp.S.NegativeOne, evaluate=False)
        return reciprocal if left == 1 else sp.Mul(left, reciprocal, evaluate=False)
    if isinstance(op, ast.Pow):
        safe_pow(left, right)
        return sp.Pow(left, right, evaluate=False)
    raise ReadError("Only +, -, *, / and ^ are allowed.")


def safe_pow(base: Any, exponent: Any) -> Any:
    """Refuse powers whose value or expansion would not fit in a check (9^9^9, (x+1)^20000)."""
    if exponent.is_Number and abs(exponent) > 10**6:
        raise ReadError("That power is too large to check.")
    if base.is_Number and exponent.is_Number:
        b = abs(float(base)) if base.is_finite else math.inf
        e = float(exponent)
        if b > 1 and e > 0 and e * math.log10(b) > MAX_RESULT_DIGITS:
            raise ReadError("That number is too large to check.")
        if 0 < b < 1 and e < 0 and -e * -math.log10(b) > MAX_RESULT_DIGITS:
            raise ReadError("That number is too large to check.")
    elif exponent.is_Number and abs(exponent) > MAX_SYMBOLIC_EXPONENT:
        raise ReadError("That power is too large to check.")
    elif not exponent.is_Number and base.is_Number and abs(base) > 1:
        # 9^(9^x): a tower whose top we can't bound.
        for power in exponent.atoms(sp.Pow):
            if power.exp.is_Number and abs(power.exp) > MAX_SYMBOLIC_EXPONENT:
                raise ReadError("That power is too large to check.")
    return sp.Pow(base, exponent)


def _as_typed(fragment: str) -> str:
    """Our tokenised source back in the student's notation, for error messages."""
    return re.sub(r"\s+", "", fragment.replace("**", "^"))


def _syntax_failure(source: str, offset: int | None, typed: str) -> str:
    if offset is None or offset > len(source.rstrip()) or re.search(r"[-+*/^,(]\s*$", source):
        return f"I couldn't read it: it ends too early, after {typed.strip().replace('**', '^')!r}. Something is missing at the end."
    index = max(0, offset - 1)
    before, at = _as_typed(source[max(0, index - 12) : index]), _as_typed(source[index : index + 6])
    if not before:
        return f"I couldn't read it: an answer can't start with {at!r}. Check for a missing number."
    return f"I couldn't read the part {at!r} after {before!r}. Check for a missing number or operator there."


def parse_plain(text: str, *, evaluate: bool = True) -> tuple[Any, bool]:
    """An arithmetic expression typed as plain text -> (SymPy object, inexact)."""
    if not text.strip():
        raise ReadError("Part of the answer is empty: check for two signs or commas in a row.")
    if text.count("(") != text.count(")"):
        raise ReadError("The brackets don't match: check every ( has a ).")
    depth = max_depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        max_depth = max(max_depth, depth)
    if max_depth > 40:
        raise ReadError("Too many brackets inside brackets to check.")
    source = _with_explicit_multiplication(_tokens(text))
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ReadError(_syntax_failure(source, exc.offset, text)) from exc
    except (RecursionError, MemoryError, ValueError) as exc:
        raise ReadError("I couldn't read that as maths. Check for a missing number or operator.") from exc
    builder = _Builder(source, evaluate=evaluate)
    return builder.build(tree), builder.inexact


# --- LaTeX ------------------------------------------------------------------------------------

_LATEX_NOISE = [
    (r"\\displaystyle", ""),
    (r"\\left", ""),
    (r"\\right", ""),
    (r"(?<!\\)\\[,;:! ]", " "),
    (r"\\quad|\\qquad", " "),
    (r"\\dfrac|\\tfrac", r"\\frac"),
    (r"\\mathrm\{e\}", "e"),
    (r"\\operatorname\{e\}", "e"),
]


# Compact LaTeX that math editors write (MathLive: \frac42, \sqrt2, \frac{x}2).
_COMPACT = [
    (re.compile(r"\\[dt]frac(?![A-Za-z])"), r"\\frac"),
    (re.compile(r"\\frac\s*([0-9A-Za-z])\s*([0-9A-Za-z])"), r"\\frac{\1}{\2}"),
    (re.compile(r"\\frac\s*(\{[^{}]*\})\s*([0-9A-Za-z])"), r"\\frac\1{\2}"),
    (re.compile(r"\\frac\s*([0-9A-Za-z])\s*(\{)"), r"\\frac{\1}\2"),
    (re.compile(r"\\sqrt\s*([0-9A-Za-z])"), r"\\sqrt{\1}"),
]


def parse_latex(text: str) -> tuple[Any, bool]:
    cleaned = text
    for pattern, replacement in _COMPACT:
        cleaned = pattern.sub(replacement, cleaned)
    for pattern, replacement in _LATEX_NOISE:
        cleaned = re.sub(pattern, replacement, cleaned)
    if re.search(r"\\(?:href|url|include|input|def|let|catcode|write|immediate|operatorname\{_)", cleaned):
        raise ReadError("That contains LaTeX commands that aren't maths.")
    if len(re.findall(r"\{", cleaned)) > 200:
        raise ReadError("That answer is too long or complicated to check.")
    _guard_latex_powers(cleaned)
    if re.search(r"\\(?:pm|mp)", cleaned.strip()[3:]):
        return _parse_plus_minus(cleaned)
    try:
        # Degrees inside an expression (sin 60°) become radians; letters keep their case so a
        # LaTeX key and a typed answer name the same variables.
        value = latex2sympy(cleaned, convert_degrees=True, conversion_config=_LATEX_CONVERSION)
    except Exception as exc:  # noqa: BLE001 - the grammar raises bare Exceptions; all mean "unreadable"
        raise ReadError(_latex_failure(cleaned, str(exc))) from exc
    if value is None:
        raise ReadError("I couldn't find any maths to read there.")
    if isinstance(value, sp.Basic) and not isinstance(value, sp.MatrixBase | sp.Set):
        value = value.xreplace({sp.Symbol("e"): sp.E}).doit()
    inexact = bool(getattr(value, "has", lambda *_: False)(sp.Float))
    return value, inexact


_LATEX_CONVERSION = ConversionConfig(lowercase_symbols=False)


def _parse_plus_minus(text: str) -> tuple[Any, bool]:
    """a ± b inside an expression (the quadratic formula) stands for two values; the grammar only
    knows a leading ±. Every ± takes the same sign, as in the formula."""
    plus = parse_latex(re.sub(r"\\pm", "+", re.sub(r"\\mp", "-", text)))
    minus = parse_latex(re.sub(r"\\pm", "-", re.sub(r"\\mp", "+", text)))
    (a, a_inexact), (b, b_inexact) = plus, minus
    inexact = a_inexact or b_inexact
    if isinstance(a, sp.Equality) and isinstance(b, sp.Equality) and a.lhs == b.lhs:
        return sp.Eq(a.lhs, sp.FiniteSet(a.rhs, b.rhs), evaluate=False), inexact
    if isinstance(a, sp.Equality) or isinstance(b, sp.Equality):
        raise ReadError("I couldn't read the ± in that equation.")
    return sp.FiniteSet(a, b), inexact


def _latex_failure(text: str, message: str) -> str:
    """Say where the LaTeX grammar gave up, using the caret line of its error message."""
    lines = message.splitlines()
    caret = next((line for line in lines if re.fullmatch(r"~*\^", line.strip())), None)
    if caret is not None:
        position = len(caret.rstrip()) - 1
        before = text[max(0, position - 15) : position].strip()
        at = text[position : position + 10].strip()
        if at:
            return (
                f"I couldn't read that maths from {at!r} on (after {before!r}). "
                "Check the brackets and symbols there."
            )
        return f"The maths ends too early, after {before!r}: something is missing at the end."
    return "I couldn't read that maths. Check the brackets and symbols."


def _guard_power_tower(numbers: list[int]) -> None:
    """9^{9^{9^9}}: latex2sympy evaluates while it parses, so refuse a tower too tall to compute."""
    digits = 0.0
    top = float(numbers[-1])
    for base in reversed(numbers[:-1]):
        if base <= 1:
            top = float(base)
            continue
        digits = top * math.log10(base)
        if digits > MAX_RESULT_DIGITS:
            raise ReadError("That number is too large to check.")
        top = float(base) ** top


def _guard_latex_powers(text: str) -> None:
    for match in re.finditer(r"\^\s*\{?\s*(\d+)", text):
        if int(match.group(1)) > 10**6 or len(match.group(1)) > 7:
            raise ReadError("That power is too large to check.")
    for match in re.finditer(r"\d+(?:\s*\^\s*\{?\s*\d+){2,}", text):
        _guard_power_tower([int(n[:8]) for n in re.findall(r"\d+", match.group())])
    if len(re.findall(r"\^", text)) > 12:
        raise ReadError("That answer has too many powers to check.")
    for match in re.finditer(r"\\(?:prod|sum)\s*_\s*\{[^{}]*\}\s*\^\s*(\{(?:[^{}]|\{[^{}]*\})*\}|\S)", text):
        bound = match.group(1)
        if "^" in bound or any(int(n[:9]) > MAX_SERIES_TERMS for n in re.findall(r"\d+", bound)):
            raise ReadError(f"I can only check sums and products of up to {MAX_SERIES_TERMS} terms.")
    if re.search(r"\^[^!]*[)}]\s*!", text):
        # (10^{100})!: latex2sympy computes the factorial while it parses.
        raise ReadError(f"I can only check factorials of whole numbers up to {MAX_FACTORIAL}.")
    for match in re.finditer(r"(\d*\.?\d+(?:[eE][-+]?\d+)?)\s*!", text):
        if float(match.group(1)[:12]) > MAX_FACTORIAL or "e" in match.group(1).lower():
            raise ReadError(f"I can only check factorials of whole numbers up to {MAX_FACTORIAL}.")
