"""Step verification: split a worked solution (the model's Markdown, or a student's lines) into
steps and judge each one. Runs only inside the sandboxed checker process.

Two kinds of step:
- an equation line of an equation-solving problem must keep the solution set of the problem's
  equation (a system: every line must hold at the system's solutions); an equation the working
  sets up itself (a word problem) is compared with the previous equation in the same unknown;
- a link `a = b` of an `=` chain must hold: exactly (SymPy), then at sample points, with the
  checker's domain policy (comparators.expression). Units are converted through pint.

A step that can't be read, or that only substitutes values we don't know, is left unjudged and
counted; nothing here ever marks a step failed on a guess. Each step has its own time bound
(SIGALRM in the worker's main thread) inside the job's total bound.

Over 400 lines on purpose: splitting a solution into steps and judging each link share one
reading of the text (blocks, lines, offsets); `_judge_statement` and `check_steps` are long for the
same reason: the order of their cases is the policy, and it reads best in one place.
"""

from __future__ import annotations

import re
import signal
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from . import units as unitlib
from .comparators.expression import expressions_equal
from .comparators.number import Tolerance
from .comparators.sets import as_values, sets_equal, solution_set
from .extract import MAX_TEXT, without_thousands_marks
from .reading import MAX_INPUT_CHARS, ReadError, parse_latex, parse_plain
from .structure import read

PASSED, FAILED, UNJUDGED = "passed", "failed", "unjudged"
APPROX = "\\approx"
MAX_STEPS = 80
STEP_SECONDS = 1.5
TOTAL_SECONDS = 8.0

_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL)
# Display maths first, then inline; `$$` before `$` so a display block is not read as two inlines.
_MATH = re.compile(
    r"\$\$(?P<d1>.+?)\$\$|\\\[(?P<d2>.+?)\\\]|\\begin\{(?P<env>align\*?|aligned|equation\*?|gather\*?)\}"
    r"(?P<d3>.+?)\\end\{(?P=env)\}|\$(?P<i1>[^$\n]+?)\$|\\\((?P<i2>.+?)\\\)",
    re.DOTALL,
)
_ALIGN_ENV = re.compile(
    r"\\(?:begin|end)\{(?:aligned|align\*?|gathered|gather\*?|split|array)\}(?:\{[lcr|]*\})?"
)
_IMPLIES = re.compile(
    r"\\(?:implies|Rightarrow|Longrightarrow|Leftrightarrow|iff|therefore|quad\s*\\text\{\s*(?:so|then|thus|hence)\s*\}\s*\\quad)|⟹|⇒"
)
# A trailing remark: `2x = 8 \quad \text{(subtract 3)}`, `x = 4 \text{ (divide by 2)}`.
_REMARK = re.compile(r"(?:\\q?quad|\\[,;: ]|\s)*\\text\{\s*\(?[^{}]*?(?:[a-z]{3,}[^{}]*)\}\s*$")
_UNIT_TEXT = re.compile(r"\\(?:text|mathrm|textrm|rm|mbox)\s*\{([^{}]*)\}(\s*\^\s*(?:\{\s*-?\d+\s*\}|-?\d))?")
_OR = re.compile(
    r"\\text\{\s*or\s*\}|\\quad\s*\\text\{\s*or\s*\}\s*\\quad|\\lor|\\vee|\s+or\s+", re.IGNORECASE
)
_CONSTANTS = {"C", "c", "K", "C_1", "C_{1}"}
_PROSE_WORD = re.compile(r"\b[a-z]{4,}\b")
_DECIMAL = re.compile(r"\d+\.(\d+)")
_COMPUTE = re.compile(
    r"simplif|expand|factor|differentiat|derivative|integra|\\int|evaluate|compute|calculate|determinant|"
    r"eigen|product|as a single",
    re.IGNORECASE,
)
# dy/dx, du/dx: a derivative named by its letters, not a quotient to compute.
_LEIBNIZ = re.compile(r"\\frac\s*\{\s*d\s*[A-Za-z]\w*\s*\}\s*\{\s*d\s*[A-Za-z]\s*\}")


class StepTimeout(BaseException):
    """This step took longer than its bound (a BaseException so library code can't swallow it)."""


@dataclass
class Step:
    index: int
    line: int
    latex: str
    block: str
    status: str = UNJUDGED
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "line": self.line,
            "latex": self.latex,
            "block": self.block,
            "status": self.status,
            "reason": self.reason,
        }


@dataclass
class Statement:
    """One line of working: an `=` chain, possibly continuing the previous line's chain."""

    text: str
    line: int
    block: str
    continues: bool = False


@dataclass
class Context:
    """What the steps so far established: the problem's equation(s), known values, the last equation."""

    unknowns: list[sp.Symbol] = field(default_factory=list)
    problem_set: Any = None  # solution set of a one-unknown problem
    system: list[dict[sp.Symbol, Any]] | None = None  # solutions of a system
    problem_text: str = ""
    radicals: bool = False
    widest: Any = None  # values a squaring step let in (radical problems)
    compute: bool = False  # simplify/differentiate/integrate/evaluate: every link is an identity
    env: dict[sp.Symbol, Any] = field(default_factory=dict)
    last_equation: dict[sp.Symbol, tuple[Any, str]] = field(default_factory=dict)
    last_part: tuple[Any, str] | None = None


# --- splitting ------------------------------------------------------------------------------------


# A word of prose (not a list number or Markdown) before an inline formula on its line.
_PROSE_WORD = re.compile(r"[A-Za-z]{2,}")


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def statements(text: str, *, source: str) -> list[Statement]:
    """The lines of working, in order. The model's maths is inside delimiters; a student's lines
    may be plain text ("2x + 3 = 11") or LaTeX, one per line."""
    text = _THINK.sub(lambda m: "\n" * m.group().count("\n"), text)
    out: list[Statement] = []
    found = False
    for match in _MATH.finditer(text):
        found = True
        body = next(match.group(g) for g in ("d1", "d2", "d3", "i1", "i2") if match.group(g) is not None)
        inline = match.group("i1") is not None or match.group("i2") is not None
        if inline and "=" not in body and "\\approx" not in body:
            continue
        rows = _rows(body, line=_line_of(text, match.start()), block=body.strip())
        if inline and rows and rows[0].continues:
            # "Height $= 10 \times 2 = 20$ m": the left side is in the words before it, not the
            # previous formula's chain; what is in the formula is checked on its own.
            before = text[text.rfind("\n", 0, match.start()) + 1 : match.start()]
            if _PROSE_WORD.search(before):
                rows[0] = Statement(
                    text=rows[0].text[1:].lstrip(), line=rows[0].line, block=rows[0].block, continues=False
                )
        out.extend(rows)
    if source == "student" and not found:
        for number, raw in enumerate(text.split("\n"), start=1):
            line = raw.strip().rstrip(".,;").strip()
            if line and ("=" in line or "\\approx" in line):
                out.append(
                    Statement(text=line, line=number, block=raw.strip(), continues=line.startswith("="))
                )
    return out[:MAX_STEPS]


def _rows(body: str, *, line: int, block: str) -> list[Statement]:
    """An aligned block is one statement per row (`\\\\` outside matrices); `&` goes."""
    body = _ALIGN_ENV.sub(" ", body)
    rows: list[str] = []
    depth, start, index = 0, 0, 0
    while index < len(body):
        if body.startswith("\\begin{", index):
            depth += 1
        elif body.startswith("\\end{", index):
            depth -= 1
        elif body.startswith("\\\\", index) and depth == 0:
            rows.append(body[start:index])
            start = index + 2
            index += 2
            continue
        index += 1
    rows.append(body[start:])
    out = []
    for offset, row in enumerate(rows):
        cleaned = _top_level_ampersands_out(row).strip().rstrip(".,;").strip()
        if not cleaned:
            continue
        for part in _IMPLIES.split(cleaned):
            part = part.strip().rstrip(".,;").strip()
            if "=" in part or "\\approx" in part:
                out.append(
                    Statement(
                        text=part,
                        line=line + offset if "\n" in body else line,
                        block=block,
                        continues=part.startswith("="),
                    )
                )
    return out


def _top_level_ampersands_out(row: str) -> str:
    out, depth, index = [], 0, 0
    while index < len(row):
        if row.startswith("\\begin{", index):
            depth += 1
        elif row.startswith("\\end{", index):
            depth -= 1
        if row[index] == "&" and depth == 0 and (index == 0 or row[index - 1] != "\\"):
            index += 1
            continue
        out.append(row[index])
        index += 1
    return "".join(out)


def _parts(text: str) -> list[tuple[str, str]]:
    """'a = b \\approx c' -> [('', 'a'), ('=', 'b'), ('approx', 'c')], split at top-level relations."""
    parts: list[tuple[str, str]] = []
    depth, start, relation, index = 0, 0, "", 0
    while index < len(text):
        char = text[index]
        if char in "{([":
            depth += 1
        elif char in "})]":
            depth -= 1
        elif depth == 0 and char == "=" and text[index - 1 : index] not in ("<", ">", "!", "\\"):
            parts.append((relation, text[start:index]))
            relation, start = "=", index + 1
        elif depth == 0 and text.startswith("\\approx", index):
            parts.append((relation, text[start:index]))
            relation, start = "approx", index + len("\\approx")
            index = start
            continue
        index += 1
    parts.append((relation, text[start:]))
    return [(rel, part.strip()) for rel, part in parts]


# --- reading one side -----------------------------------------------------------------------------


def _unit_value(text: str) -> Any | None:
    """pint unit text -> SymPy factor in base units (km -> 1000*unit_meter); None if not a unit."""
    if text.strip().lower() in {"or", "and", "so", "if", "then", "for", "where", "in", "at", "a", "is"}:
        return None
    unit = unitlib.parse_unit(text)
    if unit is None:
        return None
    try:
        base = unitlib.REGISTRY.Quantity(1, unit).to_base_units()
    except Exception:  # noqa: BLE001 - offset units (°C) and odd definitions: not converted
        return None
    value = sp.nsimplify(float(base.magnitude), rational=True)
    for name, power in base.units._units.items():  # noqa: SLF001 - pint's public API has no dict of powers
        value *= sp.Symbol(f"unit_{name}", positive=True) ** sp.nsimplify(power)
    return value


_LABEL = re.compile(r"(?:\\tag\*?\{[^{}]*\}|(?:\\q?quad|\\[,;: ])\s*\((?:[^()]|\([^()]*\))*\))\s*$")


def _clean(text: str) -> str:
    text = text.strip()
    text = re.sub(r"\\boxed\s*\{(.*)\}", r"\1", text)
    # Equation labels and side conditions: `2x = 4 \quad (2)`, `= x + 3 \quad (x \neq 3)`, `\tag{1}`.
    text = _LABEL.sub("", text)
    text = _REMARK.sub("", text)
    # 24\,000 and 1{,}000 are one number; \mathrm{d}x is the d of an integral, not a day.
    text = without_thousands_marks(text)
    text = re.sub(r"\\(?:mathrm|text|operatorname)\s*\{\s*d\s*\}", "d", text)
    text = re.sub(r"(?<=[\d}\s])\\Omega\b", r"\\text{ohm}", text)
    text = re.sub(r"(\\[,;:! ]|\\q?quad|~|\s)+$", "", text)
    return text.strip().rstrip(".,;").strip()


def read_side(text: str, *, latex: bool) -> Any:
    """One side of a link as a SymPy object; units become base-unit symbols. Raises ReadError."""
    text = _clean(text)
    if not text:
        raise ReadError("empty side")
    if len(text) > MAX_INPUT_CHARS:
        raise ReadError("too long")
    if not latex:
        # A student's plain line: '2x + 3', '3*2^2'; units typed plainly are read by `read`.
        try:
            value = read(text)
        except ReadError:
            value = None
        if value is not None and value.kind in ("number", "expr"):
            return value.obj
        if value is not None and value.kind == "quantity":
            return value.obj * (_unit_value(value.unit_text) or 1)
        obj, _ = parse_plain(text)
        return obj
    units: dict[sp.Symbol, Any] = {}

    def swap(match: re.Match[str]) -> str:
        inner = match.group(1)
        power = match.group(2) or ""
        unit = _unit_value(inner + re.sub(r"\s", "", power).replace("{", "").replace("}", ""))
        if unit is None:
            raise ReadError(f"words in the maths: {inner!r}")
        placeholder = sp.Symbol(f"Upsilon_{len(units)}")
        units[placeholder] = unit
        return f" \\Upsilon_{{{len(units) - 1}}} "

    text = _UNIT_TEXT.sub(swap, text)
    # latex2sympy reads (2)(5) as 7 and 2(3) as 5: products of brackets are made explicit.
    text = re.sub(r"\\(?:left|right)(?=[()\[\]])", "", text)
    text = re.sub(r"(?<=[\d)])\s*(?=\()", r" \\cdot ", text)
    # x(1), a(40): a letter times a bracketed number, not a function called x (\sin(2) stays).
    text = re.sub(
        r"(\\?[A-Za-z]+)\s*\((-?\d+(?:\.\d+)?)\)",
        lambda m: m.group(0) if m.group(1).startswith("\\") else f"{m.group(1)} \\cdot ({m.group(2)})",
        text,
    )
    if _LEIBNIZ.search(text):
        raise ReadError("a derivative named by its letters")
    text = _wrap_derivatives(text)
    if re.search(
        r"\\(?:text|mathrm|operatorname|vec|hat|overline|det|lim|sum_|prod_)|\\left\[|\]_|\|_", text
    ):
        raise ReadError("notation the checker doesn't read")
    obj, _ = parse_latex(text)
    if isinstance(obj, sp.Basic) and units:
        obj = obj.xreplace(units)
    return obj


_DERIVATIVE = re.compile(r"\\frac\s*\{\s*d\s*\}\s*\{\s*d\s*[a-z]\s*\}")


def _group_end(text: str, start: int) -> int | None:
    """The index after the bracketed group opening at `start` ('(x^3 + 1)', '[x^2]'), or None."""
    if start >= len(text) or text[start] not in "([":
        return None
    opening, closing = text[start], {"(": ")", "[": "]"}[text[start]]
    depth = 0
    for index in range(start, len(text)):
        if text[index] == opening:
            depth += 1
        elif text[index] == closing:
            depth -= 1
            if depth == 0:
                return index + 1
    return None


def _wrap_derivatives(text: str) -> str:
    """d/dx(x^3) sin x: the grammar differentiates everything to its right, the writer meant
    (x^3). Each operator applied to a bracket is wrapped with it; one applied to what follows
    without a bracket is only read at the start of a side (its extent is the whole side)."""
    out, index = [], 0
    for match in _DERIVATIVE.finditer(text):
        if match.start() < index:
            continue
        rest = match.end() + len(text[match.end() :]) - len(text[match.end() :].lstrip())
        end = _group_end(text, rest)
        if end is not None and text[end:].lstrip().startswith(("^", "_")):
            end = None  # d/dx (2x + 1)^5: the power belongs to what is differentiated
        if end is None:
            if text[: match.start()].strip():
                raise ReadError("a derivative whose extent isn't clear")
            return text
        out.append(text[index : match.start()] + "(" + text[match.start() : end] + ")")
        index = end
    out.append(text[index:])
    return "".join(out)


def _is_name(obj: Any) -> bool:
    """A lone letter or f(x): the left side of a definition, not something to check."""
    if isinstance(obj, sp.Symbol):
        return True
    if isinstance(obj, sp.Basic) and obj.atoms(sp.core.function.AppliedUndef):
        return True
    return False


def _unit_symbols(obj: Any) -> set[sp.Symbol]:
    return {s for s in getattr(obj, "free_symbols", set()) if s.name.startswith("unit_")}


def _letters(obj: Any) -> set[sp.Symbol]:
    return {s for s in getattr(obj, "free_symbols", set()) if not s.name.startswith("unit_")}


def _decimals(text: str) -> int | None:
    """Decimal places of a side written as one rounded number ('37.5', '29.4 m/s'), else None."""
    found = _DECIMAL.findall(text)
    if len(found) != 1:
        return None
    return len(found[0])


# --- judging ----------------------------------------------------------------------------------------


def _link_holds(left: Any, right: Any, *, approx: bool, left_text: str, right_text: str) -> bool | None:
    """Does `left = right` hold as an identity? None: can't say (sets, relations, odd objects)."""
    if isinstance(left, sp.MatrixBase) or isinstance(right, sp.MatrixBase):
        if not (isinstance(left, sp.MatrixBase) and isinstance(right, sp.MatrixBase)):
            return None
        if left.shape != right.shape:
            return False
        return all(
            expressions_equal(sp.nsimplify(a), sp.nsimplify(b)).equal
            for a, b in zip(left, right, strict=True)
        )
    if not (isinstance(left, sp.Expr) and isinstance(right, sp.Expr)):
        return None
    if left.atoms(sp.core.function.AppliedUndef) or right.atoms(sp.core.function.AppliedUndef):
        return None  # f(2), v(t): values of functions we weren't given
    if _unit_symbols(left) and not _unit_symbols(right) or _unit_symbols(right) and not _unit_symbols(left):
        # `½(3)(5)^2 = 37.5 m`: numbers substituted without their units; the values are judged.
        ones = {s: 1 for s in _unit_symbols(left) | _unit_symbols(right)}
        left, right = left.xreplace(ones), right.xreplace(ones)
    constants = {s: 0 for s in (left.free_symbols ^ right.free_symbols) if s.name in _CONSTANTS}
    if constants:
        left, right = left.xreplace(constants), right.xreplace(constants)
    if not _letters(left) and not _letters(right):
        units = _unit_symbols(left) | _unit_symbols(right)
        if units:
            # Both sides in base units (km/h -> m/s): the same dimensions, then the same size.
            try:
                ratio = sp.simplify(left / right) if right != 0 else None
            except (TypeError, ValueError, ZeroDivisionError):
                return None
            if ratio is None or ratio.free_symbols:
                return False if ratio is not None else None
            ones = {u: 1 for u in units}
            left, right = left.xreplace(ones), right.xreplace(ones)
        try:
            a, b = complex(sp.N(left, 30)), complex(sp.N(right, 30))
        except (TypeError, ValueError):
            return None
        if a != a or b != b:
            return None
        return abs(a - b) <= _allowed(a, b, approx=approx, left_text=left_text, right_text=right_text)
    equality = expressions_equal(left, right, positive=bool(_unit_symbols(left) | _unit_symbols(right)))
    if equality.equal:
        return True
    if approx or _decimals(left_text) is not None or _decimals(right_text) is not None:
        return None  # rounded decimals with letters: not judged either way
    return False


def _allowed(a: complex, b: complex, *, approx: bool, left_text: str, right_text: str) -> float:
    """How far apart two values may be: a side written as a rounded decimal ('37.5', '20.8 m/s')
    may be off by one unit of its last place, relative to the number as written; with \\approx, 0.6 %."""
    relative = 1e-9
    for text in (right_text, left_text):
        places = _decimals(text) if text else None
        if places is not None:
            written = float(_DECIMAL.search(text).group(0))  # type: ignore[union-attr]
            if written:
                # A whole unit of the last place: models truncate as well as round (2/3 = 0.666).
                relative = max(relative, 10.0**-places * 1.000001 / written)
            break
    if approx:
        relative = max(relative, 0.006)
    return relative * max(1.0, abs(a), abs(b)) if relative == 1e-9 else relative * max(abs(a), abs(b))


def _values_of(equation_text: str, left: Any, right: Any, symbol: sp.Symbol, *, latex: bool) -> Any:
    """The real solutions of one equation line in `symbol` ('x = 2 or x = -2' too)."""
    try:
        value = read(_clean(equation_text))
        if value.kind in ("alternatives", "equation"):
            values = as_values(value, symbol)
            if values is not None and isinstance(values, sp.FiniteSet):
                return values
    except ReadError:
        pass
    if isinstance(right, sp.FiniteSet) and left == symbol:
        return right
    if not (isinstance(left, sp.Expr) and isinstance(right, sp.Expr)):
        return None
    solved = solution_set(sp.Eq(left, right))
    if solved is None or isinstance(solved[0], sp.ConditionSet):
        return None
    return solved[0]


def _contains(big: Any, small: Any) -> bool:
    if not (isinstance(big, sp.FiniteSet) and isinstance(small, sp.FiniteSet)) or not small:
        return False
    tol = Tolerance(value=1e-6, exact=False)
    return all(any(sets_equal(sp.FiniteSet(s), sp.FiniteSet(b), tol) for b in big) for s in small)


def _set_of(left: Any, right: Any, symbol: sp.Symbol) -> Any:
    solved = solution_set(sp.Eq(left, right))
    return None if solved is None or isinstance(solved[0], sp.ConditionSet) else solved[0]


def judge_equation(
    context: Context, left: Any, right: Any, text: str, *, latex: bool, first: bool
) -> tuple[str, str]:
    """An equation line (not an identity): (status, what it should follow from or why unjudged)."""
    letters = _letters(left) | _letters(right)
    left_plain = left.xreplace({s: 1 for s in _unit_symbols(left)}) if isinstance(left, sp.Basic) else left
    right_plain = (
        right.xreplace({s: 1 for s in _unit_symbols(right)}) if isinstance(right, sp.Basic) else right
    )
    tol = Tolerance(value=1e-6, exact=False)
    if context.system is not None and letters and letters <= set(context.unknowns):
        for solution in context.system:
            try:
                difference = complex(sp.N((left_plain - right_plain).subs(solution), 30))
            except (TypeError, ValueError):
                return UNJUDGED, "can't put the solution in"
            if abs(difference) > 1e-7 * max(1.0, abs(complex(sp.N(left_plain.subs(solution), 30)))):
                return FAILED, context.problem_text
        return PASSED, ""
    if len(letters) != 1:
        if isinstance(left, sp.Symbol) and not _letters(right) and left not in context.unknowns:
            # `a = 3 m/s^2`: a value given or found; a later link may substitute it.
            known = context.env.get(left)
            context.env[left] = right
            if (
                known is not None
                and _link_holds(known, right, approx=False, left_text="", right_text=text) is False
            ):
                return FAILED, f"{sp.latex(left)} = {sp.latex(known)}"
            return ("definition", "") if known is None else (PASSED, "")
        if _is_name(left):
            return "definition", ""
        return UNJUDGED, "an equation in several letters"
    symbol = next(iter(letters))
    if context.problem_set is not None and symbol in context.unknowns:
        values = _values_of(text, left_plain, right_plain, symbol, latex=latex)
        if values is None:
            return UNJUDGED, "couldn't solve this line"
        target = context.problem_set
        if sets_equal(target, values, tol):
            context.last_equation[symbol] = (values, text)
            return PASSED, ""
        if not (isinstance(target, sp.FiniteSet) and isinstance(values, sp.FiniteSet)):
            # sin x = 1/2 has infinitely many solutions; a line picking some is not judged here.
            return UNJUDGED, "infinitely many solutions"
        if isinstance(left, sp.Symbol) and _contains(target, values):
            return PASSED, ""  # one case of several: x = 2 (and x = -2 on the next line)
        if context.radicals:
            # |2x - 1| = 5 splits into cases; squaring a root may add solutions the answer
            # check then rejects. A line's values must lie among those the working allowed so far.
            if _contains(values, target) and isinstance(values, sp.FiniteSet):
                context.widest = sp.Union(context.widest, values) if context.widest is not None else values
                return PASSED, ""
            allowed = sp.Union(target, context.widest) if context.widest is not None else target
            if isinstance(allowed, sp.FiniteSet) and _contains(allowed, values):
                return PASSED, ""
        previous = context.last_equation.get(symbol)
        return FAILED, previous[1] if previous else context.problem_text
    previous = context.last_equation.get(symbol)
    if (
        isinstance(left, sp.Symbol)
        and left not in context.unknowns
        and not _letters(right)
        and previous is None
    ):
        context.env[left] = right
        return "definition", ""
    if context.compute and _letters(left) and _letters(right):
        # In a 'differentiate/simplify' problem an equation with letters on both sides claims an
        # identity: (x - 1)^2 = x^2 - 2x - 1 is wrong, not a new equation to solve.
        return FAILED, ""
    values = _set_of(left_plain, right_plain, symbol)
    if values is None:
        return UNJUDGED, "couldn't solve this line"
    if previous is None:
        context.last_equation[symbol] = (values, text)
        return UNJUDGED, "sets up an equation"
    before, before_text = previous
    if sets_equal(before, values, tol) or (isinstance(left, sp.Symbol) and _contains(before, values)):
        context.last_equation[symbol] = (values, text)
        return PASSED, ""
    if not (isinstance(before, sp.FiniteSet) and isinstance(values, sp.FiniteSet)):
        return UNJUDGED, "infinitely many solutions"
    return FAILED, before_text


def _judge_alternatives(context: Context, statement: Statement, steps: list[Step]) -> bool:
    """'x = 2 \\text{ or } x = 3' as one step: the values must be the problem's (or the last equation's)."""
    text = re.sub(r"\\q?quad", " ", statement.text)
    text = re.sub(r"\\text\{\s*or\s*\}", " or ", text)
    try:
        value = read(_clean(text))
    except (ReadError, ValueError, TypeError, AttributeError, RecursionError):
        return False
    if value.kind != "alternatives":
        return False
    letters = _letters(sp.Tuple(*value.obj))
    if len(letters) != 1:
        return False
    values = as_values(value, None)
    if values is None:
        # x - 2 = 0 or x - 3 = 0: the union of each equation's solutions.
        symbol = next(iter(letters))
        pieces = [_set_of(item.lhs, item.rhs, symbol) for item in value.obj if isinstance(item, sp.Equality)]
        if len(pieces) != len(value.obj) or any(piece is None for piece in pieces):
            return False
        values = sp.Union(*pieces)
    if not isinstance(values, sp.FiniteSet):
        return False
    symbol = next(iter(letters))
    step = Step(
        index=len(steps) + 1, line=statement.line, latex=statement.text[:300], block=statement.block[:2000]
    )
    steps.append(step)
    tol = Tolerance(value=1e-6, exact=False)
    if context.problem_set is not None and symbol in context.unknowns:
        target, target_text = context.problem_set, context.problem_text
    elif symbol in context.last_equation:
        target, target_text = context.last_equation[symbol]
    else:
        step.reason = "nothing to compare these values with"
        return True
    if sets_equal(target, values, tol) or (context.radicals and _contains(values, target)):
        step.status = PASSED
    else:
        step.status = FAILED
        step.reason = f"step {{n}}: `{statement.text}` does not follow from `{target_text}`"
    return True


def _judge_statement(context: Context, statement: Statement, steps: list[Step], *, latex: bool) -> None:
    if (
        statement.text.count("=") >= 2
        and _OR.search(statement.text)
        and _judge_alternatives(context, statement, steps)
    ):
        return
    parts = _parts(statement.text)
    if statement.continues and context.last_part is not None:
        value, value_text = context.last_part
        parts = [("", value_text)] + parts[1:]
        known_first: Any = value
    else:
        known_first = None
    if len(parts) < 2:
        return
    try:
        values = [
            known_first if i == 0 and known_first is not None else read_side(p, latex=latex)
            for i, (_, p) in enumerate(parts)
        ]
    except (ReadError, ValueError, TypeError, AttributeError, RecursionError, IndexError, KeyError):
        values = None
    first_step = len(steps)
    if values is None:
        # Read what can be read: an unreadable side leaves its links unjudged.
        values = []
        for i, (_, p) in enumerate(parts):
            if i == 0 and known_first is not None:
                values.append(known_first)
                continue
            try:
                values.append(read_side(p, latex=latex))
            except (ReadError, ValueError, TypeError, AttributeError, RecursionError, IndexError, KeyError):
                values.append(None)
    for i in range(1, len(parts)):
        relation, right_text = parts[i]
        left_text = parts[i - 1][1]
        link = f"{left_text} {'=' if relation == '=' else APPROX} {right_text}"
        left, right = values[i - 1], values[i]
        step = Step(index=len(steps) + 1, line=statement.line, latex=link[:300], block=statement.block[:2000])
        steps.append(step)
        if left is None or right is None:
            step.reason = "couldn't read this step"
            continue
        if isinstance(left, sp.Basic) and context.env:
            left = left.xreplace({k: v for k, v in context.env.items() if k not in _letters(right) or True})
        if isinstance(right, sp.Basic) and context.env and not (i == 1 and isinstance(values[0], sp.Symbol)):
            right = right.xreplace(context.env)
        if i == 1 and _is_name(values[0]) and isinstance(values[0], sp.Symbol) is False:
            # f(x) = ..., f'(2) = ...: a name being given a value, not a claim to check.
            step.status, step.reason = "definition", ""
            continue
        holds = _link_holds(
            left, right, approx=relation == "approx", left_text=left_text, right_text=right_text
        )
        if holds:
            step.status = PASSED
            continue
        sides_letters = _letters(left) | _letters(right)
        is_equation = (
            holds is False
            and sides_letters
            # A chain's first link (`x = 8/2 = 4`), or its last when it ends in a number
            # (`... = λ^2 - 5λ + 4 = 0`), is an equation; a middle link must be an identity.
            and (len(parts) == 2 or i == 1 or (i == len(parts) - 1 and not _letters(right)))
        )
        if holds is None and not sides_letters:
            step.reason = "couldn't compare this step"
            continue
        if holds is None or is_equation:
            if not isinstance(left, sp.Expr) and not isinstance(right, sp.FiniteSet):
                step.reason = "couldn't read this step"
                continue
            if (
                isinstance(values[i - 1], sp.Symbol)
                and i == 1
                and not (context.unknowns and values[i - 1] in context.unknowns)
            ):
                status, detail = judge_equation(context, values[0], right, link, latex=latex, first=True)
            elif (
                _letters(left)
                and not _letters(right)
                and context.unknowns
                and not (_letters(left) <= set(context.unknowns))
            ):
                step.reason = "substitutes values the checker doesn't know"
                continue
            else:
                status, detail = judge_equation(
                    context, left, right, f"{left_text} = {right_text}", latex=latex, first=i == 1
                )
            if status == "definition":
                step.status = "definition"
            elif status == FAILED:
                step.status = FAILED
                step.reason = (
                    f"step {{n}}: `{link}` does not follow from `{detail}`"
                    if detail
                    else f"step {{n}}: `{left_text}` is not equal to `{right_text}`"
                )
            else:
                step.status, step.reason = status, detail
            continue
        if _letters(left) != _letters(right) and (not _letters(left) or not _letters(right)):
            step.reason = "substitutes values the checker doesn't know"
            continue
        step.status = FAILED
        step.reason = f"step {{n}}: `{left_text}` is not equal to `{right_text}`"
    last = values[-1]
    if last is not None:
        context.last_part = (last, parts[-1][1])
        if (
            isinstance(values[0], sp.Symbol)
            and not _letters(last)
            and values[0] not in context.unknowns
            and values[0] not in context.last_equation
            and all(step.status != FAILED for step in steps[first_step:])
        ):
            # s = ½(3)(5)^2 = 37.5 m: s is known from here on.
            context.env.setdefault(values[0], last)


# --- the problem ------------------------------------------------------------------------------------


def read_problem(problem: str) -> Context:
    context = Context()
    equations: list[tuple[Any, str]] = []
    for match in _MATH.finditer(problem or ""):
        body = next(match.group(g) for g in ("d1", "d2", "d3", "i1", "i2") if match.group(g) is not None)
        for piece in re.split(r",\s*|\\quad|\\text\{\s*and\s*\}|\\\\", _ALIGN_ENV.sub(" ", body)):
            piece = _top_level_ampersands_out(piece).strip()
            if piece.count("=") != 1 or re.search(r"[<>]|\\[lg]eq?|\\neq", piece):
                continue
            left_text, right_text = piece.split("=")
            try:
                left, right = read_side(left_text, latex=True), read_side(right_text, latex=True)
            except (ReadError, ValueError, TypeError, AttributeError, RecursionError):
                continue
            if not (isinstance(left, sp.Expr) and isinstance(right, sp.Expr)):
                continue
            if isinstance(left, sp.Symbol) and not _letters(right):
                context.env[left] = right  # a given value: u = 0 m/s
            elif _is_name(left) or not (_letters(left) | _letters(right)):
                continue
            else:
                equations.append((sp.Eq(left, right), piece))
    if not equations:
        context.compute = bool(_COMPUTE.search(problem or ""))
        return context
    unknowns = sorted(set().union(*(_letters(eq) for eq, _ in equations)), key=lambda s: s.name)
    context.unknowns = unknowns
    context.problem_text = " , ".join(text for _, text in equations)
    context.radicals = any(
        isinstance(node, sp.Abs)
        or (isinstance(node, sp.Pow) and node.exp.is_Rational and not node.exp.is_Integer)
        for eq, _ in equations
        for node in sp.preorder_traversal(eq)
    )
    if len(unknowns) == 1 and len(equations) == 1:
        solved = solution_set(equations[0][0])
        if solved is not None and not isinstance(solved[0], sp.ConditionSet):
            context.problem_set = solved[0]
        else:
            context.unknowns = []
    else:
        try:
            solutions = sp.solve([eq for eq, _ in equations], unknowns, dict=True)
        except (NotImplementedError, TypeError, ValueError):
            solutions = []
        if solutions and all(
            set(s) == set(unknowns) and not _letters(sp.Tuple(*s.values())) for s in solutions
        ):
            context.system = solutions
        else:
            context.unknowns = []
    return context


# --- the job ----------------------------------------------------------------------------------------


def _alarm(signum: int, frame: object) -> None:
    raise StepTimeout


def check_steps(
    problem: str,
    text: str,
    *,
    source: str = "model",
    step_seconds: float = STEP_SECONDS,
    total_seconds: float = TOTAL_SECONDS,
) -> dict[str, Any]:
    """Judge every step of a worked solution. Never raises for any input."""
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    started = time.monotonic()
    deadline = started + total_seconds
    timers = _Timers()
    steps: list[Step] = []
    errors: list[str] = []
    try:
        with timers:
            try:
                timers.arm(min(step_seconds, total_seconds))
                context = read_problem(problem)
            except StepTimeout:
                context = Context()
            finally:
                timers.disarm()
            for statement in statements(text, source=source):
                left = deadline - time.monotonic()
                before = len(steps)
                if left <= 0:
                    steps.append(
                        Step(
                            len(steps) + 1,
                            statement.line,
                            statement.text[:300],
                            statement.block[:2000],
                            UNJUDGED,
                            "no time left",
                        )
                    )
                    continue
                try:
                    timers.arm(min(step_seconds, left))
                    _judge_statement(
                        context, statement, steps, latex=source == "model" or _looks_latex(statement.text)
                    )
                except StepTimeout:
                    _leave_unjudged(steps, before, statement, "took too long to check")
                except (
                    ReadError,
                    ValueError,
                    TypeError,
                    AttributeError,
                    RecursionError,
                    ZeroDivisionError,
                    NotImplementedError,
                    KeyError,
                    IndexError,
                ):
                    _leave_unjudged(steps, before, statement, "couldn't read this step")
                except Exception as exc:  # noqa: BLE001 - a bug of ours on one step: that step goes unjudged, the parent logs it
                    _leave_unjudged(steps, before, statement, "the checker failed on this step")
                    if len(errors) < 3:
                        errors.append("".join(traceback.format_exception(exc, limit=-6)))
                finally:
                    timers.disarm()
    except StepTimeout:
        pass
    return {**summary(steps, source=source), "errors": errors}


def _leave_unjudged(steps: list[Step], before: int, statement: Any, reason: str) -> None:
    """Drop what a statement's judging had added and count the statement as one unjudged step."""
    del steps[before:]
    steps.append(
        Step(len(steps) + 1, statement.line, statement.text[:300], statement.block[:2000], UNJUDGED, reason)
    )


def _looks_latex(text: str) -> bool:
    return "\\" in text or bool(re.search(r"[\^_]\{", text))


def summary(steps: list[Step], *, source: str = "model") -> dict[str, Any]:
    kept = [s for s in steps if s.status != "definition"]
    for number, step in enumerate(kept, start=1):
        step.index = number
        # A student's working is talked about by its lines, a model's solution by its steps.
        step.reason = step.reason.replace(
            "step {n}", f"line {step.line}" if source == "student" else f"step {number}"
        )
    first = next((s for s in kept if s.status == FAILED), None)
    passed = sum(s.status == PASSED for s in kept)
    failed = sum(s.status == FAILED for s in kept)
    unjudged = sum(s.status == UNJUDGED for s in kept)
    return {
        "status": "failed" if first else "passed",
        "steps": [s.to_dict() for s in kept],
        "total": len(kept),
        "checked": passed + failed,
        "passed": passed,
        "failed": failed,
        "unjudged": unjudged,
        "failed_step": first.index if first else None,
        "failed_line": first.line if first else None,
        "reason": first.reason if first else "",
    }


class _Timers:
    """Per-step alarms inside the worker's own job alarm: the job's timer is put back afterwards
    with what was left of it. Outside a main thread (tests in threads) no alarm is used."""

    def __enter__(self) -> _Timers:
        self.outer_deadline = None
        self.handler = None
        try:
            remaining, _ = signal.getitimer(signal.ITIMER_REAL)
            self.handler = signal.signal(signal.SIGALRM, _alarm)
        except ValueError:
            return self
        if remaining > 0:
            self.outer_deadline = time.monotonic() + remaining
        return self

    def arm(self, seconds: float) -> None:
        if self.handler is not None and seconds > 0:
            signal.setitimer(signal.ITIMER_REAL, seconds)

    def disarm(self) -> None:
        if self.handler is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)

    def __exit__(self, *exc: object) -> None:
        if self.handler is None:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.handler)
        if self.outer_deadline is not None:
            signal.setitimer(signal.ITIMER_REAL, max(0.001, self.outer_deadline - time.monotonic()))


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    try:
        budget = float(job.get("total_seconds") or TOTAL_SECONDS)
        return check_steps(
            str(job.get("problem") or ""),
            str(job.get("text") or ""),
            source=str(job.get("source") or "model"),
            step_seconds=float(job.get("step_seconds") or STEP_SECONDS),
            total_seconds=budget,
        )
    except (RecursionError, MemoryError):
        return summary([])
