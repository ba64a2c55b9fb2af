"""Quantities with units: converted through pint, then compared as numbers (sig figs included)."""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..reading import Read
from ..units import REGISTRY
from ..verdicts import Status, verdict
from .number import compare_numbers


def _has_offset(unit: Any) -> bool:
    # Zero of a multiplicative unit is zero of its base unit; 0 °C is 273.15 K.
    return REGISTRY.Quantity(0, unit).to_base_units().magnitude != 0


def compare_quantities(gold: Read, answer: Read, options: dict[str, Any]) -> dict[str, Any]:
    interpreted = answer.latex()
    if answer.kind == "number":
        return verdict(
            False,
            Status.UNITS_MISSING,
            "quantity",
            f"Units are missing: give the units too (for example {gold.unit_text}).",
            interpreted,
        )
    if answer.kind != "quantity":
        return verdict(False, Status.INCORRECT, "quantity", "A value with units was expected.", interpreted)
    if gold.unit.dimensionality != answer.unit.dimensionality:
        return verdict(
            False,
            Status.WRONG_UNITS,
            "quantity",
            f"Those units don't fit: {answer.unit_text} measures something different from {gold.unit_text}.",
            interpreted,
        )
    if gold.unit == answer.unit:
        converted = answer
    elif _has_offset(gold.unit) or _has_offset(answer.unit):
        # °C and °F have an offset: 25 °C is 298.15 K, not 25 times a factor.
        value = REGISTRY.Quantity(float(answer.obj), answer.unit).to(gold.unit).magnitude
        converted = Read(kind="number", obj=sp.Float(value, 15), raw=answer.raw, inexact=True)
    else:
        factor = REGISTRY.Quantity(1, answer.unit).to(gold.unit).magnitude
        converted = Read(kind="number", obj=answer.obj * sp.Float(factor, 15), raw=answer.raw, inexact=True)
        if options.get("tolerance") is None and not gold.inexact and not answer.inexact:
            options = {**options, "tolerance": 1e-9}
    gold_number = Read(kind="number", obj=gold.obj, raw=gold.raw, inexact=gold.inexact)
    result = compare_numbers(gold_number, converted, options)
    result["comparator"] = "quantity"
    result["interpreted_as"] = interpreted
    if result["equivalent"] and gold.unit != answer.unit:
        result["reason"] = f"Correct ({answer.unit_text} converted to {gold.unit_text})."
    elif result["status"] == Status.INCORRECT and gold.unit != answer.unit:
        shown = f"{float(converted.obj):.4g}"
        result["reason"] = f"Not right: your answer is {shown} {gold.unit_text} when converted."
    return result
