"""Teachers' pages for problem sets: upload, import progress, export, assignments."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from tutor.classroom.access import require_teacher

from . import services
from .forms import UploadForm
from .importers.base import MAX_UPLOAD_BYTES
from .models import ImportJob, ProblemSet

# Room for the multipart headers and the other form fields around the file.
UPLOAD_SLACK_BYTES = 64 * 1024
TOO_LARGE = (
    f"That file is larger than {MAX_UPLOAD_BYTES // 1024 // 1024} MB, the limit for one upload. "
    "Split the set into smaller files, or zip them."
)


class _SizeLimit(FileUploadHandler):
    """Stops reading an upload as soon as it passes the limit, so a huge body is never spooled."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@csrf_exempt  # so the size limit is installed before the body is read; _upload checks CSRF
@login_required
def upload(request: HttpRequest) -> HttpResponse:
    require_teacher(request.user)
    limiter = None
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_UPLOAD_BYTES + UPLOAD_SLACK_BYTES:
            # Refused before a byte of the body is read.
            return render(
                request, "problems/upload.html", {"form": UploadForm(), "too_large": TOO_LARGE}, status=413
            )
        limiter = _SizeLimit(request, MAX_UPLOAD_BYTES)
        request.upload_handlers.insert(0, limiter)
    return _upload(request, limiter)


@csrf_protect
def _upload(request: HttpRequest, limiter: _SizeLimit | None) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if limiter is not None and limiter.exceeded:
        return render(
            request, "problems/upload.html", {"form": UploadForm(), "too_large": TOO_LARGE}, status=413
        )
    result = None
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        data = uploaded.read(MAX_UPLOAD_BYTES + 1)
        dry_run = form.cleaned_data["dry_run"]
        # The file is read in a child process with a time and memory limit (importers/sandbox.py);
        # this request's thread waits for it without the GIL, so other requests go on meanwhile.
        outcome = services.problem_set_upload(
            owner=request.user, filename=uploaded.name, data=data, dry_run=dry_run
        )
        if isinstance(outcome, ImportJob):
            return redirect("import_job", pk=outcome.pk)
        result = outcome
        if result.ok and not dry_run:
            messages.success(
                request,
                f"Imported '{result.problem_set.title}': {result.created} new and {result.updated} updated problems.",
            )
    status = 400 if (result is not None and result.errors) or form.errors else 200
    return render(request, "problems/upload.html", {"form": form, "result": result}, status=status)


@login_required
def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    require_teacher(request.user)
    job = get_object_or_404(ImportJob, pk=pk, owner=request.user)
    done = job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED)
    if request.GET.get("format") == "json" or request.headers.get("Accept") == "application/json":
        return JsonResponse(
            {
                "status": job.status,
                "status_text": job.get_status_display(),
                "processed": job.processed,
                "total": job.total,
                "errors": job.errors,
                "done": done,
            }
        )
    return render(request, "problems/import_job.html", {"job": job, "done": done})


@login_required
def export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    require_teacher(request.user)
    problem_set = get_object_or_404(ProblemSet, pk=pk, owner=request.user)
    if fmt == "yaml":
        body, content_type = services.problem_set_export_yaml(problem_set=problem_set), "application/yaml"
    elif fmt == "xml":
        body, content_type = services.problem_set_export_moodle(problem_set=problem_set), "application/xml"
    else:
        raise Http404("Export as .yaml or .xml.")
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    suffix = "-moodle.xml" if fmt == "xml" else ".yaml"
    response["Content-Disposition"] = f'attachment; filename="{problem_set.key}{suffix}"'
    return response


# --- assignments -------------------------------------------------------------------------------


@login_required
@require_POST
def audit_start(request: HttpRequest, pk: int) -> HttpResponse:
    require_teacher(request.user)
    from tutor.tutoring.audit import problem_set_audit_start

    problem_set = get_object_or_404(ProblemSet, pk=pk, owner=request.user)
    problem_set_audit_start(user=request.user, problem_set=problem_set)
    messages.success(
        request,
        "The tutor is checking every answer key. Each result appears on this page as it is found; "
        "disagreements also go to your review queue.",
    )
    return redirect("audit_results", pk=pk)
