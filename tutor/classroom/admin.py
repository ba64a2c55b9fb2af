from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Assignment, Classroom, Enrollment, User


@admin.register(User)
class TutorUserAdmin(UserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "role", "is_staff", "last_login")
    list_filter = ("role", "is_staff", "is_active")
    fieldsets = (*UserAdmin.fieldsets, ("Role", {"fields": ("role",)}))
    add_fieldsets = (*UserAdmin.add_fieldsets, ("Role", {"fields": ("role",)}))


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
