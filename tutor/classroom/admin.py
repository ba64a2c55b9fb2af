from axes.utils import reset as axes_reset
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Assignment, Classroom, Enrollment, User


@admin.action(description="Unlock logins (forget their wrong passwords)")
def unlock_logins(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]) -> None:
    for user in queryset:
        axes_reset(username=user.get_username())
    count = queryset.count()
    modeladmin.message_user(
        request, f"Unlocked logins for {count} account{'s' if count != 1 else ''}.", messages.SUCCESS
    )


@admin.action(description="Approve as teachers")
def approve_teachers(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[User]) -> None:
    count = queryset.filter(role=User.Role.TEACHER, teacher_approved=False).update(teacher_approved=True)
    modeladmin.message_user(
        request, f"Approved {count} teacher{'s' if count != 1 else ''}.", messages.SUCCESS
    )


@admin.register(User)
class TutorUserAdmin(UserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "teacher_approved",
        "is_staff",
        "last_login",
    )
    list_filter = ("role", "teacher_approved", "is_staff", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("Role", {"fields": ("role", "teacher_approved")}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("Role", {"fields": ("role", "teacher_approved")}))
    actions = (approve_teachers, unlock_logins)


class EnrollmentInline(admin.TabularInline):
    model = Enrollment
    extra = 0
    autocomplete_fields = ("student",)


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ("name", "teacher", "join_code", "student_count", "created_at")
    list_filter = ("teacher",)
    search_fields = ("name", "join_code", "teacher__username")
    inlines = (EnrollmentInline, AssignmentInline)

    @admin.display(description="Students")
    def student_count(self, obj: Classroom) -> int:
        return obj.enrollments.count()


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("problem_set", "classroom", "tutor_mode", "opens_at", "due_at", "solutions_release_at")
    list_filter = ("tutor_mode", "classroom")
    search_fields = ("problem_set__title", "classroom__name")
