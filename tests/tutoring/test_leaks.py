"""The leak gate, as a student would meet it: a hint that gives the answer away never passes, a
Socratic hint that keeps it back does.

The first ten leaks are the phrasings reported in issue 11. The others are written the way Phi-4
words its hints and feedback (Markdown, $...$ and \\(...\\) maths, "So ...", "which gives ...",
step lists), across algebra, calculus, linear algebra and physics with units. The allowed hints
are what a good tutor says instead. docs/leak-gate.md describes the gate and what it misses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from tutor.problems.models import Problem
from tutor.tutoring.leaks import (
    MAX_CANDIDATES,
    MAX_TEXT_CHARS,
    TEXT_BUDGET_SECONDS,
    SentenceBuffer,
    answer_candidates,
    check_sentence,
    check_text,
    reveals_answer,
    split_sentences,
)


@dataclass(frozen=True)
class Key:
    answer: str
    statement: str
    answer_type: str = "number"
    units: str = ""
    tolerance: float | None = None

    def problem(self) -> Problem:
        return Problem(
            answer=self.answer,
            statement=self.statement,
            answer_type=self.answer_type,
            units=self.units,
            tolerance=self.tolerance,
        )


LINEAR = Key("5", "Solve $2x + 3 = 13$.")
LINEAR_4 = Key("4", "Solve $2x + 3 = 11$ for $x$.")
QUADRATIC = Key("x^2 - 5x + 6 = 0", "Solve $x^2 - 5x + 6 = 0$.", "equation")
ROOT_SET = Key("{2, 3}", "Find the solution set of $x^2 - 5x + 6 = 0$.", "set")
PRODUCT = Key(
    "[[5, 4], [1, 2]]",
    "Compute $AB$ for $A = \\begin{pmatrix}1 & 2\\\\ 0 & 1\\end{pmatrix}$ and "
    "$B = \\begin{pmatrix}3 & 0\\\\ 1 & 2\\end{pmatrix}$.",
    "matrix",
)
SIMPLIFY = Key("x + 3", "Simplify $\\frac{x^2 - 9}{x - 3}$.", "expression")
SQUARES = Key("{-2, 2}", "Solve $x^2 = 4$.", "set")
NEGATIVE = Key("-3", "Solve $4x + 7 = -5$.")
HALVES = Key("5/2", "Solve $2x - 1 = 4$.")
SEVEN_THIRDS = Key("7/3", "Solve $3x = 7$.")
SLOPE = Key("3/4", "Find the slope of the line through $(0, 1)$ and $(4, 4)$.")
DERIVATIVE = Key("6x^2 - 4", "Differentiate $f(x) = 2x^3 - 4x + 1$.", "expression")
INTEGRAL = Key("8/3", "Evaluate $\\int_0^2 x^2 \\, dx$.")
LIMIT = Key("1/2", "Find $\\lim_{x \\to 0} \\frac{1 - \\cos x}{x^2}$.")
CRITICAL = Key("-1", "Find the $x$-coordinate of the minimum of $f(x) = x^2 + 2x$.")
AREA = Key("32/3", "Find the area enclosed by $y = 4 - x^2$ and the $x$-axis.")
DETERMINANT = Key("-2", "Find $\\det(A)$ for $A = \\begin{pmatrix}1 & 2\\\\ 3 & 4\\end{pmatrix}$.")
INVERSE = Key(
    "[[-2, 1], [1.5, -0.5]]",
    "Find $A^{-1}$ for $A = \\begin{pmatrix}1 & 2\\\\ 3 & 4\\end{pmatrix}$.",
    "matrix",
)
EIGENVALUES = Key("{1, 3}", "Find the eigenvalues of $\\begin{pmatrix}2 & 1\\\\ 1 & 2\\end{pmatrix}$.", "set")
SYSTEM = Key("(2, -1)", "Solve the system $x + y = 1$, $x - y = 3$. Give $(x, y)$.", "tuple")
SPEED = Key(
    "75 km/h", "A car travels 150 km in 2 hours. What is its average speed?", "quantity", tolerance=0.01
)
SPEED_UNITS_FIELD = Key(
    "75", "A car travels 150 km in 2 hours. What is its average speed?", "quantity", "km/h"
)
FORCE = Key(
    "19.6 N", "A 2 kg mass accelerates at $9.8\\ \\text{m/s}^2$. What net force acts on it?", "quantity"
)
ENERGY = Key("18 J", "A 4 kg ball moves at 3 m/s. Find its kinetic energy.", "quantity")
CURRENT = Key(
    "0.5 A", "A 12 V battery drives a current through a 24 Ω resistor. Find the current.", "quantity"
)
GROWTH = Key("25%", "A price rises from 80 to 100. By what percentage did it rise?")
PROBABILITY = Key("1/2", "A fair coin is tossed once. What is the probability of heads?")
ANGLE = Key("30°", "Find the angle $\\theta$ with $\\sin\\theta = \\frac{1}{2}$ and $0° < \\theta < 90°$.")
RADIANS = Key(
    "\\frac{\\pi}{6}",
    "Find $\\theta$ in radians with $\\sin\\theta = \\frac{1}{2}$, $0 < \\theta < \\frac{\\pi}{2}$.",
)
ROOT_TWO = Key("\\sqrt{2}", "Find the positive solution of $x^2 = 2$.")
CHOICE = Key("B", "Which is prime? (A) 21 (B) 23 (C) 25 (D) 27", "choice")

ISSUE_PHRASINGS = [
    ("x equals 5.", LINEAR),
    ("x is 5.", LINEAR),
    ("`x=5`", LINEAR),
    ("x = ５", LINEAR),
    ("x → 5", LINEAR),
    ("The answer is five.", LINEAR),
    ("The roots are 2 and 3.", QUADRATIC),
    ("So $x = \\{2, 3\\}$", ROOT_SET),
    ("AB = [[5, 4], [1, 2]]", PRODUCT),
    ("It simplifies to x + 3.", SIMPLIFY),
]

PHI4_LEAKS = [
    # algebra
    ("Great work so far! Once you divide both sides by 2, you'll find that $x = 4$.", LINEAR_4),
    ("After subtracting 3 you get $2x = 8$, so $x$ must be 4.", LINEAR_4),
    ("\\[ x = \\frac{8}{2} = 4 \\]", LINEAR_4),
    ("**Step 2:** Divide both sides by 2:\n\n$$x = \\frac{8}{2}$$", LINEAR_4),
    ("Check: the solutions are $x = -2$ and $x = 2$.", SQUARES),
    ("Taking the square root of both sides gives x = ±2.", SQUARES),
    ("The value of $x$ is negative three.", NEGATIVE),
    ("So x = −3 (note the minus sign).", NEGATIVE),
    ("The answer is two and a half.", HALVES),
    ("x = 2½, which you can check by substituting.", HALVES),
    ("Dividing, $x \\approx 2.333$.", SEVEN_THIRDS),
    ("The rise is 3 and the run is 4, so the slope is 3/4.", SLOPE),
    ("Factor it as $(x-2)(x-3) = 0$, which gives $x = 2$ or $x = 3$.", ROOT_SET),
    ("In the end, x = ٥.", LINEAR),
    ("Your final answer should be \\boxed{5}.", LINEAR),
    ("So x = √2, the positive root.", ROOT_TWO),
    ("To three decimal places, x is about 1.414.", ROOT_TWO),
    # trigonometry
    ("The angle is 30 degrees.", ANGLE),
    ("You can check with a calculator: $\\sin(30^\\circ) = 0.5$.", ANGLE),
    ("So θ = π/6.", RADIANS),
    # calculus
    ("Using the power rule on each term, the derivative is $f'(x) = 6x^2 - 4$.", DERIVATIVE),
    ("Evaluating $\\frac{x^3}{3}$ from 0 to 2 gives \\(\\frac{8}{3}\\).", INTEGRAL),
    ("Using the Taylor series of $\\cos x$, the limit equals 1/2.", LIMIT),
    ("The limit works out to one half.", LIMIT),
    ("Setting $f'(x) = 2x + 2 = 0$ gives a critical point at $x = -1$.", CRITICAL),
    ("So the area is $\\frac{32}{3}$ square units.", AREA),
    # linear algebra
    ("The determinant is $\\det(A) = 1 \\cdot 4 - 2 \\cdot 3 = -2$.", DETERMINANT),
    (
        "$$A^{-1} = \\frac{1}{-2}\\begin{pmatrix}4 & -2\\\\ -3 & 1\\end{pmatrix} = "
        "\\begin{pmatrix}-2 & 1\\\\ 1.5 & -0.5\\end{pmatrix}$$",
        INVERSE,
    ),
    ("Solving $\\lambda^2 - 4\\lambda + 3 = 0$, the eigenvalues are λ = 1 and λ = 3.", EIGENVALUES),
    ("Adding the equations gives $2x = 4$, so x = 2 and then y = -1.", SYSTEM),
    ("The solution is the point (2, -1).", SYSTEM),
    # physics with units
    ("So the speed is $v = \\frac{d}{t} = \\frac{150\\text{ km}}{2\\text{ h}} = 75\\text{ km/h}$.", SPEED),
    ("The car's speed works out to about 20.8 m/s.", SPEED),
    ("Your answer should be 75.", SPEED),
    ("Dividing 150 by 2 gives 75 km per hour.", SPEED_UNITS_FIELD),
    ("Using $F = ma$, we get $F = 2 \\times 9.8 = 19.6\\,\\text{N}$.", FORCE),
    ("The kinetic energy is ½ · 4 · 3² = 18 J.", ENERGY),
    ("By Ohm's law $I = V/R = 12/24$, so the current is 0.5 A.", CURRENT),
    ("The increase is 20 out of 80, which is 25 percent.", GROWTH),
    ("Since there are two equally likely outcomes, the probability is ½.", PROBABILITY),
    ("The answer is (B), since 23 has no divisors other than 1 and itself.", CHOICE),
]

ALLOWED_HINTS = [
    ("Subtract 3 from both sides of $2x + 3 = 11$. What do you get on the right-hand side?", LINEAR_4),
    ("What operation undoes multiplying by 2? Apply it to both sides.", LINEAR_4),
    ("Start by isolating the term with $x$: move the constant to the other side.", LINEAR_4),
    ("You're close! Check the sign when you moved the $+3$ across the equals sign.", LINEAR_4),
    (
        "Step 1: write down what you know.\nStep 2: undo the addition.\nStep 3: undo the multiplication.",
        LINEAR_4,
    ),
    ("Your answer of 12 isn't right: check the second step again.", LINEAR_4),
    ("The first step is to subtract 3 from both sides.", Key("3", "Solve $x + 3 = 6$.")),
    ("One way to start is to divide every term by 2.", Key("1", "Solve $2x = 2$.")),
    (
        "There are two steps here: first expand the brackets, then collect like terms.",
        Key("2", "Solve $3(x - 1) = x + 1$."),
    ),
    ("Try factoring $x^2 - 5x + 6$: which two numbers multiply to 6 and add to -5?", ROOT_SET),
    ("Once it is factored as $(x - a)(x - b) = 0$, what must be true of each bracket?", QUADRATIC),
    ("Remember the power rule: the derivative of $x^n$ is $n x^{n-1}$. Apply it term by term.", DERIVATIVE),
    ("Set the derivative equal to zero and solve for $x$.", CRITICAL),
    ("Find an antiderivative of $x^2$ first, then evaluate it at the limits 0 and 2.", INTEGRAL),
    (
        "For a 2×2 matrix $\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}$ the determinant is $ad - bc$.",
        DETERMINANT,
    ),
    ("Multiply row 1 of $A$ by column 1 of $B$: what is $1 \\cdot 3 + 2 \\cdot 1$?", PRODUCT),
    ("The eigenvalues solve $\\det(A - \\lambda I) = 0$. Write out that determinant.", EIGENVALUES),
    ("Which formula connects distance, time and speed? The car covers 150 km in 2 hours.", SPEED),
    ("Distance is speed multiplied by time, so rearrange $d = vt$ for $v$.", SPEED),
    ("Newton's second law says $F = ma$. What is the mass here, and what is the acceleration?", FORCE),
    ("Kinetic energy is $\\frac{1}{2}mv^2$: square the speed first, then multiply.", ENERGY),
    ("Use Ohm's law, $V = IR$, and rearrange it for $I$.", CURRENT),
    ("How much did the price go up by? Compare that increase with the original price of 80.", GROWTH),
    ("How many outcomes are there, and how many of them are heads?", PROBABILITY),
    (
        "Which angle between 0° and 90° has a sine of 1/2? Think of an equilateral triangle cut in half.",
        ANGLE,
    ),
    ("Check each number for divisors: is 21 divisible by 3? What about 25?", CHOICE),
]


@pytest.mark.parametrize(("text", "key"), ISSUE_PHRASINGS, ids=[t for t, _ in ISSUE_PHRASINGS])
async def test_the_phrasings_that_got_past_the_old_gate_are_caught(text: str, key: Key) -> None:
    decision = await check_text(text=text, problem=key.problem())
    assert decision.leaked, decision.reason


@pytest.mark.parametrize(("text", "key"), PHI4_LEAKS, ids=[t[:60] for t, _ in PHI4_LEAKS])
async def test_a_hint_that_gives_the_answer_away_is_caught(text: str, key: Key) -> None:
    decision = await check_text(text=text, problem=key.problem())
    assert decision.leaked, decision.reason


@pytest.mark.parametrize(("text", "key"), ALLOWED_HINTS, ids=[t[:60] for t, _ in ALLOWED_HINTS])
async def test_a_socratic_hint_that_keeps_the_answer_back_passes(text: str, key: Key) -> None:
    decision = await check_text(text=text, problem=key.problem())
    assert not decision.leaked, decision.reason


async def test_a_number_from_the_statement_is_a_leak_when_it_is_stated_as_the_value() -> None:
    problem = Key("5", "Solve $5x = 25$.").problem()
    assert not (await check_text(text="Divide both sides by 5.", problem=problem)).leaked
    assert (await check_text(text="Divide both sides by 5. Then x is 5.", problem=problem)).leaked


async def test_the_reason_names_what_gave_the_answer_away() -> None:
    decision = await check_text(
        text="Nearly there. So $x = 4$, as you can check.", problem=LINEAR_4.problem()
    )
    assert decision.leak is not None
    assert decision.leak.verdict.equivalent
    assert "x = 4" in decision.leak.source or decision.leak.source == "4"
    assert "matches the key" in decision.reason


async def test_the_old_entry_point_still_answers_with_the_leak() -> None:
    leak = await reveals_answer(text="The answer is five.", problem=LINEAR.problem())
    assert leak is not None and leak.answer == "5"
    assert await reveals_answer(text="What do you get when you subtract 3?", problem=LINEAR.problem()) is None


async def test_a_streamed_hint_is_stopped_at_the_sentence_that_gives_the_answer_away() -> None:
    problem = LINEAR_4.problem()
    stream = "Let's work backwards. First subtract 3 from both sides, giving $2x = 8$. Then x = 4. Well done!"
    buffer, checked, verdicts = SentenceBuffer(), "", []
    for i in range(0, len(stream), 5):  # five characters per token, so boundaries fall mid-token
        for sentence in buffer.feed(stream[i : i + 5]):
            decision = await check_sentence(checked=checked, sentence=sentence, problem=problem)
            verdicts.append((sentence.strip(), decision.leaked))
            if decision.leaked:
                break
            checked += sentence
        else:
            continue
        break
    assert verdicts == [
        ("Let's work backwards.", False),
        ("First subtract 3 from both sides, giving $2x = 8$.", False),
        ("Then x = 4.", True),
    ]


async def test_a_value_split_over_two_sentences_is_still_seen() -> None:
    problem = Key("5", "Solve $5x = 25$.").problem()
    # "5" alone is in the statement; what came before says it is x's value.
    decision = await check_sentence(
        checked="Divide both sides by 5. The value of x is", sentence=" 5.", problem=problem
    )
    assert decision.leaked, decision.reason
    alone = await check_sentence(
        checked="Good start.", sentence=" Now divide both sides by 5.", problem=problem
    )
    assert not alone.leaked, alone.reason


def test_sentences_never_split_inside_maths_or_a_decimal() -> None:
    text = "The mass is 2.5 kg. Then $$F = 2.5 \\times 9.8. $$ is next! What is e.g. the force?\n\nDone"
    assert split_sentences(text) == [
        "The mass is 2.5 kg.",
        " Then $$F = 2.5 \\times 9.8. $$ is next!",
        " What is e.g. the force?\n",
        "\nDone",
    ]
    buffer = SentenceBuffer()
    assert buffer.feed("x is 2.") == []
    assert buffer.feed("5 now. And") == ["x is 2.5 now."]
    assert buffer.flush() == " And"


async def test_a_text_that_cannot_be_checked_in_time_is_treated_as_a_leak() -> None:
    decision = await check_text(text="Try 1, then 2, then 3.", problem=LINEAR.problem(), budget=0.0)
    assert decision.leaked
    assert decision.leak is not None and decision.leak.verdict.status == "timeout"


async def test_too_many_candidates_or_too_long_a_text_is_treated_as_a_leak() -> None:
    many = " ".join(f"{n}.5 apples" for n in range(100, 100 + MAX_CANDIDATES + 5))
    decision = await check_text(text=many, problem=LINEAR.problem())
    assert decision.leaked and decision.leak is not None and decision.leak.verdict.status == "too_many"
    long = "Think about it. " * (MAX_TEXT_CHARS // 16 + 1)
    decision = await check_text(text=long, problem=LINEAR.problem())
    assert decision.leaked and decision.leak is not None and decision.leak.verdict.status == "too_long"


async def test_a_hostile_formula_in_a_hint_is_bounded() -> None:
    text = "So $x = 9^{9^{9^{9}}}$ and $(x+1)^{20000}$ and " + "((((" * 200 + "5" + "))))" * 200
    decision = await check_text(text=text, problem=LINEAR.problem())
    # The checker runs out of time on the power: that candidate is treated as a leak (fail closed),
    # unless the checker reads and rejects it, as it may for such input.
    assert decision.leaked or decision.reason.startswith("None of"), decision.reason


def test_candidates_are_every_number_and_formula_except_labels_and_statement_numbers() -> None:
    text = "Step 1: subtract 3 first. Then $x = 2$ and the answer is 2. Also \\boxed{\\frac{4}{2}}."
    candidates = answer_candidates(text)
    assert "2" in candidates and "x = 2" in candidates and "\\frac{4}{2}" in candidates
    assert "3" in candidates and "1" not in candidates
    assert "3" not in answer_candidates(text, statement="Solve $2x + 3 = 7$.")


HOSTILE = {
    "braces": "{" * MAX_TEXT_CHARS,
    "dollars": "$" * MAX_TEXT_CHARS,
    "nested boxes": "\\boxed{" * (MAX_TEXT_CHARS // 7),
    "one long equation": "x = " * (MAX_TEXT_CHARS // 4),
    "a long list": "1, " * (MAX_TEXT_CHARS // 3),
    "is is is": "is " * (MAX_TEXT_CHARS // 3),
    "no sentence end": "so " + "x + " * (MAX_TEXT_CHARS // 4 - 1),
}


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_a_hostile_hint_is_decided_within_the_gates_bound(name: str) -> None:
    """The documented bound: the time budget plus one checker time limit (2 s by default)."""
    text = HOSTILE[name][:MAX_TEXT_CHARS]
    started = time.monotonic()
    decision = await check_text(text=text, problem=LINEAR.problem())
    buffer = SentenceBuffer()
    sentences = [s for i in range(0, len(text), 5) for s in buffer.feed(text[i : i + 5])] + [buffer.flush()]
    assert "".join(sentences) == text
    assert time.monotonic() - started < TEXT_BUDGET_SECONDS + 2.0, decision.reason


async def test_a_key_the_checker_cannot_read_in_time_makes_every_hint_a_leak() -> None:
    # SymPy can't settle this integral within the checker's time limit, so nothing can be compared
    # with it: the gate fails closed rather than let hints through unchecked.
    key = Key("\\int_0^1 e^{-x^{99}} \\sin(x^{77}) \\, dx", "Write the integral.", "expression")
    decision = await check_text(text="Think about which part to integrate first.", problem=key.problem())
    assert decision.leaked, decision.reason
    assert decision.leak is not None and decision.leak.verdict.status == "timeout"


async def test_a_multiple_choice_key_is_caught_when_stated_but_not_when_options_are_discussed() -> None:
    problem = CHOICE.problem()
    assert (await check_text(text="I'd go with option B here.", problem=problem)).leaked
    assert not (
        await check_text(text="Which of A, B, C and D has no divisors but 1 and itself?", problem=problem)
    ).leaked


async def test_a_several_answer_choice_key_is_caught_when_a_hint_names_its_right_options() -> None:
    # A multiple-answer key is one right option per line (GIFT `~%50%`, Moodle `single=false`); a
    # hint that asserts the right options in prose gives the answer away, one at a time or together.
    key = Key("Mercury\nVenus", "Which planets are closer to the Sun than the Earth?", "choice")
    problem = key.problem()
    assert (await check_text(text="The answer is Mercury and Venus.", problem=problem)).leaked
    assert (
        await check_text(text="Think about it: the answer is Venus, and one more.", problem=problem)
    ).leaked
    assert not (
        await check_text(text="Which planets have orbits inside the Earth's orbit?", problem=problem)
    ).leaked


def test_a_numbered_list_in_a_hint_is_split_at_its_items_not_after_each_number() -> None:
    # phi4 often numbers its steps; "1." opening a line is a list number, so each item is one
    # sentence (gated and streamed whole) rather than "1." alone and the item's text after it.
    text = "Let's go step by step.\n1. Subtract 3 from both sides.\n2. Divide both sides by 2.\nWhat is left?"
    buffer = SentenceBuffer()
    sentences = [s for i in range(0, len(text), 4) for s in buffer.feed(text[i : i + 4])] + [buffer.flush()]
    assert sentences == [
        "Let's go step by step.",
        "\n1. Subtract 3 from both sides.",
        "\n2. Divide both sides by 2.",
        "\nWhat is left?",
    ]
