"""Choice problems: one right option (radio buttons), several (checkboxes), or true/false.

All three are answer_type "choice". `choices` lists the options in the order shown; `answer`
holds the right option, or the right options one per line when several are right (so the
export formats and the admin keep showing plain text). A problem whose options are exactly
true and false is a true/false question. A student's pick is graded here, by comparing it with
the options as stored: it never goes through the maths checker, which would read `Blue` as
e·B·l·u.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inference.checker import Status, Verdict

if TYPE_CHECKING:  # the upload sandbox imports this module without Django's apps loaded
    from .models import Problem

CHOICE = "choice"
TRUE_FALSE = ["true", "false"]


def choice_text(value: str) -> str:
    """An option as stored: one line, single spaces (a line break separates right options)."""
    return re.sub(r"\s+", " ", value).strip()


def choice_right(*, problem: Problem) -> list[str]:
    return [line.strip() for line in problem.answer.splitlines() if line.strip()]


def choice_is_true_false(*, choices: list[str]) -> bool:
    return [c.strip().lower() for c in choices] == TRUE_FALSE


@dataclass(frozen=True)
class ChoiceForm:
    """What the answer form shows for a choice problem."""

    options: list[str]
    multiple: bool
    true_false: bool


def choice_form(*, problem: Problem) -> ChoiceForm | None:
    if problem.answer_type != CHOICE or not problem.choices:
        return None
    choices = [str(c) for c in problem.choices]
    if choice_is_true_false(choices=choices):
        return ChoiceForm(options=TRUE_FALSE, multiple=False, true_false=True)
    return ChoiceForm(options=choices, multiple=len(choice_right(problem=problem)) > 1, true_false=False)


def choice_statement(*, problem: Problem) -> str:
    """The statement with its options, as the tutor (the model) reads it."""
    form = choice_form(problem=problem)
    if form is None:
        return problem.full_statement
    if form.true_false:
        return f"{problem.full_statement.rstrip()}\n\nTrue or false?"
    ask = "Choose all the options that are right:" if form.multiple else "Choose one option:"
    # Bullets, not letters: the leak gate looks for the key's text, and a letter would be an alias it
    # doesn't know ("the answer is B").
    options = "\n".join(f"- {o}" for o in form.options)
    return f"{problem.full_statement.rstrip()}\n\n{ask}\n{options}"


def _verdict(equivalent: bool, status: Status, reason: str, picked: str) -> Verdict:
    return Verdict(
        equivalent=equivalent,
        status=str(status),
        interpreted_as=picked,
        comparator="choice",
        reason=reason,
        ms=0.0,
    )


def choice_grade(*, problem: Problem, answer: str) -> Verdict:
    """Grade the options a student picked (one per line, as the page sends them).

    A pick that isn't one of the options (an old page, a hand-made request) is unreadable, so it
    costs no attempt. Several right options are all or nothing: tick each right one and no other.
    """
    form = choice_form(problem=problem)
    assert form is not None, "choice_grade is only for choice problems with options"
    by_folded = {o.casefold(): o for o in form.options}
    picked_folded = {line.strip().casefold() for line in answer.splitlines() if line.strip()}
    unknown = picked_folded - by_folded.keys()
    if not picked_folded or unknown:
        return _verdict(False, Status.UNPARSEABLE, "Pick one of the options shown.", "")
    if len(picked_folded) > 1 and not form.multiple:
        return _verdict(False, Status.UNPARSEABLE, "Pick just one option.", "")
    picked = "; ".join(o for o in form.options if o.casefold() in picked_folded)
    right = {r.casefold() for r in choice_right(problem=problem)}
    if picked_folded == right:
        return _verdict(True, Status.CORRECT, "Correct.", picked)
    if form.multiple:
        reason = "Not quite: tick every right option and no others."
    elif form.true_false:
        reason = "That isn't right."
    else:
        reason = "That isn't the right option."
    return _verdict(False, Status.INCORRECT, reason, picked)
