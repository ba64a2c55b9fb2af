from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from tutor.classroom import selectors

from . import attempts


def _answer_from(request: HttpRequest) -> str:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return ""
        return str(body.get("answer", ""))
    return request.POST.get("answer", "")


def _student_problem(request: HttpRequest, pk: int):
    if not request.user.is_student:
        return None
    return get_object_or_404(selectors.problem_list_for(user=request.user), pk=pk)


@login_required
@require_POST
def answer_preview(request: HttpRequest, pk: int) -> JsonResponse:
    problem = get_object_or_404(selectors.problem_list_for(user=request.user), pk=pk)
    return JsonResponse(attempts.answer_preview(problem=problem, answer=_answer_from(request)))


@login_required
@require_POST
def answer_submit(request: HttpRequest, pk: int) -> JsonResponse:
    problem = _student_problem(request, pk)
    if problem is None:
        return JsonResponse({"error": "Only students submit answers."}, status=403)
    result = attempts.attempt_submit(student=request.user, problem=problem, answer=_answer_from(request))
    return JsonResponse(
        {
            "counted": result.counted,
            "correct": result.correct,
            "status": result.status,
            "reason": result.reason,
            "interpreted_as": result.interpreted_as,
            "attempts": problem.attempts.filter(student=request.user).count(),
        },
        status=200,
    )
