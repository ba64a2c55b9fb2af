"""Teachers' pages for problem sets: upload, export, assignments and the answer-key audit."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from tutor.classroom.models import Assignment

from . import services
from .forms import AssignmentForm, UploadForm
from .importers.base import MAX_UPLOAD_BYTES
from .models import ImportJob, ProblemSet


def _teacher(request: HttpRequest) -> None:
    if not request.user.is_teacher:
        raise PermissionDenied("This page is for teachers.")


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    _teacher(request)
    result = None
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        data = uploaded.read(MAX_UPLOAD_BYTES + 1)
        if (
            not form.cleaned_data["dry_run"]
            and services.problem_count(filename=uploaded.name, data=data) > services.LARGE_UPLOAD_PROBLEMS
        ):
            job = services.import_job_start(owner=request.user, filename=uploaded.name, data=data)
            return redirect("import_job", pk=job.pk)
        result = services.problem_set_import(
            owner=request.user, filename=uploaded.name, data=data, dry_run=form.cleaned_data["dry_run"]
        )
        if result.ok:
            messages.success(
                request,
                f"Imported '{result.problem_set.title}': {result.created} new, {result.updated} updated problems.",
            )
    status = 400 if result is not None and result.errors else 200
    return render(request, "problems/upload.html", {"form": form, "result": result}, status=status)


@login_required
def export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    _teacher(request)
    problem_set = get_object_or_404(ProblemSet, pk=pk, owner=request.user)
    if fmt not in ("yaml", "xml"):
        raise Http404("Export as .yaml or .xml.")
    if fmt == "yaml":
        body, kind, ext = (
            services.problem_set_export_yaml(problem_set=problem_set),
            "application/yaml",
            "yaml",
        )
    else:
        body, kind, ext = (
            services.problem_set_export_moodle(problem_set=problem_set),
            "application/xml",
            "xml",
        )
    response = HttpResponse(body, content_type=f"{kind}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{problem_set.key}.{ext}"'
    return response


@login_required
def assignment_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    _teacher(request)
    assignment = get_object_or_404(Assignment, pk=pk, classroom__teacher=request.user) if pk else None
    initial = {}
    if assignment is None and request.GET.get("set"):
        initial["problem_set"] = request.GET["set"]
    form = AssignmentForm(request.POST or None, instance=assignment, teacher=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        messages.success(request, f"'{saved.problem_set.title}' is assigned to {saved.classroom.name}.")
        return redirect("classroom_detail", pk=saved.classroom_id)
    return render(request, "problems/assignment_form.html", {"form": form, "assignment": assignment})


@login_required
@require_POST
def assignment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _teacher(request)
    assignment = get_object_or_404(Assignment, pk=pk, classroom__teacher=request.user)
    classroom_id = assignment.classroom_id
    assignment.delete()
    messages.success(request, "Assignment removed.")
    return redirect("classroom_detail", pk=classroom_id)


@login_required
@require_POST
def audit_start(request: HttpRequest, pk: int) -> HttpResponse:
    _teacher(request)
    from tutor.tutoring.audit import problem_set_audit_start

    problem_set = get_object_or_404(ProblemSet, pk=pk, owner=request.user)
    problem_set_audit_start(user=request.user, problem_set=problem_set)
    messages.success(
        request, "The tutor is checking every answer key. Disagreements will appear in your review queue."
    )
    return redirect("problem_set_detail", pk=pk)


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    _teacher(request)
    job = get_object_or_404(ImportJob, pk=pk, owner=request.user)
    if request.headers.get("Accept") == "application/json" or request.GET.get("format") == "json":
        return JsonResponse(
            {
                "status": job.status,
                "status_text": job.get_status_display(),
                "processed": job.processed,
                "total": job.total,
                "errors": job.errors,
                "done": job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED),
            }
        )
    return render(request, "problems/import_job.html", {"job": job})
