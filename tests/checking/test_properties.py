"""Properties: a number equals itself however it is written; a different one never passes."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inference.checker import check_answer

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.integers(-(10**6), 10**6), st.integers(1, 64))
def test_a_fraction_equals_its_decimal_and_scientific_forms(numerator: int, power_of_two: int) -> None:
    # Denominators of 2^a 5^b give terminating decimals, so the decimal form is exact.
    denominator = 2 ** (power_of_two % 7) * 5 ** (power_of_two % 3)
    value = Fraction(numerator, denominator)
    decimal = f"{float(value):.10f}".rstrip("0").rstrip(".")
    scientific = f"{float(value):.12e}"
    fraction = f"{value.numerator}/{value.denominator}"
    for written in (decimal, scientific, fraction):
        verdict = check_answer(gold=fraction, answer=written)
        assert verdict.equivalent, f"{fraction} vs {written}: {verdict}"


@SETTINGS
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).filter(lambda v: abs(v) > 1e-6))
def test_a_decimal_equals_itself_in_scientific_notation(value: float) -> None:
    text = repr(value)
    verdict = check_answer(gold=text, answer=f"{value:.15e}")
    assert verdict.equivalent, verdict


@SETTINGS
@given(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).filter(lambda v: abs(v) > 1e-3),
    st.floats(min_value=0.002, max_value=10),
    st.sampled_from([1, -1]),
)
def test_a_number_beyond_tolerance_never_passes(value: float, relative_error: float, sign: int) -> None:
    other = value * (1 + sign * relative_error)
    verdict = check_answer(gold=repr(value), answer=repr(other))
    assert not verdict.equivalent, f"{value} vs {other}: {verdict}"
