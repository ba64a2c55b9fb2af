from django.contrib import admin
from django.http import HttpResponse

from tutor.reports.spreadsheet import SpreadsheetWriter

from .models import Attempt, Flag, Message, TutoringSession, Verification


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    fields = (
        "role",
        "mode",
        "status",
        "content",
        "final_answer",
        "verification",
        "thinking",
        "error_code",
        "error_message",
        "usage",
        "created_at",
    )
    readonly_fields = fields
    show_change_link = True
    can_delete = False


class FlagInline(admin.TabularInline):
    model = Flag
    extra = 0
    fields = ("kind", "detail", "model_answer", "teacher_note", "resolved_at")
    readonly_fields = ("kind", "detail", "model_answer")


@admin.action(description="Export selected sessions as CSV (one row per message)")
def export_sessions_csv(modeladmin: admin.ModelAdmin, request, queryset) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tutoring-sessions.csv"'
    # Student text and model output go into a spreadsheet: no cell may run as a formula.
    writer = SpreadsheetWriter(response)
    writer.writerow(
        [
            "session",
            "student",
            "problem",
            "flagged",
            "time",
            "role",
            "mode",
            "status",
            "verification",
            "final_answer",
            "content",
        ]
    )
    for session in queryset.select_related("student", "problem").prefetch_related("messages"):
        for message in session.messages.all():
            writer.writerow(
                [
                    session.pk,
                    session.student.username,
                    str(session.problem),
                    session.flagged,
                    message.created_at.isoformat(),
                    message.role,
                    message.mode,
                    message.status,
                    message.verification,
                    message.final_answer,
                    message.content,
                ]
            )
    return response


@admin.register(TutoringSession)
class TutoringSessionAdmin(admin.ModelAdmin):
    actions = (export_sessions_csv,)
    list_display = ("student", "problem", "assignment", "flagged", "message_count", "updated_at")
    list_filter = (
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
    inlines = (MessageInline, FlagInline)

    @admin.display(description="Messages")
    def message_count(self, obj: TutoringSession) -> int:
        return obj.messages.count()


class VerificationInline(admin.TabularInline):
    model = Verification
    extra = 0
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
    can_delete = False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("session", "role", "mode", "status", "verification", "final_answer", "created_at")
    list_filter = ("role", "mode", "status", "verification", "created_at")
    search_fields = ("content", "final_answer", "session__student__username")
    inlines = (VerificationInline,)


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("student", "problem", "answer", "status", "correct", "created_at")
    list_filter = ("status", "correct", "created_at")
    search_fields = ("student__username", "answer", "problem__title")


@admin.register(Verification)
class VerificationAdmin(admin.ModelAdmin):
    list_display = ("subject", "status", "equivalent", "gold", "answer", "comparator", "ms", "created_at")
    list_filter = ("subject", "status", "equivalent", "comparator")
    search_fields = ("gold", "answer", "reason")


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ("kind", "problem", "session", "resolved_at", "created_at")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter), "created_at")
    search_fields = ("detail", "teacher_note", "problem__title")
