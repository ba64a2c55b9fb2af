"""Moodle XML: numerical, shortanswer, multichoice, truefalse and calculated (one set of values).

Over 400 lines on purpose: every Moodle question type is read by the same linear tag scanner
and checked against the same bounds; split by type, the bounds would be repeated in each.
"""

from __future__ import annotations

import ast
import html
import math
import operator
import re
from typing import Any

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from django.utils.text import slugify

from ..choices import choice_text
from .base import SET_TITLE_LIMIT, ImportProblem, SetSpec, UploadRefused, reached
from .calculated import (
    Untranslatable,
    constraints_from_tags,
    dataset_variables,
    formula_to_ours,
    inline_to_ours,
)
from .cloze import cloze_item
from .readers import NUMBER, guess_type, problem_from_mapping

CALCULATED = ("calculated", "calculatedsimple", "calculatedmulti")
SKIPPED_QUIETLY = ("description",)


def read_moodle(filename: str, text: str, stem: str) -> SetSpec:
    spec = SetSpec(key=stem, title=stem.replace("-", " ").capitalize(), source_format="moodle")
    try:
        root = SafeET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise UploadRefused(
            f"{filename}: the XML was refused because it declares a DTD or entities ({type(exc).__name__}). "
            "Moodle never writes those; a file that has them may be trying to read files on the server "
            "or to exhaust its memory."
        ) from exc
    except SafeET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        spec.problems_found.append(ImportProblem(f"{filename}, line {line}", "", f"not valid XML: {exc}"))
        return spec
    if root.tag != "quiz":
        spec.problems_found.append(
            ImportProblem(f"{filename}, line 1", "", "a Moodle XML file starts with <quiz>")
        )
        return spec
    lines = _question_lines(text)
    used = Keys()
    index = 0
    for number, question in enumerate(root.findall("question")):
        where = (
            f"{filename}, line {lines[number]}"
            if number < len(lines)
            else f"{filename}, question {number + 1}"
        )
        reached(where)
        if spec.must_stop(where):
            break
        kind = question.get("type", "")
        if kind == "category":
            category = _plain(question.find("category/text"))
            parts = [p for p in category.split("/") if p and p not in ("$course$", "$system$", "top", "Top")]
            if parts and not parts[-1].startswith("Default for"):
                spec.title = parts[-1][:SET_TITLE_LIMIT]
            continue
        if kind in SKIPPED_QUIETLY:
            continue
        index += 1
        name = _plain(question.find("name/text"))
        if kind == "multianswer":
            # Cloze: the blanks become the parts of one problem (importers/cloze.py).
            cloze = cloze_item(
                statement=_rich(question.find("questiontext")),
                name=name,
                where=where,
                found=spec.problems_found,
            )
            if cloze is not None:
                cloze.update(
                    key=used.unique(slugify(name)[:60] or f"q{index}"),
                    title=name[:200],
                    solution=_rich(question.find("generalfeedback")),
                )
                problem = problem_from_mapping(cloze, where, spec.problems_found, default_key=f"q{index}")
                if problem is not None:
                    spec.add(problem)
            continue
        if kind not in ("numerical", "shortanswer", "multichoice", "truefalse", *CALCULATED):
            spec.warnings.append(
                f"{where}: '{name}' is {'an' if kind[:1] in 'aeiou' else 'a'} {kind or 'untyped'} question, "
                "which the tutor can't check; it was skipped."
            )
            continue
        item = _question(question, kind, name, where, spec, used, index)
        if item is not None:
            problem = problem_from_mapping(item, where, spec.problems_found, default_key=f"q{index}")
            if problem is not None:
                spec.add(problem)
    return spec


def _question(
    question: Any, kind: str, name: str, where: str, spec: SetSpec, used: Keys, index: int
) -> dict[str, Any] | None:
    statement = _rich(question.find("questiontext"))
    if "<img" in (question.findtext("questiontext/text") or ""):
        spec.warnings.append(f"{where}: '{name}' has images, which aren't imported.")
    idnumber = (question.findtext("idnumber") or "").strip()
    item: dict[str, Any] = {
        "key": used.unique(
            idnumber
            if re.fullmatch(r"[\w.\-]{1,80}", idnumber, re.ASCII)
            else slugify(name)[:60] or f"q{index}"
        ),
        "title": name[:200],
        "statement": statement,
        "hints": [hint for hint in (_rich(h) for h in question.findall("hint")) if hint],
        "solution": _rich(question.find("generalfeedback")),
    }
    answers = question.findall("answer")
    fractions = []
    for answer in answers:
        try:
            fractions.append(float(answer.get("fraction", "0") or 0))
        except ValueError:
            spec.problems_found.append(
                ImportProblem(where, "answer", f"fraction {answer.get('fraction')!r} is not a number")
            )
            return None
    best = answers[fractions.index(max(fractions))] if answers and max(fractions) > 0 else None
    if best is None:
        spec.problems_found.append(ImportProblem(where, "answer", f"question '{name}' has no right answer"))
        return None
    item["answer"] = _rich(best)
    if kind == "numerical":
        item["answer_type"] = "number"
        tolerance = (best.findtext("tolerance") or "").strip()
        if tolerance and tolerance not in ("0", "0.0"):
            item["tolerance"] = tolerance
            item["tolerance_mode"] = "absolute"  # Moodle's numerical tolerance is in the answer's units
        _units(question, item)
    elif kind == "shortanswer":
        answer = item["answer"]
        item["answer_type"] = (
            guess_type(answer, None)
            if NUMBER.fullmatch(answer) or re.search(r"[+*/^=()]", answer)
            else "text"
        )
    elif kind in ("multichoice", "truefalse"):
        item["answer_type"] = "choice"
        item["choices"] = [choice_text(_rich(a)) for a in answers]
        item["answer"] = choice_text(item["answer"])
        right = [text for text, f in zip(item["choices"], fractions, strict=True) if f > 0]
        if (question.findtext("single") or "true").strip().lower() in ("false", "0") and len(right) > 1:
            # <single>false</single>: checkboxes, and every option with a positive fraction is right.
            item["answer"] = "\n".join(right)
        elif len(right) > 1:
            spec.warnings.append(
                f"{where}: '{name}' has several right answers; only '{item['answer']}' is kept as the key."
            )
    else:
        return _calculated(question, best, item, name, where, spec, kind)
    return item


def _units(question: Any, item: dict[str, Any]) -> None:
    units = question.findall("units/unit")
    # The unit with multiplier 1 is the one the answer is written in.
    base = next((u for u in units if (u.findtext("multiplier") or "1").strip() in ("1", "1.0")), None)
    name = (base.findtext("unit_name") if base is not None else "") or ""
    if name.strip():
        item["units"] = name.strip()
        item["answer_type"] = "quantity"


def _calculated(
    question: Any, best: Any, item: dict[str, Any], name: str, where: str, spec: SetSpec, kind: str
) -> dict[str, Any] | None:
    """A calculated question becomes a randomised problem (calculated.py); one whose formula uses
    a function we can't key, or whose datasets can't be read, one fixed problem (below)."""
    fixed = dict(item)
    try:
        templated = calculated_template(question, best, item, kind, spec, where)
    except FormulaError as exc:
        spec.problems_found.append(
            ImportProblem(where, "answer", f"question '{name}': the formula {item['answer'][:100]!r} {exc}")
        )
        return None
    except Untranslatable as exc:
        if kind == "calculatedmulti":
            spec.warnings.append(
                f"{where}: '{name}' uses {exc}, which the tutor can't work out; it was skipped."
            )
            return None
        item = _calculated_fixed(question, best, fixed, name, where, spec)
        if item is not None:
            spec.warnings[-1] = spec.warnings[-1].replace(
                "; it was imported", f"; it uses {exc}, which the tutor can't vary, so it was imported"
            )
        return item
    return templated


def calculated_template(
    question: Any, best: Any, item: dict[str, Any], kind: str, spec: SetSpec, where: str
) -> dict[str, Any]:
    variables, notes = dataset_variables(question)
    if not variables:
        raise Untranslatable("no datasets")
    names = set(variables)
    constraints, same = constraints_from_tags(question)
    if kind == "calculatedmulti":
        answers = question.findall("answer")
        texts = [_rich(a) for a in answers]
        item["choices"] = [inline_to_ours(t if "{=" in t else "{=" + t + "}", names) for t in texts]
        item["answer"] = item["choices"][answers.index(best)]
        item["answer_type"] = "choice"
    else:
        values = _first_values(question)
        if values:
            evaluate_formula(item["answer"], values)  # floats: a huge power is an error here
        item["answer"] = formula_to_ours(item["answer"], names)
        _tolerance(best, item)
        item["answer_type"] = "number"
        _units(question, item)
    item["statement"] = inline_to_ours(item["statement"], names)
    item["hints"] = [inline_to_ours(h, names) for h in item["hints"]]
    item["solution"] = inline_to_ours(item["solution"], names)
    item["variables"] = variables
    if constraints:
        item["constraints"] = constraints
    if same:
        item["same_for_everyone"] = True
    for note in notes:
        spec.warnings.append(f"{where}: {note}.")
    return item


def _first_values(question: Any) -> dict[str, float]:
    values: dict[str, float] = {}
    for definition in question.findall("dataset_definitions/dataset_definition"):
        variable = _plain(definition.find("name/text"))
        items = definition.findall("dataset_items/dataset_item")
        if not variable or not items:
            continue
        first = min(items, key=lambda i: _number(i.findtext("number")) or 0)
        value = _number(first.findtext("value"))
        if value is not None:
            values[variable] = value
    return values


def _tolerance(best: Any, item: dict[str, Any]) -> None:
    tolerance = (best.findtext("tolerance") or "").strip()
    if tolerance and tolerance not in ("0", "0.0"):
        item["tolerance"] = tolerance
        # Moodle: 1 relative, 2 nominal (absolute), 3 geometric (close to relative).
        item["tolerance_mode"] = (
            "absolute" if (best.findtext("tolerancetype") or "1").strip() == "2" else "relative"
        )


def _calculated_fixed(
    question: Any, best: Any, item: dict[str, Any], name: str, where: str, spec: SetSpec
) -> dict[str, Any] | None:
    """A calculated question as one fixed problem, using the first saved values of its datasets."""
    values: dict[str, float] = {}
    for definition in question.findall("dataset_definitions/dataset_definition"):
        variable = _plain(definition.find("name/text"))
        items = definition.findall("dataset_items/dataset_item")
        if not variable or not items:
            continue
        first = min(items, key=lambda i: _number(i.findtext("number")) or 0)
        value = _number(first.findtext("value"))
        if value is not None:
            values[variable] = value
    if not values:
        spec.warnings.append(
            f"{where}: '{name}' is a calculated question with no saved values (random values only); it was skipped."
        )
        return None
    formula = item["answer"]
    try:
        item["answer"] = f"{evaluate_formula(formula, values):.10g}"
        item["statement"] = re.sub(
            r"\{=([^{}]*(?:\{\w+\}[^{}]*)*)\}",
            lambda m: f"{evaluate_formula(m.group(1), values):.6g}",
            item["statement"],
        )
        item["statement"] = re.sub(
            r"\{(\w+)\}",
            lambda m: f"{values[m.group(1)]:g}" if m.group(1) in values else m.group(0),
            item["statement"],
        )
    except FormulaError as exc:
        spec.problems_found.append(
            ImportProblem(where, "answer", f"question '{name}': the formula {formula[:100]!r} {exc}")
        )
        return None
    tolerance = (best.findtext("tolerance") or "").strip()
    if tolerance and tolerance not in ("0", "0.0"):
        item["tolerance"] = tolerance
        # Moodle: 1 relative, 2 nominal (absolute), 3 geometric (close to relative).
        item["tolerance_mode"] = (
            "absolute" if (best.findtext("tolerancetype") or "1").strip() == "2" else "relative"
        )
    item["answer_type"] = "number"
    _units(question, item)
    shown = ", ".join(f"{k} = {v:g}" for k, v in values.items())
    spec.warnings.append(
        f"{where}: '{name}' is a calculated question; it was imported with one set of values ({shown})."
    )
    return item


# --- a small, safe evaluator for Moodle formulas ---------------------------------------------------
#
# Floats only, so nothing can run for long: a Python int power is unbounded (floor(3.0)**floor(3e7)
# froze the server for 13 s), so floor, ceil and round give floats too, and a float that overflows
# raises OverflowError instead of growing.


class FormulaError(ValueError):
    pass


def _whole(function: Any) -> Any:
    return lambda x: float(function(x))


def _round(x: float, digits: float = 0.0) -> float:
    if not -15 <= digits <= 15:
        raise ValueError("round() to more than 15 places")
    return float(round(x, int(digits)))


_FUNCTIONS: dict[str, Any] = {
    "abs": abs,
    "acos": math.acos,
    "acosh": math.acosh,
    "asin": math.asin,
    "asinh": math.asinh,
    "atan": math.atan,
    "atan2": math.atan2,
    "atanh": math.atanh,
    "ceil": _whole(math.ceil),
    "cos": math.cos,
    "cosh": math.cosh,
    "deg2rad": math.radians,
    "exp": math.exp,
    "expm1": math.expm1,
    "floor": _whole(math.floor),
    "fmod": math.fmod,
    "log": math.log,
    "log10": math.log10,
    "log1p": math.log1p,
    "max": max,
    "min": min,
    "pi": lambda: math.pi,
    "pow": lambda a, b: a**b,
    "rad2deg": math.degrees,
    "round": _round,
    "sin": math.sin,
    "sinh": math.sinh,
    "sqrt": math.sqrt,
    "tan": math.tan,
    "tanh": math.tanh,
}
_OPERATORS: dict[type, Any] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _real(value: Any) -> float:
    """Every step's result: a finite float, or the formula is refused there."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FormulaError("doesn't give a real number with these values")
    value = float(value)
    if not math.isfinite(value):
        raise FormulaError("gives a number too large to work out (or no number) with these values")
    return value


def evaluate_formula(formula: str, values: dict[str, float]) -> float:
    if len(formula) > 500:
        raise FormulaError("is too long")
    missing = set(re.findall(r"\{(\w+)\}", formula)) - set(values)
    if missing:
        raise FormulaError(f"has no values for {', '.join(sorted(missing))}")
    expression = re.sub(r"\{(\w+)\}", lambda m: f"({values[m.group(1)]!r})", formula)
    try:
        tree = ast.parse(expression.replace("^", "**"), mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
        raise FormulaError("can't be read") from exc

    def walk(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, (int, float))
            and not isinstance(node.value, bool)
        ):
            return _real(float(node.value))
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _real(_OPERATORS[type(node.op)](walk(node.left), walk(node.right)))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
            return _real(_OPERATORS[type(node.op)](walk(node.operand)))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCTIONS
            and not node.keywords
        ):
            return _real(_FUNCTIONS[node.func.id](*(walk(arg) for arg in node.args)))
        raise FormulaError(
            f"uses something other than numbers, + - * / ^ and Moodle's functions ({type(node).__name__})"
        )

    try:
        return walk(tree)
    except OverflowError as exc:
        raise FormulaError("gives a number too large to work out with these values") from exc
    except (ArithmeticError, ValueError, TypeError, RecursionError) as exc:
        if isinstance(exc, FormulaError):
            raise
        raise FormulaError(f"can't be worked out with these values ({exc})") from exc


# --- text -------------------------------------------------------------------------------------


_SKIPPED_SPANS = {"<!--": "-->", "<![CDATA[": "]]>"}
_MARKUP_START = re.compile(r"<!--|<!\[CDATA\[|<question\b")


def _question_lines(text: str) -> list[int]:
    """The line of each <question>, skipping comments and CDATA (which keep their line breaks).

    One pass: each search starts where the last one ended.
    """
    lines: list[int] = []
    position, line = 0, 1
    while (match := _MARKUP_START.search(text, position)) is not None:
        line += text.count("\n", position, match.start())
        end = _SKIPPED_SPANS.get(match.group())
        if end is None:
            lines.append(line)
            position = match.end()
            continue
        closing = text.find(end, match.end())
        position = len(text) if closing < 0 else closing + len(end)
        line += text.count("\n", match.start(), position)
    return lines


def _plain(element: Any) -> str:
    return (element.text or "").strip() if element is not None else ""


def _rich(element: Any) -> str:
    """The text of a Moodle text element (<questiontext>, <answer>, <hint>...) as Markdown-ish text."""
    if element is None:
        return ""
    text = element.findtext("text") or ""
    if element.get("format", "html") == "html":
        text = html_to_text(text)
    return text.strip()


# `<[^<>]*>`, not `<[^>]*>`: with no `>` at all, the second reads to the end from every `<`.
_TAG = re.compile(r"<[^<>]*>")
_LINE_BREAKS = {"br", "/p", "/div", "/li"}


def html_to_text(value: str) -> str:
    """Moodle's HTML as plain text: x<sup>2</sup> becomes x^2, tags go, entities are decoded.

    One scan over the tags (a lazy `<sup>(.*?)</sup>` was quadratic: 40 000 <sup> took 40 s).
    """
    out: list[str] = []
    position = 0
    for tag in _TAG.finditer(value):
        out.append(value[position : tag.start()])
        words = tag.group()[1:-1].split()
        name = words[0].lower().rstrip("/") if words else ""
        if name in _LINE_BREAKS:
            out.append("\n")
        elif name == "sup":
            out.append("^")
        elif name == "sub":
            out.append("_")
        position = tag.end()
    out.append(value[position:])
    text = html.unescape("".join(out)).replace("\xa0", " ")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _number(text: str | None) -> float | None:
    try:
        return float((text or "").strip())
    except ValueError:
        return None


class Keys:
    """Unique problem keys. Moodle question names repeat ("Question 1" in every category); keys must
    not. Remembers the last number given to each name, so 100 000 repeats cost 100 000 steps, not
    5 billion."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.last: dict[str, int] = {}

    def unique(self, key: str) -> str:
        candidate, number = key, self.last.get(key, 1)
        if number > 1:
            candidate = f"{key}-{number}"
        while candidate in self.used:
            number += 1
            candidate = f"{key}-{number}"
        self.used.add(candidate)
        self.last[key] = number
        return candidate
