"""Quantities with units, through pint. Runs only inside the sandboxed checker process."""

from __future__ import annotations

import re
from typing import Any

import pint

from .names import GREEK

REGISTRY: pint.UnitRegistry = pint.UnitRegistry()
# Single letters that are far more often variables than units in a school answer.
_VARIABLE_LETTERS = set("abcdfknpqrtuvwxyzABCDEFGHMPQRSTUXYZ")
_NOT_UNITS = {
    "pi",
    "e",
    "i",
    "oo",
    "inf",
    "or",
    "and",
    "sqrt",
    "sin",
    "cos",
    "tan",
    "log",
    "ln",
    "exp",
    *GREEK,
}
_VALUE = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?:\s*(?:\*|×|\\times|\\cdot)\s*10\s*(?:\^|\*\*)\s*\{?\s*[-+]?\d+\s*\}?)?"


def parse_unit(text: str) -> Any | None:
    cleaned = _clean_unit(text)
    if not cleaned or cleaned in _NOT_UNITS or not re.search(r"[A-Za-zµΩ]", cleaned):
        return None
    try:
        unit = REGISTRY.parse_units(cleaned)
    except (
        pint.errors.UndefinedUnitError,
        pint.errors.DefinitionSyntaxError,
        AttributeError,
        TypeError,
        ValueError,
        AssertionError,
    ):
        return None
    except Exception:  # noqa: BLE001 - pint's tokenizer raises assorted errors on odd text; none is a unit
        return None
    if unit.dimensionless:
        return None
    return unit


# 25 °C, 25^\circ\text{C}, 25\degree F: temperatures, not angles followed by a letter.
_TEMPERATURE = re.compile(
    r"\s*(?:°|\^\s*\{?\s*\\circ\s*\}?|\\degree)\s*(?:\\(?:text|mathrm)\s*\{\s*([CF])\s*\}|([CF])\b)"
)
_LATEX_UNIT_START = re.compile(r"\\(?:text|mathrm|textrm|rm|operatorname|mbox)\s*\{")


def _unwrap_latex_text(text: str) -> str:
    r"""\mathrm{m\,s^{-1}} -> m\,s^{-1}: drop the command and its braces, nested braces and all."""
    while match := _LATEX_UNIT_START.search(text):
        depth, index = 1, match.end()
        while index < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            index += 1
        inner = text[match.end() : index - 1] if depth == 0 else text[match.end() :]
        text = text[: match.start()] + " " + inner + " " + text[index:]
    return text


def _clean_unit(text: str) -> str:
    text = _unwrap_latex_text(text)
    text = re.sub(r"\\[,;!: ]|~", " ", text)
    text = (
        text.replace("\\cdot", "*")
        .replace("·", "*")
        .replace("\\mu", "µ")
        .replace("\\Omega", "ohm")
        .replace("Ω", "ohm")
    )
    text = re.sub(r"\^\{([^{}]*)\}", r"^\1", text)
    text = text.replace("{", "").replace("}", "").strip()
    text = re.sub(r"\s+per\s+", "/", text)  # miles per hour
    text = re.sub(r"\s*/\s*", "/", text)
    text = re.sub(r"(?<=[A-Za-z])\s+(?=[A-Za-z])", "*", text)
    return text.strip()


def split_quantity(text: str, *, expect_units: bool) -> tuple[str, Any, str] | None:
    """'10 m' -> ('10', meter, 'm'); None when the text is not a value followed by units."""
    text = re.sub(r"\\mu\s*", "µ", text).replace("\\Omega", "Ω")
    text = _TEMPERATURE.sub(lambda m: " deg" + (m.group(1) or m.group(2)), text)
    latex = _LATEX_UNIT_START.search(text)
    if latex and re.search(r"[A-Za-zµΩ]", _clean_unit(text[latex.start() :])):
        unit_text = text[latex.start() :]
        # "24\ \text{km/h}": drop the LaTeX spacing between the value and its unit.
        value_text = re.sub(r"(\\[,;!: ]|\\$|~|\s)+$", "", text[: latex.start()]).strip()
        unit = parse_unit(unit_text)
        if unit is not None and value_text:
            return value_text, unit, _clean_unit(unit_text)
        return None
    match = re.match(rf"^({_VALUE})(\s*)([A-Za-zµΩ°][A-Za-zµΩ°/^*·\d\s().\-]*)$", text.strip())
    if not match:
        return None
    value_text, space, unit_text = match.group(1), match.group(2), match.group(3).strip()
    cleaned = _clean_unit(unit_text)
    if not expect_units:
        if cleaned in _VARIABLE_LETTERS or cleaned in _NOT_UNITS:
            return None
        if not space and len(cleaned) < 2:
            return None
    unit = parse_unit(unit_text)
    if unit is None:
        return None
    return value_text, unit, cleaned
