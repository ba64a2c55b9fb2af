from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from tutor.classroom import selectors


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


@login_required
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_object_or_404(
        selectors.problem_list_for(user=request.user).select_related("problem_set"), pk=pk
    )
    context: dict[str, object] = {"problem": problem, "is_student": request.user.is_student}
    if request.user.is_student:
        from tutor.tutoring.services import solution_allowed_for

        assignment = selectors.assignment_for_student(user=request.user, problem=problem)
        allowed, why = solution_allowed_for(student=request.user, problem=problem)
        context.update(
            {
                "attempts": problem.attempts.filter(student=request.user).order_by("-created_at")[:20],
                "solution_allowed": allowed,
                "solution_locked_reason": why,
                "assignment": assignment,
                "late_now": selectors.assignment_is_late(assignment=assignment),
                "solved": selectors.problem_solved_by(student=request.user, problem=problem),
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
