"""The teacher's "new numbers" for one student on one randomised problem."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from tutor.classroom.access import require_teacher
from tutor.reports import selectors

from . import variants
from .models import Problem


@login_required
@require_POST
def variant_reseed(request: HttpRequest, pk: int, student_id: int, problem_id: int) -> HttpResponse:
    require_teacher(request.user)
    classroom = get_object_or_404(selectors.classroom_for_teacher(teacher=request.user, pk=pk))
    student = get_object_or_404(classroom.students, pk=student_id)
    problem = get_object_or_404(
        Problem.objects.select_related("problem_set", "parent"),
        pk=problem_id,
        problem_set__owner=request.user,
    )
    variant = variants.variant_reseed(teacher=request.user, problem=problem, student=student)
    flash.success(
        request,
        f"{student.display_name} has new numbers for '{problem.title or problem.key}': {variant.numbers}. "
        "Their earlier answers stay in their history.",
    )
    return redirect("student_detail", pk=classroom.pk, student_id=student.pk)
