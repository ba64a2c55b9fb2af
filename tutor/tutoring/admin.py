from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse

from tutor.problems.models import Variant
from tutor.reports.spreadsheet import SpreadsheetWriter

from .models import Attempt, Flag, Message, TutoringSession, Verification


class ReadOnlyAdmin(admin.ModelAdmin):
    """Audit data: what students and the tutor did is shown, never edited or made up in the admin.

    Deleting stays possible (docs/security.md: an admin may remove a student's data)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _classroom_name(session: TutoringSession) -> str:
    assignment = session.assignment
    return assignment.classroom.name if assignment is not None else ""


def _student_answers(sessions: list[TutoringSession]) -> dict[tuple[int, int], list[Attempt]]:
    """Each session's student's answers to its problem, oldest first (one query for all)."""
    pairs = {(s.student_id, s.problem_id) for s in sessions}
    answers: dict[tuple[int, int], list[Attempt]] = {}
    if not pairs:
        return answers
    # Two IN lists rather than one OR per session: the SQL stays small for a "select all" export.
    candidates = Attempt.objects.filter(
        student_id__in={student for student, _ in pairs}, problem_id__in={problem for _, problem in pairs}
    ).order_by("created_at", "id")
    for attempt in candidates:
        key = (attempt.student_id, attempt.problem_id)
        if key in pairs:
            answers.setdefault(key, []).append(attempt)
    return answers


def _problem_as_seen(session: TutoringSession) -> tuple[str, str, bool]:
    """The statement (a part after its stem) and key the student had: their own numbers when the
    problem is randomised. Read from the stored variant; the admin never makes one."""
    problem = session.problem
    variants = Variant.objects.filter(user_id=session.student_id, assignment_id=session.assignment_id)
    own = variants.filter(problem=problem).first()
    statement = own.statement if own is not None else problem.statement
    if problem.parent_id is not None:
        stem = variants.filter(problem_id=problem.parent_id).first()
        statement = f"{(stem.statement if stem else problem.parent.statement).rstrip()}\n\n{statement}"
    return statement, own.answer if own is not None else problem.answer, own is not None


@admin.action(description="Export selected sessions as CSV (one row per message or answer)")
def export_sessions_csv(modeladmin: admin.ModelAdmin, request, queryset) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tutoring-sessions.csv"'
    # Student text and model output go into a spreadsheet: no cell may run as a formula.
    writer = SpreadsheetWriter(response)
    writer.writerow(
        [
            "session",
            "student",
            "class",
            "assignment",
            "problem",
            "flagged",
            "time",
            "role",
            "mode",
            "status",
            "verification",
            "correct",
            "late",
            "read_as",
            "final_answer",
            "content",
        ]
    )
    sessions = list(
        queryset.select_related("student", "problem", "assignment__classroom", "assignment__problem_set")
        .prefetch_related("messages")
        .order_by("created_at")
    )
    answers = _student_answers(sessions)
    for session in sessions:
        common = [
            session.pk,
            session.student.username,
            _classroom_name(session),
            str(session.assignment.problem_set) if session.assignment is not None else "",
            str(session.problem),
        ]
        rows: list[tuple[Any, list[object]]] = []
        for message in session.messages.all():
            rows.append(
                (
                    message.created_at,
                    [message.role, message.mode, message.status, message.verification, "", ""]
                    + ["", message.final_answer, message.content],
                )
            )
        for attempt in answers.get((session.student_id, session.problem_id), []):
            rows.append(
                (
                    attempt.created_at,
                    ["answer", "", attempt.status, "", attempt.correct, attempt.late]
                    + [attempt.interpreted_as, "", attempt.answer],
                )
            )
        rows.sort(key=lambda row: row[0])
        for created_at, rest in rows:
            writer.writerow([*common, session.flagged, created_at.isoformat(), *rest])
    return response


class HasMessagesFilter(admin.SimpleListFilter):
    title = "has messages"
    parameter_name = "has_messages"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No (opened, nothing asked)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        asked = Exists(Message.objects.filter(session=OuterRef("pk")))
        if self.value() == "yes":
            return queryset.filter(asked)
        if self.value() == "no":
            return queryset.exclude(asked)
        return queryset


@admin.register(TutoringSession)
class TutoringSessionAdmin(ReadOnlyAdmin):
    """A session's page is its conversation, rendered (templates/admin/tutoring/tutoringsession/),
    with who, what and when above it; nothing on it can be edited."""

    actions = (export_sessions_csv,)
    list_display = ("student", "problem", "classroom", "assignment", "flagged", "message_count", "updated_at")
    list_filter = (
        HasMessagesFilter,
        "flagged",
        ("assignment__classroom", admin.RelatedOnlyFieldListFilter),
        ("problem__problem_set", admin.RelatedOnlyFieldListFilter),
        ("student", admin.RelatedOnlyFieldListFilter),
        "messages__status",
        "messages__verification",
        "created_at",
    )
    search_fields = ("student__username", "problem__title", "problem__statement", "messages__content")
    date_hierarchy = "created_at"
    list_select_related = (
        "student",
        "problem__problem_set",
        "assignment__classroom",
        "assignment__problem_set",
    )
    fields = ("student", "classroom", "problem", "assignment", "flagged", "created_at", "updated_at", "id")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(message_total=Count("messages", distinct=True))

    @admin.display(description="Messages", ordering="message_total")
    def message_count(self, obj: TutoringSession) -> int:
        return obj.message_total  # type: ignore[attr-defined]  # annotated in get_queryset

    @admin.display(description="Class")
    def classroom(self, obj: TutoringSession) -> str:
        return _classroom_name(obj) or "-"

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        session = self.get_object(request, unquote(object_id))
        extra: dict[str, Any] = dict(extra_context or {})
        if session is not None:
            extra["conversation"] = session.messages.order_by("created_at", "id").prefetch_related(
                "verifications", "flags"
            )
            extra["answers"] = _student_answers([session]).get((session.student_id, session.problem_id), [])
            extra["problem_text"], extra["problem_key"], extra["own_numbers"] = _problem_as_seen(session)
            # Flags are shown with the message they are about; these are the session's others.
            extra["session_flags"] = session.flags.filter(message__isnull=True)
        return super().change_view(request, object_id, form_url, extra_context=extra)


class VerificationInline(ReadOnlyInline):
    model = Verification
    fields = (
        "subject",
        "gold",
        "answer",
        "status",
        "equivalent",
        "interpreted_as",
        "comparator",
        "reason",
        "ms",
    )
    readonly_fields = fields


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("session", "role", "mode", "status", "verification", "final_answer", "created_at")
    list_filter = ("role", "mode", "status", "verification", "created_at")
    search_fields = ("content", "final_answer", "session__student__username")
    inlines = (VerificationInline,)


@admin.register(Attempt)
class AttemptAdmin(ReadOnlyAdmin):
    list_display = ("student", "problem", "answer", "status", "correct", "created_at")
    list_filter = ("status", "correct", "created_at")
    search_fields = ("student__username", "answer", "problem__title")


@admin.register(Verification)
class VerificationAdmin(ReadOnlyAdmin):
    list_display = ("subject", "status", "equivalent", "gold", "answer", "comparator", "ms", "created_at")
    list_filter = ("subject", "status", "equivalent", "comparator")
    search_fields = ("gold", "answer", "reason")


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    """What was flagged is a record; the note and "resolved" are the reviewer's and stay editable."""

    readonly_fields = ("kind", "problem", "session", "message", "detail", "model_answer", "resolved_by")
    list_display = ("kind", "problem", "session", "resolved_at", "created_at")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("detail", "teacher_note", "problem__title")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
