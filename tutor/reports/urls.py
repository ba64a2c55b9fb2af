from django.urls import path

from . import views

urlpatterns = [
    path("classes/<int:pk>/dashboard/", views.class_dashboard, name="class_dashboard"),
    path("classes/<int:pk>/students/<int:student_id>/", views.student_detail, name="student_detail"),
    path("classes/<int:pk>/grades.csv", views.grades_csv, name="grades_csv"),
    path("sets/<int:pk>/audit/results/", views.audit_results, name="audit_results"),
    path("problems/<int:pk>/teacher/", views.problem_teacher, name="problem_teacher_view"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:flag_id>/", views.review_flag, name="review_flag"),
    path("messages/<int:message_id>/report", views.report_message, name="report_message"),
]
