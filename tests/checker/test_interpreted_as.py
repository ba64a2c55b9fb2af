"""`interpreted_as` is clean LaTeX of what the student typed: units in pint's LaTeX, decimals as decimals."""

from __future__ import annotations

import pytest

from inference.checker import check_answer


@pytest.mark.parametrize(
    ("gold", "answer", "shown"),
    [
        ("-9.81 m/s^2", "-9.81 m*s^(-2)", r"-9.81\ \frac{\mathrm{m}}{\mathrm{s}^{2}}"),
        ("20.4", "100.4-80.0", "100.4 - 80.0"),
        ("1/2", "0.5", "0.5"),
        ("x+3", "(x^2-9)/(x-3)", r"\frac{x^{2} - 9}{x - 3}"),
        ("2x", "x+x", "2 x"),
        ("a*b*c*d", "abcd", "a b c d"),
        ("5 ohm", "5 Ω", r"5\ \Omega"),
        ("3 um", "3 µm", r"3\ \mu\mathrm{m}"),
        ("72 km/h", "20 m/s", r"20\ \frac{\mathrm{m}}{\mathrm{s}}"),
    ],
)
def test_the_answer_is_shown_as_typed_in_clean_latex(gold: str, answer: str, shown: str) -> None:
    verdict = check_answer(gold=gold, answer=answer)
    assert verdict.interpreted_as == shown, verdict
    assert "**" not in verdict.interpreted_as and "^(" not in verdict.interpreted_as
