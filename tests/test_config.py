"""Configuration: typed environment helpers, the embedded default, production and CI wiring."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ImproperlyConfigured

from tests.conftest import services_missing
from tutor.settings.env import env_bool, env_float, env_int, env_list

ROOT = Path(__file__).resolve().parent.parent


def test_env_helpers_read_good_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_BOOL", "Yes")
    monkeypatch.setenv("X_INT", " 42 ")
    monkeypatch.setenv("X_FLOAT", "0.5")
    monkeypatch.setenv("X_LIST", "a.example, b.example,,")
    assert env_bool("X_BOOL") is True
    assert env_int("X_INT", 1) == 42
    assert env_float("X_FLOAT", 1.0) == 0.5
    assert env_list("X_LIST") == ["a.example", "b.example"]
    assert env_int("X_UNSET", 7) == 7


@pytest.mark.parametrize(
    ("reader", "value", "message"),
    [
        (lambda: env_bool("X"), "maybe", "not a boolean"),
        (lambda: env_int("X", 1), "ten", "not a whole number"),
        (lambda: env_int("X", 1, minimum=5), "2", "below the minimum"),
        (lambda: env_float("X", 1.0), "fast", "not a number"),
    ],
)
def test_env_helpers_fail_loudly_on_bad_values(monkeypatch, reader, value: str, message: str) -> None:
    monkeypatch.setenv("X", value)
    with pytest.raises(ImproperlyConfigured, match=message):
        reader()


def run_django(settings: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    clean.update(env or {})
    clean["DJANGO_SETTINGS_MODULE"] = settings
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy_with_no_warnings() -> None:
    result = run_django(
        "tutor.settings.production",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "DJANGO_SECRET_KEY": "k" * 20 + "-a-long-random-production-secret-value",
            "DJANGO_ALLOWED_HOSTS": "tutor.example.org",
        },
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key() -> None:
    result = run_django(
        "tutor.settings.production", "check", env={"DJANGO_ALLOWED_HOSTS": "tutor.example.org"}
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_embedded_default_is_sqlite_in_memory_layer_and_eager_celery() -> None:
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE']);"
        "print(s.CHANNEL_LAYERS['default']['BACKEND']);"
        "print(s.CELERY_TASK_ALWAYS_EAGER)"
    )
    result = run_django("tutor.settings.dev", "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        "True",
    ]


def test_redis_url_configures_the_layer_for_redis_py_8() -> None:
    code = (
        "from django.conf import settings as s;"
        "c=s.CHANNEL_LAYERS['default'];h=c['CONFIG']['hosts'][0];"
        "print(c['BACKEND'], h['socket_timeout'], h['max_connections'], s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER,"
        " s.DATABASES['default']['ENGINE'], s.DATABASES['default']['CONN_MAX_AGE'])"
    )
    result = run_django(
        "tutor.settings.dev",
        "shell",
        "--no-imports",
        "-c",
        code,
        env={"REDIS_URL": "redis://127.0.0.1:6379/3", "DATABASE_URL": "postgres://u@127.0.0.1:5432/x"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "channels_redis.pubsub.RedisPubSubChannelLayer",
        "None",
        "1000",
        "redis://127.0.0.1:6379/3",
        "False",
        "django.db.backends.postgresql",
        "0",
    ]


def test_the_core_redis_layer_can_be_chosen_and_a_wrong_name_is_refused() -> None:
    code = "from django.conf import settings as s;print(s.CHANNEL_LAYERS['default']['BACKEND'])"
    env = {"REDIS_URL": "redis://127.0.0.1:6379/3", "CHANNEL_LAYER": "core"}
    result = run_django("tutor.settings.dev", "shell", "--no-imports", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["channels_redis.core.RedisChannelLayer"]
    result = run_django(
        "tutor.settings.dev", "shell", "--no-imports", "-c", code, env={**env, "CHANNEL_LAYER": "kafka"}
    )
    assert result.returncode != 0
    assert "CHANNEL_LAYER must be 'pubsub' or 'core'" in result.stderr


@pytest.mark.django_db
def test_this_run_uses_postgresql_and_the_redis_layer_when_configured() -> None:
    """CI proof of the production path: the suite ran on PostgreSQL and the real Redis layer."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.db import connection

    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        services_missing("PostgreSQL and Redis")
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert "PostgreSQL" in cursor.fetchone()[0]
    layer = get_channel_layer()
    assert type(layer).__module__.startswith("channels_redis.")

    async def round_trip() -> dict:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "probe", "n": 7})
        return await layer.receive(channel)

    assert async_to_sync(round_trip)() == {"type": "probe", "n": 7}


def test_docker_compose_describes_the_production_stack() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "ollama", "ollama-pull", "web", "worker"}
    for name in ("postgres", "redis", "ollama", "web", "worker"):
        assert "healthcheck" in services[name], f"{name} has no healthcheck"
    assert "pull" in services["ollama-pull"]["entrypoint"]
    assert "phi4" in " ".join(services["ollama-pull"]["entrypoint"])
    for name in ("web", "worker"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["ollama"]["condition"] == "service_healthy"
        assert depends["ollama-pull"]["condition"] == "service_completed_successfully"
        env = services[name]["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "tutor.settings.production"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://")
    assert "celery" in services["worker"]["command"]
    assert (ROOT / "Dockerfile").exists()


def test_docker_compose_runs_two_ollama_hosts_and_scalable_web_behind_a_proxy() -> None:
    """Issue 17's deployment: each Ollama service is a host in OLLAMA_HOSTS with the capacity it
    is started with, and its model is pulled; the web processes are reached only through the
    proxy, which finds every replica of `--scale web=N`."""
    from inference.llm import parse_hosts

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    hosts = parse_hosts(
        services["web"]["environment"]["OLLAMA_HOSTS"].replace("${OLLAMA_NUM_PARALLEL:-2}", "2"),
        default_capacity=1,
    )
    assert [(h.url, h.capacity) for h in hosts] == [("http://ollama:11434", 2), ("http://ollama-2:11434", 2)]
    for name in ("ollama", "ollama-2"):
        assert services[name]["environment"]["OLLAMA_NUM_PARALLEL"] == "${OLLAMA_NUM_PARALLEL:-2}"
        assert "healthcheck" in services[name]
    assert services["ollama-pull-2"]["environment"]["OLLAMA_HOST"] == "http://ollama-2:11434"
    assert services["worker"]["environment"]["OLLAMA_HOSTS"] == services["web"]["environment"]["OLLAMA_HOSTS"]
    assert services["worker"]["scale"] == 2
    assert "ports" not in services["web"], "a fixed port would stop --scale web=3"
    assert "--forwarded-allow-ips" in services["web"]["command"]
    assert services["proxy"]["ports"] == ["8000:80"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]
    assert "dynamic a web 8000" in caddyfile


def test_docker_compose_restarts_what_fails_and_redis_keeps_queued_tasks() -> None:
    from tutor.commands import celery_worker_command

    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name, service in services.items():
        expected = "on-failure" if name.startswith("ollama-pull") else "unless-stopped"  # one-off downloads
        assert service.get("restart") == expected, f"{name} has restart {service.get('restart')!r}"
    redis = services["redis"]["command"]
    assert redis[redis.index("--appendonly") + 1] == "yes", "Redis must keep queued tasks across a restart"
    assert any(volume.endswith(":/data") for volume in services["redis"]["volumes"])
    # The worker runs with the options the fault tests run it with.
    tested = {option for option in celery_worker_command(queue="q", concurrency=1) if option.startswith("--")}
    tested.discard("--concurrency=1")
    assert tested <= set(services["worker"]["command"])


def test_ci_script_calls_make_test_with_services_required() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "make test" in script
    assert "TUTOR_REQUIRE_SERVICES=1" in script
