"""A real server process and Debian's chromium driven by Playwright.

Fixtures (registered for every test through `pytest_plugins` in tests/conftest.py): `app_server`,
`site_url`, `browser`, `page`. Helpers to import: `AppServer`, `log_in`, `screenshot`."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import REQUIRE_SERVICES
from tests.tutoring.fake import FakeLLM
from tutor.commands import uvicorn_command

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppServer:
    """The app under uvicorn in a child process, on the test database; can be killed and started
    again on the same port (a crash and restart of the web server)."""

    def __init__(self, fake_llm: FakeLLM, log_path: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
        db = settings.DATABASES["default"]
        if db["ENGINE"] == "django.db.backends.postgresql":
            env["DATABASE_URL"] = (
                f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{connection.settings_dict['NAME']}"
            )
        else:
            env["SQLITE_PATH"] = connection.settings_dict["NAME"]
        if "CONFIG" in settings.CHANNEL_LAYERS["default"]:
            env["CHANNEL_LAYER_PREFIX"] = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "tutor.settings.test",
                "OLLAMA_HOST": fake_llm.url,
                "TUTOR_GENERATION": "inprocess",
                **(extra_env or {}),
            }
        )
        self.env = env
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("a")
        self.proc = subprocess.Popen(  # noqa: S603
            uvicorn_command(port=self.port),
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the test server did not start:\n{self.log_path.read_text()}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no shutdown, in-process generation jobs die with it."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.fixture
def app_server(transactional_db: None, fake_llm: FakeLLM, tmp_path: Path) -> Iterator[AppServer]:
    server = AppServer(fake_llm, tmp_path / "server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def site_url(app_server: AppServer) -> str:
    return app_server.url


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = "Debian's chromium is not installed (apt-get install chromium)"
        if REQUIRE_SERVICES:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which Django takes for
    # async code; the test's own database calls are synchronous and safe (Playwright's advice).
    # Module-scoped, so the loop is gone before the async tests of other modules run.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text} {message.location}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.console = console  # type: ignore[attr-defined]
    yield page
    screenshot(page, "last-page")
    if console:
        print("browser console:\n" + "\n".join(console))
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/")
