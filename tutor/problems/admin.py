from django.contrib import admin

from .models import Problem, ProblemSet


class ProblemInline(admin.StackedInline):
    model = Problem
    extra = 0
    fields = ("position", "key", "title", "statement", "answer", "answer_type", "tolerance", "units", "topic")


@admin.register(ProblemSet)
class ProblemSetAdmin(admin.ModelAdmin):
    list_display = ("title", "owner", "model_name", "problem_count", "updated_at")
    list_filter = ("model_name", "owner")
    search_fields = ("title", "key", "description")
    inlines = (ProblemInline,)

    @admin.display(description="Problems")
    def problem_count(self, obj: ProblemSet) -> int:
        return obj.problems.count()


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    list_display = ("__str__", "problem_set", "answer_type", "answer", "units", "topic", "difficulty")
    list_filter = ("answer_type", "topic", "difficulty", "problem_set")
    search_fields = ("title", "statement", "answer", "key")
