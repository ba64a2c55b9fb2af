from __future__ import annotations

import csv

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tutor.classroom.models import Classroom
from tutor.tutoring.models import Flag, Message, TutoringSession

from . import selectors


def _teacher(request: HttpRequest) -> None:
    if not request.user.is_teacher:
        raise PermissionDenied("This page is for teachers.")


def _classroom(request: HttpRequest, pk: int) -> Classroom:
    _teacher(request)
    return get_object_or_404(selectors.classroom_for_teacher(teacher=request.user, pk=pk))


@login_required
def class_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _classroom(request, pk)
    figures = selectors.dashboard(classroom)
    chart_height = 28 * len(figures) + 10
    open_flags = selectors.flags_for_teacher(teacher=request.user).filter(resolved_at__isnull=True).count()
    return render(
        request,
        "reports/dashboard.html",
        {
            "classroom": classroom,
            "figures": figures,
            "chart_height": chart_height,
            "students": classroom.students.order_by("username"),
            "open_flags": open_flags,
        },
    )


@login_required
def student_detail(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    classroom = _classroom(request, pk)
    student = get_object_or_404(classroom.students, pk=student_id)
    rows = selectors.student_rows(classroom, student)
    return render(request, "reports/student.html", {"classroom": classroom, "student": student, "rows": rows})


@login_required
def grades_csv(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _classroom(request, pk)
    problems, rows = selectors.grades(classroom)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="grades-{classroom.pk}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["student", "name", *[f"{p.problem_set.key}/{p.key}" for p in problems], "solved", "out of"]
    )
    for student, marks, total in rows:
        writer.writerow(
            [student.username, student.get_full_name() or student.first_name, *marks, total, len(problems)]
        )
    return response


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    _teacher(request)
    flags = selectors.flags_for_teacher(teacher=request.user).order_by("resolved_at", "-created_at")[:200]
    return render(request, "reports/review_queue.html", {"flags": flags})


@login_required
def review_flag(request: HttpRequest, flag_id: int) -> HttpResponse:
    _teacher(request)
    flag = get_object_or_404(selectors.flags_for_teacher(teacher=request.user), pk=flag_id)
    if request.method == "POST":
        flag.teacher_note = request.POST.get("teacher_note", "")[:5000]
        if request.POST.get("resolve"):
            flag.resolved_at = timezone.now()
            flag.resolved_by = request.user
        flag.save()
        flash.success(request, "Saved." if not flag.resolved_at else "Marked as reviewed.")
        return redirect("review_queue")
    transcript = []
    if flag.session_id:
        transcript = list(
            flag.session.messages.prefetch_related("verifications").order_by("created_at", "id")
        )
    return render(request, "reports/review_flag.html", {"flag": flag, "transcript": transcript})


@login_required
@require_POST
def report_message(request: HttpRequest, message_id: int) -> JsonResponse:
    """A student's "this looks wrong" on one of the tutor's replies."""
    message = get_object_or_404(
        Message.objects.select_related("session"),
        pk=message_id,
        session__student=request.user,
        role=Message.Role.TUTOR,
    )
    note = request.POST.get("note", "")[:1000]
    Flag.objects.create(
        kind=Flag.Kind.STUDENT_REPORT,
        session=message.session,
        message=message,
        problem_id=message.session.problem_id,
        detail=note or "The student marked this reply as looking wrong.",
        model_answer=message.final_answer,
    )
    TutoringSession.objects.filter(pk=message.session_id).update(flagged=True)
    return JsonResponse({"ok": True, "message": "Thanks! Your teacher will take a look."})
