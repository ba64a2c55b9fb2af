from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from tutor.classroom import selectors
from tutor.problems.models import Problem


@login_required
def problem_set_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem_set = get_object_or_404(selectors.problem_set_list_for(user=request.user), pk=pk)
    problems = list(problem_set.problems.filter(parent__isnull=True))
    context: dict[str, object] = {"problem_set": problem_set, "problems": problems}
    if request.user.is_student:
        solved = selectors.solved_problem_ids(student=request.user, problem_set_ids=[problem_set.pk])
        for problem in problems:
            problem.solved = problem.pk in solved
        context["progress"] = selectors.problem_set_progress_for(
            student=request.user, problem_set_ids=[problem_set.pk]
        )[problem_set.pk]
    return render(request, "problems/problem_set_detail.html", context)


def _student_answers(*, student, problem: Problem, solved_ids: set[int]) -> None:
    """What the answer box of one problem (or one part) shows the student: their attempts and
    whether it is solved."""
    problem.student_attempts = problem.attempts.filter(student=student).order_by("-created_at")[:20]
    problem.solved = problem.pk in solved_ids


@login_required
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_object_or_404(
        selectors.problem_list_for(user=request.user).select_related("problem_set", "parent"), pk=pk
    )
    if problem.parent_id is not None:
        # A part is answered on its stem's page, beside the other parts.
        return redirect(f"{reverse('problem_detail', args=[problem.parent_id])}#part-{problem.pk}")
    parts = list(problem.parts.order_by("position", "pk"))
    if request.user.is_student:
        from tutor.problems.variants import resolve  # a randomised problem: the student's own numbers

        problem = resolve(problem=problem, user=request.user)
        parts = [resolve(problem=part, user=request.user) for part in parts]
    for number, part in enumerate(parts):
        # "(a)", "(b)", ... in the order the teacher wrote them; ids unique on the page.
        letter = chr(ord("a") + number) if number < 26 else str(number + 1)
        part.label = f"({letter})"
        part.long_label = f"part ({letter})"
        part.sfx = f"-{part.pk}"
        part.source_id = f"part-source-{part.pk}"
    context: dict[str, object] = {"problem": problem, "parts": parts, "is_student": request.user.is_student}
    if request.user.is_student:
        from tutor.tutoring.services import solution_allowed_for

        assignment = selectors.assignment_for_student(user=request.user, problem=problem)
        solved_ids = selectors.solved_problem_ids(
            student=request.user, problem_set_ids=[problem.problem_set_id]
        )
        for answerable in [problem, *parts]:
            _student_answers(student=request.user, problem=answerable, solved_ids=solved_ids)
            answerable.solution_allowed, answerable.solution_locked_reason = solution_allowed_for(
                student=request.user, problem=answerable
            )
        context.update(
            {
                "attempts": problem.student_attempts,
                "solution_allowed": problem.solution_allowed,
                "solution_locked_reason": problem.solution_locked_reason,
                "assignment": assignment,
                "late_state": selectors.late_state(assignment=assignment),
                "late_now": selectors.assignment_is_late(assignment=assignment),
                "solved": problem.solved,
                "parts_solved": sum(1 for part in parts if part.solved),
                "progress": selectors.problem_set_progress_for(
                    student=request.user, problem_set_ids=[problem.problem_set_id]
                )[problem.problem_set_id],
            }
        )
    siblings = list(problem.problem_set.problems.filter(parent__isnull=True).values_list("pk", flat=True))
    index = siblings.index(problem.pk) if problem.pk in siblings else -1
    context["previous_id"] = siblings[index - 1] if index > 0 else None
    context["next_id"] = siblings[index + 1] if 0 <= index < len(siblings) - 1 else None
    return render(request, "problems/problem_detail.html", context)
