from django.urls import path

from tutor.tutoring.consumers import TutorConsumer

websocket_urlpatterns = [
    path("ws/tutor/", TutorConsumer.as_asgi()),
]
