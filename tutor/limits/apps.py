from django.apps import AppConfig


class LimitsConfig(AppConfig):
    name = "tutor.limits"
    label = "limits"
    default_auto_field = "django.db.models.BigAutoField"
