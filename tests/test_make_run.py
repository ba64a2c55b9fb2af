"""`make run` on the embedded default: serves the login page (naming the demo accounts), demo logins
work, the socket accepts the site's own pages while refusing a foreign Origin, and the start prints no
deprecation warnings. Runs the real command."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import websockets

ROOT = Path(__file__).resolve().parent.parent


def wait_until_served(proc: subprocess.Popen, base: str, log: Path, limit: float = 120) -> None:
    """Until `make run` serves its login page; fails with its output if it exits or takes too long."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"make run exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/accounts/login/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.5)
    pytest.fail(f"make run did not serve the login page within {limit:.0f} s:\n{log.read_text()}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Started:
    url: str
    log: Path


@pytest.fixture(scope="module")
def make_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Started]:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env["SQLITE_PATH"] = str(tmp_path_factory.mktemp("makerun") / "db.sqlite3")
    log = tmp_path_factory.mktemp("makerun-log") / "make-run.log"
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603
            ["make", "run", f"PORT={port}"],  # noqa: S607
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_served(proc, base, log)
        output = log.read_text()
        assert f"http://127.0.0.1:{port}/" in output, "make run should print the URL"
        assert "tutor-demo-2026" in output, "make run should print the demo logins"
        yield Started(url=base, log=log)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def running_site(make_run: Started) -> str:
    return make_run.url


def log_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=10)
    page = client.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/accounts/login/",
        data={"username": username, "password": "tutor-demo-2026", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
    )
    assert response.status_code == 302, f"{username} could not log in"
    return client


def test_login_page_is_served(running_site: str) -> None:
    page = httpx.get(f"{running_site}/accounts/login/")
    assert "Log in" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    css = httpx.get(f"{running_site}/static/css/app.css")
    assert css.status_code == 200


@pytest.mark.parametrize(("username", "expected"), [("teacher", "Year 10 Maths"), ("ada", "Foundations")])
def test_demo_teacher_and_student_can_log_in(running_site: str, username: str, expected: str) -> None:
    client = log_in(running_site, username)
    home = client.get("/")
    assert home.status_code == 200
    assert expected in home.text


def test_socket_from_the_site_is_accepted_and_from_a_foreign_origin_refused(running_site: str) -> None:
    client = log_in(running_site, "ada")
    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    ws_url = running_site.replace("http://", "ws://") + "/ws/tutor/"

    async def talk(origin: str) -> dict | int:
        try:
            async with websockets.connect(ws_url, origin=origin, additional_headers={"Cookie": cookie}) as ws:
                await ws.send('{"type": "ping"}')
                return json.loads(await asyncio.wait_for(ws.recv(), 5))
        except websockets.InvalidStatus as exc:
            return exc.response.status_code

    assert asyncio.run(talk(running_site)) == {"type": "pong"}
    assert asyncio.run(talk("https://evil.example.com")) == 403


def test_the_demo_login_page_names_the_demo_accounts(running_site: str) -> None:
    page = httpx.get(f"{running_site}/accounts/login/").text
    assert "Trying the demo?" in page
    for username in ("teacher", "ada", "ben", "admin"):
        assert f"<code>{username}</code>" in page
    assert "<code>tutor-demo-2026</code>" in page


def test_the_browser_finds_an_icon(running_site: str) -> None:
    icon = httpx.get(f"{running_site}/favicon.ico")
    assert icon.status_code == 200
    assert icon.content.startswith(b"\x00\x00\x01\x00"), "an ICO file"
    page = httpx.get(f"{running_site}/accounts/login/").text
    linked = re.search(r'<link rel="icon" href="([^"]+)"', page).group(1)
    assert httpx.get(f"{running_site}{linked}").status_code == 200


def test_starting_prints_no_deprecation_warning(make_run: Started, running_site: str) -> None:
    # After a page and a socket, so whatever is imported lazily has been imported.
    log_in(running_site, "ada").close()
    output = make_run.log.read_text()
    assert "DeprecationWarning" not in output, output
    assert "deprecated" not in output.lower(), output


@pytest.mark.django_db
def test_a_site_with_debug_off_names_no_demo_account(client) -> None:
    from django.core.management import call_command

    call_command("load_demo", stdout=io.StringIO())
    page = client.get("/accounts/login/").content.decode()
    assert "Log in" in page
    assert "tutor-demo-2026" not in page
    assert "Trying the demo?" not in page


def test_make_run_and_docker_compose_start_uvicorn_as_the_tests_do() -> None:
    """The websocket options the tests and benchmarks run with (tutor/commands.py) are the served ones."""
    import yaml

    from tutor.commands import uvicorn_command

    tested = uvicorn_command(port=1)
    makefile = next(
        line for line in (ROOT / "Makefile").read_text().splitlines() if "uvicorn tutor.asgi" in line
    )
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]
    for served in (makefile.split(), compose.split()):
        for option in ("--ws", "--ws-per-message-deflate"):
            assert served[served.index(option) + 1] == tested[tested.index(option) + 1], option
