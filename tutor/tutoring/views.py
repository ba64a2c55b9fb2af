"""Answer preview and submission.

Async views: a check can take up to the checker's time limit, and an async view awaits it on the
event loop instead of holding a thread for that long; database work goes through sync_to_async.
Refusals (the per-user limits) raise `Throttled`, which the error middleware turns into a 429 with
a sentence the page shows.
"""

from __future__ import annotations

import json

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_POST

from tutor.classroom import selectors
from tutor.classroom.models import User
from tutor.problems.models import Problem

from . import attempts


def _answer_from(request: HttpRequest) -> str:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            return ""
        return str(body.get("answer", ""))
    return request.POST.get("answer", "")


def _student_problem(user: User, pk: int) -> Problem:
    return get_object_or_404(selectors.problem_list_for(user=user), pk=pk)


async def _signed_in(request: HttpRequest) -> User:
    user = await request.auser()
    if not isinstance(user, User):  # login_required lets only signed-in users through
        raise PermissionDenied
    return user


@login_required
@require_POST
async def answer_preview(request: HttpRequest, pk: int) -> JsonResponse:
    user = await _signed_in(request)
    result = await attempts.aanswer_preview(user=user, problem_id=pk, answer=_answer_from(request))
    return JsonResponse(result)


@login_required
@require_POST
async def answer_submit(request: HttpRequest, pk: int) -> JsonResponse:
    user = await _signed_in(request)
    if not user.is_student:
        return JsonResponse({"error": "Only students submit answers."}, status=403)
    problem = await sync_to_async(_student_problem)(user, pk)
    result = await attempts.aattempt_submit(student=user, problem=problem, answer=_answer_from(request))
    count = await problem.attempts.filter(student=user).acount()
    return JsonResponse(
        {
            "counted": result.counted,
            "correct": result.correct,
            "status": result.status,
            "reason": result.reason,
            "interpreted_as": result.interpreted_as,
            "attempts": count,
            "late": bool(result.attempt is not None and result.attempt.late),
        },
        status=200,
    )
