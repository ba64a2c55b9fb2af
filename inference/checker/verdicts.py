"""Verdict statuses and the one builder of verdict dicts. Pure Python: the web process imports it.

The values are the strings the tutor stores and compares (tutor/tutoring/attempts.py), so a
member compares equal to its old literal: `Status.CORRECT == "correct"`.
"""

from __future__ import annotations

import traceback
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    CORRECT = "correct"
    INCORRECT = "incorrect"
    # The answer (or a part of it) could not be read: says where, costs no attempt.
    UNPARSEABLE = "unparseable"
    # The pool's wall clock ran out (or the worker died while working): too big to check.
    TIMEOUT = "timeout"
    # A bug in the checker itself (an exception inside the worker); logged with its traceback.
    ERROR = "error"
    UNITS_MISSING = "units_missing"
    WRONG_UNITS = "wrong_units"
    WRONG_PRECISION = "wrong_precision"
    # The answer still does the work the question asks for (an integral, a derivative, 2*3-1*5
    # for a determinant): refused without judging it, so it should not cost an attempt.
    WORK_IT_OUT = "work_it_out"
    # The value is right but not in the form the problem asks for (expanded, factored, ...).
    WRONG_FORM = "wrong_form"
    HEDGED = "hedged"
    NO_ANSWER = "no_answer"
    BAD_KEY = "bad_key"
    VERIFIED_BY_SUBSTITUTION = "verified_by_substitution"
    NOT_VERIFIED = "not_verified"


# Statuses that say nothing about whether the student's maths was right.
NOT_JUDGED = frozenset(
    {Status.UNPARSEABLE, Status.TIMEOUT, Status.ERROR, Status.WORK_IT_OUT, Status.NO_ANSWER, Status.BAD_KEY}
)


def verdict(
    equivalent: bool,
    status: Status,
    comparator: str,
    reason: str,
    interpreted: str = "",
    numeric_only: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """The plain dict a worker sends back; `Verdict` in __init__ is built from it."""
    if equivalent and status not in (Status.CORRECT, Status.VERIFIED_BY_SUBSTITUTION):
        raise ValueError(f"an equivalent verdict can't have status {status!r}")
    return {
        "equivalent": equivalent,
        "status": str(Status(status)),
        "comparator": comparator,
        "reason": reason,
        "interpreted_as": interpreted,
        "numeric_only": numeric_only,
        **extra,
    }


def crashed(exc: BaseException) -> dict[str, Any]:
    """The verdict for an exception inside the checker: the traceback travels to the parent's log."""
    return verdict(
        False,
        Status.ERROR,
        "none",
        "Something went wrong while checking that answer. It has been reported; please try again.",
        error="".join(traceback.format_exception(exc, limit=-8)),
    )
