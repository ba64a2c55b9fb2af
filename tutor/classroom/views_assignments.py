"""Teachers' pages for assignments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tutor.classroom.access import require_teacher

from . import assignments
from .forms import AssignmentForm
from .models import Assignment


@login_required
def assignment_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    require_teacher(request.user)
    assignment = (
        get_object_or_404(
            Assignment.objects.select_related("classroom", "problem_set"),
            pk=pk,
            classroom__teacher=request.user,
        )
        if pk
        else None
    )
    initial = {
        name: request.GET[name]
        for name in ("classroom", "problem_set")
        if request.GET.get(name, "").isdigit()
    }
    if request.GET.get("set", "").isdigit():
        initial["problem_set"] = request.GET["set"]
    form = AssignmentForm(request.POST or None, instance=assignment, teacher=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in assignments.ASSIGNMENT_FIELDS}
        if assignment is None:
            saved = assignments.assignment_create(teacher=request.user, **fields)
            messages.success(
                request, f"'{saved.problem_set.title}' is now assigned to {saved.classroom.name}."
            )
        else:
            saved = assignments.assignment_update(teacher=request.user, assignment=assignment, **fields)
            messages.success(
                request, f"Saved the assignment of '{saved.problem_set.title}' to {saved.classroom.name}."
            )
        return redirect("classroom_detail", pk=saved.classroom_id)
    status = 400 if form.errors else 200
    context = {"form": form, "assignment": assignment, "time_zone": timezone.get_current_timezone_name()}
    return render(request, "classroom/assignment_form.html", context, status=status)


@login_required
@require_POST
def assignment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    require_teacher(request.user)
    assignment = get_object_or_404(
        Assignment.objects.select_related("classroom", "problem_set"), pk=pk, classroom__teacher=request.user
    )
    classroom_id, title = assignment.classroom_id, assignment.problem_set.title
    assignments.assignment_delete(teacher=request.user, assignment=assignment)
    messages.success(request, f"'{title}' is no longer assigned to this class. Students' work on it is kept.")
    return redirect("classroom_detail", pk=classroom_id)
