from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "tutor.reports"
    label = "reports"
    verbose_name = "Teacher reports"
