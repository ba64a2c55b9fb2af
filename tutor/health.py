import time

from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers and docker-compose: the process answers and the database does too."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _broker_queue_length() -> int | None:
    """Generation (and other) tasks published but not yet taken by a worker; None without Redis."""
    if settings.TUTOR_GENERATION != "celery" or not settings.CELERY_BROKER_URL.startswith("redis"):
        return None
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2)
    try:
        return int(client.llen(settings.CELERY_TASK_DEFAULT_QUEUE))
    except redis.RedisError:
        return None
    finally:
        client.close()


@staff_member_required
def capacity(request: HttpRequest) -> HttpResponse:
    """The admin's view of the Ollama hosts (docs/scaling.md): health, models, answers running
    against each host's capacity, tokens per second over the last hour, and who is waiting.
    `?format=json` gives the same for monitoring."""
    from tutor.hosts import capacity_report
    from tutor.problems.models import ProblemSet
    from tutor.tutoring.models import Message

    models = [settings.OLLAMA_MODEL]
    for name in ProblemSet.objects.exclude(model_name="").values_list("model_name", flat=True).distinct():
        if name not in models:
            models.append(name)
    report = async_to_sync(capacity_report)(models)
    report["broker_queue"] = _broker_queue_length()
    report["answers_running"] = Message.objects.filter(status=Message.Status.STREAMING).count()
    report["answers_queued"] = Message.objects.filter(status=Message.Status.QUEUED).count()
    if request.GET.get("format") == "json":
        return JsonResponse(report)
    now = time.time()
    for row in report["hosts"]:  # type: ignore[attr-defined]
        row["checked_ago"] = round(now - row["checked_at"]) if row["checked_at"] else None
        if row["reachable"] is None:
            row["health"] = "Not checked yet"
        elif not row["reachable"]:
            row["health"] = "Down"
        elif not row["serves_model"]:
            row["health"] = "Model missing"
        else:
            row["health"] = "OK"
    return render(request, "admin/capacity.html", {"report": report, "title": "Tutor capacity"})
