"""Numbers: exact, or within a tolerance relative to the key; significant figures and decimal places
judged on the typed decimal string (round half up, as STACK does); angles in degrees or radians."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import sympy as sp

from ..reading import Read
from ..verdicts import Status, verdict

DEFAULT_RELATIVE_TOLERANCE = 1e-3
ABSOLUTE_FLOOR = 1e-9


@dataclass(frozen=True)
class Tolerance:
    value: float = DEFAULT_RELATIVE_TOLERANCE
    absolute: bool = False
    # Exact comparison when neither side was typed with decimals and no tolerance was set.
    exact: bool = True

    @classmethod
    def of(cls, options: dict[str, Any], *reads: Read) -> Tolerance:
        given = options.get("tolerance")
        return cls(
            value=float(given) if given is not None else DEFAULT_RELATIVE_TOLERANCE,
            absolute=options.get("tolerance_mode") == "absolute",
            exact=given is None and not any(r.inexact for r in reads),
        )


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


# --- significant figures and decimal places, on the typed string -----------------------------------

_MANTISSA = re.compile(r"(\d+\.?\d*|\.\d+)")


def mantissa(raw: str) -> str | None:
    """The digits the student typed before any exponent: '-(0.05)' -> '0.05', '1.38*10^-1' -> '1.38'."""
    match = _MANTISSA.search(raw.replace(",", "").replace("{", "").replace("}", ""))
    return match.group() if match else None


def sig_fig_range(digits: str) -> tuple[int, int] | None:
    """How many significant figures a typed number has: (fewest, most).

    Trailing zeros of a whole number may or may not be significant (1000 has 1 to 4, as STACK
    reads it); every other digit from the first non-zero one is. A zero written 0.00 has 2.
    """
    if not re.search(r"\d", digits):
        return None
    if "." in digits:
        whole, _, fraction = digits.partition(".")
        significant = (whole + fraction).lstrip("0")
        if not significant:
            count = max(1, len(fraction))
            return count, count
        return len(significant), len(significant)
    stripped = digits.lstrip("0")
    if not stripped:
        return 1, 1
    return len(stripped.rstrip("0")), len(stripped)


def significant_figures(text: str) -> int | None:
    """The fewest significant figures the typed number can have (kept for callers that want one)."""
    digits = mantissa(text)
    found = sig_fig_range(digits) if digits else None
    return found[0] if found else None


def decimal_places(text: str) -> int | None:
    digits = mantissa(text)
    if digits is None:
        return None
    return len(digits.partition(".")[2])


def _decimal(value: Any) -> Decimal:
    return Decimal(str(sp.N(value, 40)))


def round_sig(value: Any, figures: int) -> Decimal:
    """Round half up (away from zero on a tie) to `figures` significant figures, in decimal."""
    number = _decimal(value)
    if number == 0:
        return Decimal(0)
    quantum = Decimal(1).scaleb(number.adjusted() - figures + 1)
    return number.quantize(quantum, rounding=ROUND_HALF_UP)


def round_places(value: Any, places: int) -> Decimal:
    return _decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _same_decimal(answer: Any, target: Decimal) -> bool:
    try:
        value = _decimal(answer)
    except (InvalidOperation, ValueError, TypeError):
        return False
    # Conversions between units multiply by binary floats: allow their last bits.
    return abs(value - target) <= abs(target) * Decimal("1e-9") + Decimal("1e-300")


def _figures_words(count: int) -> str:
    return f"{count} significant figure{'s' if count != 1 else ''}"


def _compare_rounded(gold: Read, answer: Read, options: dict[str, Any], interpreted: str) -> dict[str, Any]:
    sig_figs, places = options.get("sig_figs"), options.get("decimal_places")
    digits = mantissa(answer.raw)
    if digits is None:
        return verdict(
            False, Status.INCORRECT, "number", "A number written in decimals was expected.", interpreted
        )
    if sig_figs:
        wanted = int(sig_figs)
        target = round_sig(gold.obj, wanted)
        fewest, most = sig_fig_range(digits) or (0, 0)
        if fewest <= wanted <= most and not _same_decimal(answer.obj, target):
            return verdict(False, Status.INCORRECT, "number", "That value isn't right.", interpreted)
        if not fewest <= wanted <= most:
            if not _same_decimal(round_sig(answer.obj, wanted), target):
                return verdict(False, Status.INCORRECT, "number", "That value isn't right.", interpreted)
            given = _figures_words(fewest) if fewest == most else f"{fewest} to {most} significant figures"
            return verdict(
                False,
                Status.WRONG_PRECISION,
                "number",
                f"The value is right, but it is given to {given} and {wanted} were asked.",
                interpreted,
            )
        return verdict(True, Status.CORRECT, "number", f"Correct, to {_figures_words(wanted)}.", interpreted)
    assert places is not None  # the caller passes sig_figs or decimal_places
    wanted = int(places)
    if not _same_decimal(answer.obj, round_places(gold.obj, wanted)):
        return verdict(False, Status.INCORRECT, "number", "That value isn't right.", interpreted)
    given_places = decimal_places(answer.raw)
    if given_places != wanted:
        return verdict(
            False,
            Status.WRONG_PRECISION,
            "number",
            f"The value is right, but it has {given_places} decimal places and {wanted} were asked.",
            interpreted,
        )
    return verdict(True, Status.CORRECT, "number", f"Correct, to {wanted} decimal places.", interpreted)


def compare_numbers(gold: Read, answer: Read, options: dict[str, Any]) -> dict[str, Any]:
    interpreted = answer.latex()
    if options.get("sig_figs") or options.get("decimal_places") is not None:
        return _compare_rounded(gold, answer, options, interpreted)
    tol = Tolerance.of(options, gold, answer)
    if numbers_equal(gold.obj, answer.obj, exact=tol.exact, tolerance=tol.value, absolute=tol.absolute):
        if tol.exact or numbers_equal(gold.obj, answer.obj, exact=False, tolerance=1e-12):
            return verdict(True, Status.CORRECT, "number", "Correct.", interpreted)
        return verdict(True, Status.CORRECT, "number", "Correct (within the allowed rounding).", interpreted)
    reason = "That value isn't right."
    if (
        gold.percent
        and not answer.percent
        and numbers_equal(gold.obj * 100, answer.obj, exact=False, tolerance=tol.value)
    ):
        reason = "That's the number of percent: add the % sign, or write it as a decimal."
    elif tol.exact and numbers_equal(gold.obj, answer.obj, exact=False, tolerance=tol.value):
        reason = "Close, but an exact answer was expected: keep fractions and roots exact."
    return verdict(False, Status.INCORRECT, "number", reason, interpreted)


def compare_angle(gold: Read, answer: Read, options: dict[str, Any]) -> dict[str, Any]:
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
