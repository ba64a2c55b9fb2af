from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    name = "tutor.classroom"
    label = "classroom"
    verbose_name = "Classes and people"
