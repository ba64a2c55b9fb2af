"""Moodle's calculated questions (calculated, calculatedsimple, calculatedmulti) as our templates,
and our templates back as Moodle calculated questions.

Import: each dataset definition becomes a variable: `minimum`/`maximum`/`decimals` a range with the
step 10^-decimals, a definition with saved items only a list of them. The answer formula is
translated to our syntax (`{a}` stays, `pi()` -> pi, `pow(x, y)` -> x^y, `log` -> ln) by walking
its `ast`; a formula using a Moodle function we can't key (fmod, round, min, max...) keeps the old
import with the first saved values (moodle.py). Constraints, which Moodle doesn't have, travel as
question tags `phi-constraint: a != b`, so a set exported here imports back the same.

Export: ranges give minimum, maximum and decimals; every variable gets dataset items numbered
1-10 from the same ten variants (Moodle picks one item number for all of a question's datasets,
so each numbered row is a variant that meets the constraints); a variable worked out from others
is put into the formulas in brackets.
"""

from __future__ import annotations

import ast
import re
from fractions import Fraction
from typing import Any
from xml.sax.saxutils import escape

# Moodle functions our template engine and the checker's reader both know.
SUPPORTED = {
    "abs",
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "ceil",
    "cos",
    "cosh",
    "exp",
    "floor",
    "log",
    "log10",
    "pi",
    "pow",
    "sin",
    "sinh",
    "sqrt",
    "tan",
    "tanh",
}
CONSTRAINT_TAG = "phi-constraint:"
SAME_TAG = "phi-same-for-everyone"
ITEMS = 10
_BRACED = re.compile(r"\{(\w{1,40})\}")


class Untranslatable(ValueError):
    pass


def _names_in(formula: str) -> str:
    # {a} -> a; a name that isn't a Python identifier can't be a template variable.
    return _BRACED.sub(lambda m: m.group(1) if m.group(1)[0].isalpha() else "_bad_", formula)


class _ToOurs(ast.NodeTransformer):
    def __init__(self, variables: set[str]) -> None:
        self.variables = variables

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if not isinstance(node.func, ast.Name) or node.func.id not in SUPPORTED or node.keywords:
            name = node.func.id if isinstance(node.func, ast.Name) else "?"
            raise Untranslatable(f"the function {name}")
        args = [self.visit(arg) for arg in node.args]
        if node.func.id == "pi":
            return ast.Name("pi")
        if node.func.id == "pow" and len(args) == 2:
            return ast.BinOp(args[0], ast.Pow(), args[1])
        name = {"log": "ln"}.get(node.func.id, node.func.id)
        return ast.Call(ast.Name(name), args, [])

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id not in self.variables:
            raise Untranslatable(f"{node.id}, which has no dataset")
        return ast.Name("{" + node.id + "}")

    def generic_visit(self, node: ast.AST) -> ast.AST:
        allowed = (
            ast.Expression,
            ast.BinOp,
            ast.UnaryOp,
            ast.Constant,
            ast.operator,
            ast.unaryop,
            ast.expr_context,
        )
        if not isinstance(node, allowed):
            raise Untranslatable(type(node).__name__)
        if isinstance(node, ast.BinOp) and isinstance(
            node.op, ast.Mod | ast.FloorDiv | ast.BitXor | ast.MatMult
        ):
            raise Untranslatable("the % operator")
        return super().generic_visit(node)


def formula_to_ours(formula: str, variables: set[str]) -> str:
    """A Moodle formula in our syntax: '{d}/{t}' stays, 'pow({a}, 2)*pi()' -> '{a}^2*pi'."""
    if len(formula) > 500:
        raise Untranslatable("a formula over 500 characters")
    try:
        tree = ast.parse(_names_in(formula).replace("^", "**"), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise Untranslatable("a formula that can't be read") from exc
    tree = _ToOurs(variables).visit(tree)
    return ast.unparse(tree).replace("**", "^")


def inline_to_ours(text: str, variables: set[str]) -> str:
    """Moodle's {={a}*2} in a question's text -> our {=a*2}."""

    def one(match: re.Match[str]) -> str:
        inner = formula_to_ours(match.group(1), variables)
        return "{=" + _BRACED.sub(r"\1", inner) + "}"

    # Unambiguous: inside {= ... } only {name} groups and characters other than braces.
    return re.sub(r"\{=([^{}]*(?:\{\w+\}[^{}]*)*)\}", one, text)


def _text(element: Any, path: str) -> str:
    found = element.find(path)
    if found is None:
        return ""
    inner = found.find("text")
    return ((inner.text if inner is not None else found.text) or "").strip()


def _plain_number(text: str) -> int | float | None:
    try:
        value = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        return None
    if abs(value) > 10**9:
        return None
    return int(value) if value.denominator == 1 else float(text)


def dataset_variables(question: Any) -> tuple[dict[str, Any], list[str]]:
    """Each dataset definition as a variable of ours, and notes on what changed on the way."""
    variables: dict[str, Any] = {}
    notes: list[str] = []
    for definition in question.findall("dataset_definitions/dataset_definition"):
        name = _text(definition, "name")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,19}", name):
            raise Untranslatable(f"a dataset named {name[:30]!r}")
        low, high = _plain_number(_text(definition, "minimum")), _plain_number(_text(definition, "maximum"))
        decimals_text = _text(definition, "decimals") or "0"
        decimals = int(decimals_text) if decimals_text.isdigit() and int(decimals_text) <= 10 else None
        items = [
            _plain_number(item.findtext("value") or "")
            for item in definition.findall("dataset_items/dataset_item")
        ]
        if (
            low is not None
            and high is not None
            and decimals is not None
            and low <= high
            and (low, high) != (0, 0)
        ):
            variables[name] = {
                "range": [low, high] if decimals == 0 else [low, high, float(f"1e-{decimals}")]
            }
            if _text(definition, "distribution") == "loguniform":
                notes.append(
                    f"{name} is spread evenly between {low} and {high} (Moodle's loguniform isn't kept)"
                )
        elif items and all(item is not None for item in items):
            variables[name] = {"list": sorted(set(items), key=float)}  # type: ignore[arg-type]
        else:
            raise Untranslatable(f"the dataset {name}, which has neither a range nor saved values")
    return variables, notes


def constraints_from_tags(question: Any) -> tuple[list[str], bool]:
    constraints, same = [], False
    for tag in question.findall("tags/tag"):
        text = (tag.findtext("text") or "").strip()
        if text.startswith(CONSTRAINT_TAG):
            constraints.append(text.removeprefix(CONSTRAINT_TAG).strip())
        elif text == SAME_TAG:
            same = True
    return constraints, same


# --- export ------------------------------------------------------------------------------------


def _inlined(text: str, expressions: dict[str, str]) -> str:
    """{d} -> ({a}*{b}) for each variable worked out from others (Moodle has no such variables)."""
    for _ in range(len(expressions) + 1):
        replaced = _BRACED.sub(
            lambda m: f"({expressions[m.group(1)]})" if m.group(1) in expressions else m.group(), text
        )
        if replaced == text:
            return text
        text = replaced
    return text


class _ToMoodle(ast.NodeTransformer):
    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.generic_visit(node)  # type: ignore[assignment]
        if isinstance(node.op, ast.Pow):
            return ast.Call(ast.Name("pow"), [node.left, node.right], [])
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id == "pi":
            return ast.Call(ast.Name("pi"), [], [])
        if node.id.startswith("v_"):
            return ast.Name("{" + node.id[2:] + "}")
        raise Untranslatable(f"the letter {node.id}")

    def visit_Call(self, node: ast.Call) -> ast.AST:
        node.args = [self.visit(arg) for arg in node.args]
        if isinstance(node.func, ast.Name):
            node.func = ast.Name({"ln": "log"}.get(node.func.id, node.func.id))
        return node


def formula_to_moodle(formula: str, expressions: dict[str, str]) -> str:
    """Our '{a}^2*pi' -> Moodle's 'pow({a}, 2) * pi()'. Raises Untranslatable for keys that aren't
    a formula of the variables (an expression in x, a matrix, units inside the key)."""
    text = _inlined(formula, expressions)
    text = re.sub(r"(?<=[}\d)])\s*(?=[{(])|(?<=\})\s*(?=[\dA-Za-z])", "*", text)  # {a}{b}, 2{a}
    text = _BRACED.sub(lambda m: f"v_{m.group(1)}", text).replace("^", "**")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise Untranslatable("a key that isn't a formula") from exc
    return ast.unparse(_ToMoodle().visit(tree))


def _number_text(value: Any) -> str:
    return str(value)


def dataset_xml(template: dict[str, Any], samples: list[dict[str, Any]]) -> list[str]:
    """<dataset_definitions> for a template's sampled variables (not those worked out from others)."""
    out = ["    <dataset_definitions>"]
    for name, definition in (template.get("variables") or {}).items():
        if (
            isinstance(definition, str | dict)
            and (isinstance(definition, str) or "expr" in definition)
            and not re.fullmatch(r"\s*[-+]?[\d.]+\s*", str(definition))
        ):
            continue
        out.append("      <dataset_definition>")
        out.append(f"        <status><text>private</text></status><name><text>{escape(name)}</text></name>")
        out.append("        <type>calculated</type><distribution><text>uniform</text></distribution>")
        if isinstance(definition, dict) and "range" in definition:
            low, high, *rest = definition["range"]
            step = Fraction(str(rest[0])) if rest else Fraction(1)
            decimals = 0
            while step.denominator != 1 and decimals < 10:
                step *= 10
                decimals += 1
            out.append(
                f"        <minimum><text>{_number_text(low)}</text></minimum>"
                f"<maximum><text>{_number_text(high)}</text></maximum><decimals><text>{decimals}</text></decimals>"
            )
        out.append(f"        <itemcount>{len(samples)}</itemcount><dataset_items>")
        for number, sample in enumerate(samples, start=1):
            value = sample["values"].get(name, "")
            out.append(
                f"          <dataset_item><number>{number}</number><value>{escape(value)}</value></dataset_item>"
            )
        out.append(f"        </dataset_items><number_of_items>{len(samples)}</number_of_items>")
        out.append("      </dataset_definition>")
    out.append("    </dataset_definitions>")
    return out


def expressions_of(template: dict[str, Any]) -> dict[str, str]:
    variables = template.get("variables") or {}

    def braced(match: re.Match[str]) -> str:
        # Bare names in an expression are variables too: {a}*b -> {a}*{b}.
        return f"{{{match.group(1)}}}" if match.group(1) in variables else match.group(1)

    expressions = {}
    for name, definition in variables.items():
        if isinstance(definition, dict) and "expr" in definition:
            expressions[name] = re.sub(r"(?<![{\w])([A-Za-z]\w*)(?![}\w])", braced, str(definition["expr"]))
        elif isinstance(definition, str) and not re.fullmatch(r"\s*[-+]?[\d.]+\s*", definition):
            expressions[name] = re.sub(r"(?<![{\w])([A-Za-z]\w*)(?![}\w])", braced, definition)
    return expressions


def text_to_moodle(text: str, expressions: dict[str, str]) -> str:
    """Statement, hints and solution: {d} of a worked-out variable -> Moodle's {=...}; our {=a*b}
    -> {={a}*{b}}."""

    def inline(match: re.Match[str]) -> str:
        inner = re.sub(r"(?<![{\w])([A-Za-z]\w*)(?![}\w(])", r"{\1}", match.group(1))
        return "{=" + formula_to_moodle(inner, expressions) + "}"

    text = re.sub(r"\{=([^{}]{1,300})\}", inline, text)
    return _BRACED.sub(
        lambda m: (
            "{=" + formula_to_moodle("{" + m.group(1) + "}", expressions) + "}"
            if m.group(1) in expressions
            else m.group()
        ),
        text,
    )


def tags_xml(template: dict[str, Any]) -> list[str]:
    tags = [f"{CONSTRAINT_TAG} {c}" for c in template.get("constraints") or []]
    if template.get("same_for_everyone"):
        tags.append(SAME_TAG)
    if not tags:
        return []
    return ["    <tags>", *(f"      <tag><text>{escape(t)}</text></tag>" for t in tags), "    </tags>"]


def _split_units(text: str) -> tuple[str, str]:
    """'{v0}*{t} - 1/2*{g}*{t}^2 m' -> (the formula, 'm'): the last word, when it isn't maths."""
    pieces = text.strip().rsplit(None, 1)
    if (
        len(pieces) == 2
        and re.fullmatch(r"[A-Za-z°µΩ][\w/^*·°µΩ-]{0,30}", pieces[1])
        and "{" not in pieces[1]
    ):
        if pieces[0].rstrip()[-1:] in ("}", ")") or pieces[0].rstrip()[-1:].isdigit():
            return pieces[0], pieces[1]
    return text, ""
