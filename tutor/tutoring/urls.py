from django.urls import path

from . import views

urlpatterns = [
    path("problems/<int:pk>/preview", views.answer_preview, name="answer_preview"),
    path("problems/<int:pk>/attempts", views.answer_submit, name="answer_submit"),
]
