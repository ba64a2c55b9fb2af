"""Step checks in the reply policy (issue 12): the model's worked solution is checked step by step
after its final answer verified, and a student's working is checked line by line before the
model is asked for feedback. The checking itself is inference.checker.steps, in the sandbox.
"""

from __future__ import annotations

from typing import Any

from inference.checker import StepReport, acheck_answer, acheck_steps, averify_by_substitution

from .. import records
from ..models import Flag
from .reply import reply_said
from .streaming import Attempt

STEP_FAILED_REASON = "The final answer checks out, but a step on the way doesn't. The marked step is wrong."
WORKING_ALL_RIGHT = (
    "I checked every line of your working with a computer algebra system: each line follows from "
    "the one before, and your final line is right. Well done!"
)


async def solution_steps(reply: Any, attempt: Attempt) -> StepReport:
    """Every step of the model's solution; a step the checker can't read is counted, not failed."""
    return await steps_of(reply, attempt.content)


async def steps_of(reply: Any, text: str) -> StepReport:
    return await acheck_steps(problem=reply.problem.full_statement, text=text, owner=reply.owner)


async def flag_broken_step(reply: Any, steps: StepReport, model_answer: str) -> None:
    await records.aflag_raise(
        session_id=reply.session_id,
        message_id=reply.message_id,
        problem_id=reply.problem.pk,
        kind=Flag.Kind.UNVERIFIED_ANSWER,
        detail=(
            f"After {reply.max_tries} tries a step of the tutor's solution still failed the check "
            f"(the final answer was right): {steps.reason}"
        ),
        model_answer=model_answer,
    )


async def _final_line_right(reply: Any, line: str) -> bool:
    problem = reply.problem
    if reply.gold:
        verdict = await acheck_answer(
            gold=reply.gold,
            answer=line,
            answer_type=problem.answer_type,
            tolerance=problem.tolerance,
            units=problem.units or None,
            options=problem.checker_options or None,
            owner=reply.owner,
        )
    else:
        verdict = await averify_by_substitution(
            problem=problem.full_statement, answer=line, owner=reply.owner
        )
    return verdict.equivalent


async def ground_feedback(reply: Any) -> bool:
    """Before the model is asked for feedback, the CAS checks the student's own lines.

    A line that doesn't follow is sent to the page (status `working_checked`, which marks it) and
    told to the model through `reply.working_check`, with the lines before it that do follow; the
    model explains the mistake (the leak gate still checks every sentence). With no wrong line and
    a right final line the student is told so at once, without the model: returns True (done).
    """
    report = await acheck_steps(
        problem=reply.problem.full_statement, text=reply.student_text, source="student", owner=reply.owner
    )
    if report.checked == 0:
        return False
    if report.ok:
        lines = [line.strip() for line in reply.student_text.splitlines() if line.strip()]
        # A bare guess ("x = 2") is not working: it goes to the model (and its leak gate) rather
        # than to a free, attempt-less "that's right" the answer box would have counted.
        if report.checked < 2 or not lines or not await _final_line_right(reply, lines[-1]):
            return False
        await reply_said(reply, WORKING_ALL_RIGHT)
        return True
    line = report.failed_line or 0
    good = sorted({int(s["line"]) for s in report.steps if s["status"] == "passed" and int(s["line"]) < line})
    wrong = next(s for s in report.steps if s["index"] == report.failed_step)
    reply.working_check = (
        "A computer algebra system checked my lines. "
        + (
            f"Line{'s' if len(good) > 1 else ''} {', '.join(map(str, good))} follow correctly. "
            if good
            else ""
        )
        + f"Line {line} does not follow: {report.reason}. Explain what went wrong in line {line} and why, "
        "without giving the final answer."
    )
    working = {"failed_line": line, "latex": wrong["latex"], "checked": report.checked}
    message = f"Line {line} of your working doesn't follow from the lines before it."
    await reply.log.emit(
        [("status", "", {"code": "working_checked", "message": message, "working": working})]
    )
    return False
