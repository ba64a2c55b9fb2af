"""Properties: a number equals itself however it is written; a different one never passes."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inference.checker import check_answer

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.integers(-(10**6), 10**6), st.integers(0, 6), st.integers(0, 3))
def test_a_number_equals_its_fraction_decimal_and_scientific_forms(
    numerator: int, twos: int, fives: int
) -> None:
    # Denominators 2^a 5^b have terminating decimals, so every written form is exact.
    value = Fraction(numerator, 2**twos * 5**fives)
    fraction = f"{value.numerator}/{value.denominator}"
    decimal = f"{float(value):.10f}".rstrip("0").rstrip(".")
    scientific = f"{float(value):.12e}"
    latex = f"$\\frac{{{value.numerator}}}{{{value.denominator}}}$"
    for gold in (fraction, decimal):
        for written in (decimal, scientific, fraction, latex):
            verdict = check_answer(gold=gold, answer=written)
            assert verdict.equivalent, f"{gold} vs {written}: {verdict}"


@SETTINGS
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).filter(lambda v: abs(v) > 1e-6))
def test_a_decimal_equals_itself_in_scientific_notation(value: float) -> None:
    verdict = check_answer(gold=repr(value), answer=f"{value:.15e}")
    assert verdict.equivalent, verdict


@SETTINGS
@given(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda v: abs(v) > 1e-9),
    st.floats(min_value=0.0015, max_value=10),
    st.sampled_from([1, -1]),
)
def test_a_number_beyond_the_default_tolerance_never_passes(
    value: float, relative_error: float, sign: int
) -> None:
    other = value * (1 + sign * relative_error)
    verdict = check_answer(gold=repr(value), answer=repr(other))
    assert not verdict.equivalent, f"{value} vs {other}: {verdict}"


@SETTINGS
@given(
    st.floats(min_value=1e-30, max_value=1e30),
    st.floats(min_value=0.001, max_value=0.5),
    st.floats(min_value=1.01, max_value=3.0),
)
def test_a_number_beyond_a_per_problem_tolerance_never_passes(
    value: float, tolerance: float, factor: float
) -> None:
    other = value * (1 + tolerance * factor)
    verdict = check_answer(gold=repr(value), answer=repr(other), tolerance=tolerance)
    assert not verdict.equivalent, f"{value} vs {other} at {tolerance}: {verdict}"
