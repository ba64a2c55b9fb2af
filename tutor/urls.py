from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tutor.classroom import views as classroom_views
from tutor.classroom import views_assignments, views_settings
from tutor.classroom.demo import demo_logins
from tutor.health import capacity, healthz
from tutor.problems import views as problem_views

urlpatterns = [
    path("", classroom_views.home, name="home"),
    path(
        "accounts/login/",
        # A callable: the template asks afresh on every page (the demo may be loaded after start).
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, extra_context={"demo_logins": demo_logins}
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/signup/", classroom_views.signup, name="signup"),
    path("accounts/settings/", views_settings.account_settings, name="account_settings"),
    path("accounts/time-zone/", views_settings.time_zone_guess, name="time_zone_guess"),
    path("classes/new/", classroom_views.classroom_create, name="classroom_create"),
    path("classes/join/", classroom_views.classroom_join, name="classroom_join"),
    path("classes/<int:pk>/", classroom_views.classroom_detail, name="classroom_detail"),
    path("classes/<int:pk>/new-code/", classroom_views.classroom_rotate_code, name="classroom_rotate_code"),
    path(
        "classes/<int:pk>/students/<int:student_id>/remove/",
        classroom_views.classroom_remove_student,
        name="classroom_remove_student",
    ),
    path("assignments/new/", views_assignments.assignment_edit, name="assignment_create"),
    path("assignments/<int:pk>/", views_assignments.assignment_edit, name="assignment_edit"),
    path("assignments/<int:pk>/delete/", views_assignments.assignment_delete, name="assignment_delete"),
    path("sets/<int:pk>/", problem_views.problem_set_detail, name="problem_set_detail"),
    path("problems/<int:pk>/", problem_views.problem_detail, name="problem_detail"),
    path("", include("tutor.problems.urls")),
    path("", include("tutor.tutoring.urls")),
    path("", include("tutor.reports.urls")),
    path("", include("tutor.lti.urls")),
    path("admin/capacity/", capacity, name="admin_capacity"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]
