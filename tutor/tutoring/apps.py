from django.apps import AppConfig


class TutoringConfig(AppConfig):
    name = "tutor.tutoring"
    label = "tutoring"
    verbose_name = "Tutoring sessions"
