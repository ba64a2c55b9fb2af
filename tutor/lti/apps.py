from django.apps import AppConfig


class LtiConfig(AppConfig):
    name = "tutor.lti"
    label = "lti"
    verbose_name = "LMS connections (LTI 1.3)"

    def ready(self) -> None:
        # Grade passback listens for saved attempts (tutor/lti/signals.py).
        from . import signals  # noqa: F401
