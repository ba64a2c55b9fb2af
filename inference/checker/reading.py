"""Reading answers into SymPy objects. Runs only inside the sandboxed checker process.

Typed text never reaches `sympify`/`parse_expr` (they call `eval`): it is tokenised, given
explicit multiplication, parsed by Python's `ast` in "eval" mode, and every node is checked
against an allow-list while we build the SymPy object ourselves. LaTeX is read in latex.py
(latex2sympy2_extended, an ANTLR grammar, no eval).
The names it knows are in names.py.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import sympy as sp

from .names import _UNICODE, CONSTANTS, FUNCTIONS, GREEK, KNOWN_NAMES, SPLIT_WORDS  # noqa: F401 - re-exported

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
            if name[i] == "_" and parts and i + 1 < len(name) and name[i + 1].isalnum():
                # x_1, v_0: a subscript belongs to its letter (one name, as in LaTeX x_1).
                end = i + 1
                while end < len(name) and name[end].isalnum():
                    end += 1
                parts[-1] += name[i:end]
                i = end
                continue
            if name[i].isdigit() and parts:
                # x2 -> x*2 is surprising; keep digits attached to the previous letter (x2 as a name).
                parts[-1] += name[i]
            else:
                parts.append(name[i])
            i += 1
    return parts


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise ReadError(f"I couldn't read the character {text[pos]!r} (position {pos + 1}).")
        pos = match.end()
        kind = match.lastgroup or ""  # every alternative of _TOKEN is a named group
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


def __getattr__(name: str) -> Any:
    """`parse_latex` moved to latex.py; still importable from here (lazily: latex.py imports this)."""
    if name == "parse_latex":
        from .latex import parse_latex

        return parse_latex
    raise AttributeError(name)
