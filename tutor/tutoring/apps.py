from django.apps import AppConfig


class TutoringConfig(AppConfig):
    name = "tutor.tutoring"
    label = "tutoring"
    verbose_name = "Tutoring sessions"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the receivers
