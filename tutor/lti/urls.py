from django.urls import path

from . import views

urlpatterns = [
    path("lti/login/", views.login, name="lti_login"),
    path("lti/launch/", views.launch, name="lti_launch"),
    path("lti/jwks/", views.jwks, name="lti_jwks"),
    path("lti/", views.config, name="lti_config"),
    path("lti/deep-link/<str:token>/", views.deep_link, name="lti_deep_link"),
    path("lti/grades/", views.grades, name="lti_grades"),
    path("lti/grades/<int:pk>/send/", views.grade_resend, name="lti_grade_resend"),
    path("lti/courses/<int:pk>/roster/", views.roster_sync, name="lti_roster_sync"),
]
