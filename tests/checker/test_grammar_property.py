"""Property: any input built from the grammar of answers (numbers, names, functions, brackets, LaTeX
commands, sets, relations, units, model-output wrappers) gets a verdict, never a crash, in time."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inference.checker import Status, check_answer, check_model_output

# The pool's wall clock is 2 s (CHECKER_TIMEOUT); a killed worker is replaced in the background.
LIMIT_SECONDS = 4.0

NUMBERS = st.sampled_from(
    ["0", "1", "-2", "3.5", "0.001", "1e3", "6.02e23", "1,000", "14{,}916", "004", "1/3"]
)
NAMES = st.sampled_from(["x", "y", "n", "k", "pi", "e", "theta", "xy", "odd", "cosec", "asinh", "D", "i"])
FUNCTIONS = st.sampled_from(
    ["sin", "cos", "sqrt", "ln", "log", "abs", "exp", "cosech", "signum", "lg", "factorial"]
)
LATEX_UNARY = st.sampled_from(["\\sqrt", "\\sin", "\\ln", "\\boxed", "\\text", "\\mathrm", "\\left|"])
BINARY = st.sampled_from(
    ["+", "-", "*", "/", "^", " ", "=", "<", ">=", "!=", "\\neq", "\\le", " or ", " and ", ",", "±"]
)
UNITS = st.sampled_from(
    ["m", "cm", "km/h", "m/s^2", "\\text{ m}", "kg", "%", "^\\circ", " mph", "\\ \\text{J}"]
)


def _grammar() -> st.SearchStrategy[str]:
    atom = st.one_of(NUMBERS, NAMES)
    return st.recursive(
        atom,
        lambda inner: st.one_of(
            st.tuples(inner, BINARY, inner).map("".join),
            st.tuples(FUNCTIONS, inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(LATEX_UNARY, inner).map(lambda t: f"{t[0]}{{{t[1]}}}"),
            st.tuples(inner, inner).map(lambda t: f"\\frac{{{t[0]}}}{{{t[1]}}}"),
            st.lists(inner, min_size=1, max_size=3).map(lambda items: "{" + ", ".join(items) + "}"),
            st.tuples(inner, inner).map(lambda t: f"({t[0]}, {t[1]})"),
            st.tuples(inner, inner).map(lambda t: f"[{t[0]}, {t[1]})"),
            st.tuples(inner, UNITS).map(lambda t: f"{t[0]} {t[1]}"),
            st.tuples(
                st.sampled_from(["\\int_0^1", "\\sum_{k=1}^{3}", "\\lim_{x\\to 0}", "\\frac{d}{dx}"]), inner
            ).map(" ".join),
            inner.map(lambda t: f"|{t}|"),
            inner.map(lambda t: f"{t}!"),
        ),
        max_leaves=8,
    )


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(gold=_grammar(), answer=_grammar())
def test_any_grammatical_input_gets_a_verdict_in_time(gold: str, answer: str) -> None:
    started = time.monotonic()
    verdict = check_answer(gold=gold, answer=answer, use_cache=False)
    assert time.monotonic() - started < LIMIT_SECONDS, (gold, answer, verdict)
    assert verdict.status != Status.ERROR, (gold, answer, verdict)
    assert verdict.reason


@SETTINGS
@given(
    gold=_grammar(), answer=_grammar(), prose=st.sampled_from(["So $\\boxed{%s}$.", "Final answer: %s", "%s"])
)
def test_any_grammatical_model_output_gets_a_verdict_in_time(gold: str, answer: str, prose: str) -> None:
    started = time.monotonic()
    verdict = check_model_output(gold=gold, text=prose % answer)
    assert time.monotonic() - started < LIMIT_SECONDS, (gold, answer, verdict)
    assert verdict.status != Status.ERROR, (gold, answer, verdict)
