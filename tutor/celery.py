import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutor.settings.dev")

app = Celery("tutor")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

REDIS_SCHEMES = ("redis", "rediss")


@app.on_after_configure.connect
def _redis_transport_that_survives_a_restart(sender: Celery, **kwargs: object) -> None:
    """A Redis broker goes through tutor/broker.py (kombu's transport, fixed for a Redis restart
    with a task running); the embedded default's memory:// broker is left alone."""
    url = sender.conf.broker_url
    if not sender.conf.broker_transport and isinstance(url, str) and url.split("://")[0] in REDIS_SCHEMES:
        sender.conf.broker_transport = "tutor.broker:Transport"
