from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from inference.checker import check_answer
from tutor.classroom.access import require_teacher
from tutor.classroom.models import Classroom
from tutor.errors import ApplicationError, Throttled
from tutor.limits.services import Limit, throttle_hit
from tutor.problems.choices import choice_form, choice_grade
from tutor.problems.models import Problem, ProblemSet
from tutor.tutoring.attempts import MAX_ANSWER_CHARS, NOT_COUNTED
from tutor.tutoring.models import AuditRun, Message

from . import selectors, services
from .spreadsheet import SpreadsheetWriter


def _classroom(request: HttpRequest, pk: int) -> Classroom:
    require_teacher(request.user)
    return get_object_or_404(selectors.classroom_for_teacher(teacher=request.user, pk=pk))


@login_required
def class_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _classroom(request, pk)
    assignments = list(selectors.class_assignments(classroom))
    chosen = request.GET.get("assignment", "")
    assignment = next((a for a in assignments if str(a.pk) == chosen), None)
    problems = selectors.class_problems(classroom, assignment)
    for problem, label in zip(problems, selectors.problem_labels(problems), strict=True):
        problem.label = label  # "2. Title" (with the set's title when there are several), as in the CSV
    figures = selectors.dashboard(classroom, problems)
    open_flags = selectors.flags_for_teacher(teacher=request.user).filter(resolved_at__isnull=True).count()
    return render(
        request,
        "reports/dashboard.html",
        {
            "classroom": classroom,
            "figures": figures,
            "assignments": assignments,
            "assignment": assignment,
            "grid": selectors.progress_grid(classroom, problems),
            "problems": problems,
            "students": selectors.students_by_name(classroom),
            "open_flags": open_flags,
        },
    )


@login_required
def student_detail(request: HttpRequest, pk: int, student_id: int) -> HttpResponse:
    classroom = _classroom(request, pk)
    student = get_object_or_404(classroom.students, pk=student_id)
    rows = selectors.student_rows(classroom, student)
    from tutor.problems.variants import stored_variants  # randomised problems: the student's numbers

    stored_variants(student=student, rows=rows)
    return render(request, "reports/student.html", {"classroom": classroom, "student": student, "rows": rows})


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


@login_required
def grades_csv(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = _classroom(request, pk)
    assignment = (
        classroom.assignments.filter(pk=request.GET.get("assignment") or 0).first()
        if (request.GET.get("assignment", "").isdigit())
        else None
    )
    problems, rows = selectors.grades(classroom, assignment)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="grades-{classroom.pk}.csv"'
    writer = SpreadsheetWriter(response)
    writer.writerow(
        [
            "student",
            "username",
            *selectors.problem_labels(problems),
            "score",
            "out of",
            "solved",
            "attempts",
            "hints used",
            "late",
        ]
    )
    for row in rows:
        writer.writerow(
            [
                row.student.display_name,
                row.student.username,
                *[_number(score) for score in row.scores],
                _number(row.score),
                len(problems),
                row.solved,
                row.attempts,
                row.hints,
                row.late,
            ]
        )
    return response


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    require_teacher(request.user)
    queue = selectors.review_queue(
        teacher=request.user,
        kind=request.GET.get("kind", ""),
        student=request.GET.get("student", ""),
        classroom=request.GET.get("classroom", ""),
        page=request.GET.get("page", "1"),
    )
    return render(request, "reports/review_queue.html", {"queue": queue})


@login_required
def review_flag(request: HttpRequest, flag_id: int) -> HttpResponse:
    require_teacher(request.user)
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
    for message in transcript:
        if message.role == Message.Role.TUTOR:
            message.unfinished_label = UNFINISHED_LABELS.get(message.status, "")
    if flag.session_id:
        from tutor.problems.variants import resolve  # a randomised problem: this student's key

        flag.problem = resolve(problem=flag.problem, user=flag.session.student)
    return render(request, "reports/review_flag.html", {"flag": flag, "transcript": transcript})


# How a reply that didn't finish is labelled in a transcript.
UNFINISHED_LABELS = {
    Message.Status.STOPPED: "Stopped by the student before the end",
    Message.Status.CUT_OFF: "Cut off: the reply was too long",
    Message.Status.ERROR: "Failed: the tutor could not answer",
    Message.Status.QUEUED: "Not answered yet",
    Message.Status.STREAMING: "Still being written",
}


@login_required
@require_POST
def report_message(request: HttpRequest, message_id: int) -> JsonResponse:
    """A student's "this looks wrong" on one of the tutor's replies."""
    # Always JSON, refusals too: the page's button shows `message` whatever happened.
    try:
        _, created = services.message_report(
            student=request.user, message_id=message_id, note=request.POST.get("note", "")
        )
    except ApplicationError as exc:
        response = JsonResponse({**exc.as_dict(), "ok": False, "message": exc.message}, status=exc.status)
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if created:
        thanks = "Thanks! Your teacher will take a look at this reply."
    else:
        thanks = (
            "Thanks! You already reported this reply, so we added to that report. Your teacher will see it."
        )
    return JsonResponse({"ok": True, "created": created, "message": thanks})


@login_required
def audit_results(request: HttpRequest, pk: int) -> HttpResponse:
    """The latest answer-key audit of one of the teacher's sets, problem by problem."""
    require_teacher(request.user)
    problem_set = get_object_or_404(ProblemSet, pk=pk, owner=request.user)
    report = selectors.audit_report(teacher=request.user, problem_set=problem_set)
    running = report.audit is not None and report.audit.status in (
        AuditRun.Status.QUEUED,
        AuditRun.Status.RUNNING,
    )
    if request.GET.get("format") == "json":
        audit = report.audit
        return JsonResponse(
            {
                "running": running,
                "processed": audit.processed if audit else 0,
                "total": audit.total if audit else 0,
                "summary": report.summary,
            }
        )
    return render(
        request,
        "reports/audit_results.html",
        {"problem_set": problem_set, "report": report, "running": running},
    )


def teacher_check_limit() -> Limit:
    return Limit(
        scope="teacher_check",
        limit=60,
        period=60,
        message="That's a lot of answers checked in a minute. Wait a moment, then try again.",
    )


def _preview_check(request: HttpRequest, problem: Problem) -> dict[str, object]:
    """Grade an answer typed on the preview the way a student's is graded, and save nothing."""
    answer = "\n".join(v.strip() for v in request.POST.getlist("answer") if v.strip())
    if not answer:
        return {"answer": "", "correct": False, "reason": "Type an answer first.", "read_as": ""}
    if len(answer) > MAX_ANSWER_CHARS:
        return {
            "answer": answer[:80],
            "correct": False,
            "reason": f"Keep the answer under {MAX_ANSWER_CHARS} characters.",
            "read_as": "",
        }
    throttle_hit(teacher_check_limit(), key=f"user:{request.user.pk}")
    if choice_form(problem=problem) is not None:
        verdict = choice_grade(problem=problem, answer=answer)
    else:
        options = dict(problem.checker_options or {})
        if problem.sig_figs:
            options["sig_figs"] = problem.sig_figs
        verdict = check_answer(
            gold=problem.answer,
            answer=answer,
            answer_type=problem.answer_type,
            tolerance=problem.tolerance,
            units=problem.units or None,
            options=options,
            owner=f"user:{request.user.pk}",
        )
    return {
        "answer": answer,
        "correct": verdict.equivalent,
        "reason": verdict.reason,
        "read_as": verdict.interpreted_as,
        "counts": verdict.status not in NOT_COUNTED,
    }


@login_required
def problem_teacher(request: HttpRequest, pk: int) -> HttpResponse:
    """One of the teacher's problems as a student sees it (answers can be checked; nothing is
    saved, no tutoring session is started), with its key, hints and worked solution beside it."""
    require_teacher(request.user)
    problem = get_object_or_404(
        Problem.objects.select_related("problem_set", "parent"), pk=pk, problem_set__owner=request.user
    )
    parts = list(problem.parts.order_by("position", "id"))
    from tutor.problems.variants import sample_for_teacher  # randomised: one sample variant

    problem, parts = sample_for_teacher(problem), [sample_for_teacher(part) for part in parts]
    checked: dict[str, object] | None = None
    checked_id = None
    if request.method == "POST":
        target = problem
        part_id = request.POST.get("part", "")
        if part_id.isdigit():
            target = next((p for p in parts if p.pk == int(part_id)), problem)
        checked, checked_id = _preview_check(request, target), target.pk
    siblings = list(
        problem.problem_set.problems.filter(parent__isnull=True)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    index = siblings.index(problem.pk) if problem.pk in siblings else -1
    return render(
        request,
        "reports/problem_teacher.html",
        {
            "problem": problem,
            "parts": parts,
            "checked": checked,
            "checked_id": checked_id,
            "previous_id": siblings[index - 1] if index > 0 else None,
            "next_id": siblings[index + 1] if 0 <= index < len(siblings) - 1 else None,
            "position": index + 1,
            "count": len(siblings),
        },
    )
