from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from tutor.classroom import selectors


@login_required
def problem_set_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem_set = get_object_or_404(selectors.problem_set_list_for(user=request.user), pk=pk)
    problems = problem_set.problems.filter(parent__isnull=True)
    return render(
        request, "problems/problem_set_detail.html", {"problem_set": problem_set, "problems": problems}
    )


@login_required
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    problem = get_object_or_404(
        selectors.problem_list_for(user=request.user).select_related("problem_set"), pk=pk
    )
    return render(request, "problems/problem_detail.html", {"problem": problem})
