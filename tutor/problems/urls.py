from django.urls import path

from . import views_teacher, views_variants

urlpatterns = [
    path("sets/upload/", views_teacher.upload, name="problem_set_upload"),
    path("sets/imports/<int:pk>/", views_teacher.import_job, name="import_job"),
    path("sets/<int:pk>/export.<str:fmt>", views_teacher.export, name="problem_set_export"),
    path("sets/<int:pk>/audit/", views_teacher.audit_start, name="problem_set_audit"),
    path(
        "classes/<int:pk>/students/<int:student_id>/problems/<int:problem_id>/new-numbers",
        views_variants.variant_reseed,
        name="variant_reseed",
    ),
]
