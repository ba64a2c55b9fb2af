"""Deployment defaults (issue 11): `make run HOST=0.0.0.0` served DEBUG, the known dev key and the
demo passwords to the network; production trusted X-Forwarded-Proto with no proxy in front and
turned HSTS preload and includeSubDomains on for everyone."""

from __future__ import annotations

import os
import signal
import subprocess

import httpx
import pytest

from tests.test_config import run_django
from tests.test_make_run import ROOT, free_port, wait_until_served

PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "k" * 20 + "-a-long-random-production-secret-value",
    "DJANGO_ALLOWED_HOSTS": "tutor.example.org",
}


def make_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "TUTOR_ALLOW_NETWORK_DEMO"}
    }
    env.update(extra)
    return env


def test_make_run_on_a_network_address_refuses_and_says_how_to_proceed(tmp_path) -> None:
    port = free_port()
    result = subprocess.run(
        ["make", "run", "HOST=0.0.0.0", f"PORT={port}"],
        cwd=ROOT,
        env=make_env(SQLITE_PATH=str(tmp_path / "db.sqlite3")),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0
    assert "Refusing to serve the demo on HOST=0.0.0.0" in result.stderr
    assert "DEBUG on, a secret key everyone knows" in result.stderr
    assert "make run HOST=0.0.0.0 TUTOR_ALLOW_NETWORK_DEMO=1" in result.stderr
    assert "docker compose up" in result.stderr
    assert "migrate" not in result.stdout, "nothing was set up or started"
    assert not (tmp_path / "db.sqlite3").exists()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)


def test_make_run_on_a_network_address_starts_when_told_explicitly(tmp_path) -> None:
    port = free_port()
    log = tmp_path / "make-run.log"
    env = make_env(SQLITE_PATH=str(tmp_path / "db.sqlite3"), TUTOR_ALLOW_NETWORK_DEMO="1")
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["make", "run", "HOST=0.0.0.0", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_served(proc, f"http://127.0.0.1:{port}", log)
        assert "Warning: serving the demo (DEBUG, demo passwords) to the network" in log.read_text()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


SHOW = (
    "from django.conf import settings as s;from django.test import RequestFactory;"
    "r=RequestFactory().get('/', HTTP_X_FORWARDED_PROTO='https');"
    "print(s.SECURE_PROXY_SSL_HEADER, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, r.is_secure())"
)


def test_production_trusts_no_forwarded_proto_and_no_hsts_extras_by_default() -> None:
    result = run_django("tutor.settings.production", "shell", "--no-imports", "-c", SHOW, env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    # A client's own "X-Forwarded-Proto: https" over plain http does not make the request secure.
    assert result.stdout.split() == ["None", "False", "False", "False"]


def test_a_proxy_and_hsts_extras_are_switched_on_by_settings_and_still_pass_check_deploy() -> None:
    env = {
        **PRODUCTION_ENV,
        "TUTOR_BEHIND_PROXY": "1",
        "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
        "DJANGO_SECURE_HSTS_PRELOAD": "1",
    }
    result = run_django("tutor.settings.production", "shell", "--no-imports", "-c", SHOW, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["('HTTP_X_FORWARDED_PROTO',", "'https')", "True", "True", "True"]
    check = run_django("tutor.settings.production", "check", "--deploy", "--fail-level", "WARNING", env=env)
    assert check.returncode == 0, check.stderr
    assert "no issues" in check.stdout
