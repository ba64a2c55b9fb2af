"""Page weight of the student's problem page, in Debian's chromium through Playwright.

    .venv/bin/python bench/page_weight.py                       # production settings (what Docker serves)
    .venv/bin/python bench/page_weight.py --settings dev        # the `make run` demo (DEBUG on)
    .venv/bin/python bench/page_weight.py --root /tmp/old-tree  # another checkout, for "before" figures

Starts the site from --root in a temporary folder of its own (SQLite, the demo data, collectstatic like
the Docker image), logs in as the demo student and opens the first problem of the demo set:

- first visit, empty cache: bytes transferred (DevTools `encodedDataLength`: compressed bodies plus
  headers) and decoded, requests, whether MathLive was fetched;
- reload: static files that reached the server again (a 304 revalidation or a new download), where 0
  means every one came from the browser's cache;
- a visit 65 s later (--revisit-after), once whitenoise's 60 s lifetime of unhashed files has run out;
- opening the maths editor: what it adds;
- with --throttle, DOMContentLoaded on a phone profile (Lighthouse's "Slow 4G": 150 ms, 1.6 Mbit/s,
  CPU slowed 4x) with an empty cache.

Prints a JSON summary. docs/benchmarks.md, "Page weight", has the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DEMO_STUDENT = ("ada", "tutor-demo-2026")
SLOW_4G = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 1.6 * 1024 * 1024 / 8 * 0.9,
    "uploadThroughput": 750 * 1024 / 8 * 0.9,
}
SETTINGS = {"production": "tutor.settings.production", "dev": "tutor.settings.dev"}


@dataclass
class Request:
    url: str
    status: int = 0
    from_cache: bool = False
    transferred: int = 0
    decoded: int = 0
    cache_control: str = ""
    encoding: str = ""


@dataclass
class NetworkLog:
    """Requests as the DevTools protocol reports them, for one page."""

    requests: dict[str, Request] = field(default_factory=dict)

    def attach(self, cdp) -> None:
        cdp.send("Network.enable")
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", self._cached)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.dataReceived", self._data)
        cdp.on("Network.loadingFinished", self._finished)

    def clear(self) -> None:
        self.requests = {}

    def _sent(self, event: dict) -> None:
        self.requests[event["requestId"]] = Request(url=event["request"]["url"])

    def _get(self, event: dict) -> Request:
        return self.requests.setdefault(event["requestId"], Request(url=""))

    def _cached(self, event: dict) -> None:
        self._get(event).from_cache = True

    def _response(self, event: dict) -> None:
        request, response = self._get(event), event["response"]
        request.status = response["status"]
        request.from_cache = request.from_cache or response.get("fromDiskCache", False)
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        request.cache_control = headers.get("cache-control", "")
        request.encoding = headers.get("content-encoding", "")

    def _data(self, event: dict) -> None:
        self._get(event).decoded += event["dataLength"]

    def _finished(self, event: dict) -> None:
        self._get(event).transferred = int(event["encodedDataLength"])

    # -- summaries ---------------------------------------------------------------------------
    def transferred(self) -> int:
        return sum(r.transferred for r in self.requests.values() if not r.from_cache)

    def decoded(self) -> int:
        return sum(r.decoded for r in self.requests.values())

    def static(self) -> list[Request]:
        return [r for r in self.requests.values() if "/static/" in r.url]

    def static_from_server(self) -> list[Request]:
        """Static files the browser asked the server for (not served from its cache)."""
        return [r for r in self.static() if not r.from_cache]

    def fetched(self, name: str) -> bool:
        return any(name in r.url for r in self.requests.values())


def measure_problem_page(
    browser, base_url: str, problem_url: str, cookies: list[dict], *, revisit_after: float = 0
) -> dict:
    """First visit with an empty cache, then a reload, then (with `revisit_after` seconds) a visit
    once short cache lifetimes have run out, then the maths editor opened."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies(cookies)
    page = context.new_page()
    log = NetworkLog()
    log.attach(context.new_cdp_session(page))

    page.goto(problem_url, wait_until="load")
    page.wait_for_load_state("networkidle")
    first = {
        "transferred_bytes": log.transferred(),
        "decoded_bytes": log.decoded(),
        "requests": len(log.requests),
        "static_requests": len(log.static()),
        "mathlive_fetched": log.fetched("mathlive"),
        "static_files": [
            {
                "url": r.url.removeprefix(base_url),
                "transferred": r.transferred,
                "decoded": r.decoded,
                "encoding": r.encoding,
                "cache_control": r.cache_control,
            }
            for r in log.static()
        ],
    }

    log.clear()
    page.reload(wait_until="load")
    page.wait_for_load_state("networkidle")
    again = log.static_from_server()
    reload = {
        "requests": len(log.requests),
        "static_requests_to_server": len(again),
        "revalidated": [r.url.removeprefix(base_url) for r in again if r.status == 304],
        "downloaded_again": [r.url.removeprefix(base_url) for r in again if r.status != 304],
        "transferred_bytes": log.transferred(),
    }

    revisit = None
    if revisit_after:
        time.sleep(revisit_after)
        log.clear()
        page.goto(problem_url, wait_until="load")
        page.wait_for_load_state("networkidle")
        again = log.static_from_server()
        revisit = {
            "after_seconds": revisit_after,
            "static_requests_to_server": len(again),
            "revalidated": [r.url.removeprefix(base_url) for r in again if r.status == 304],
            "downloaded_again": [r.url.removeprefix(base_url) for r in again if r.status != 304],
            "transferred_bytes": log.transferred(),
        }

    log.clear()
    page.get_by_role("button", name="Use the maths editor").click()
    page.locator("math-field").wait_for()
    page.wait_for_load_state("networkidle")
    editor = {
        "transferred_bytes": log.transferred(),
        "decoded_bytes": log.decoded(),
        "requests": len(log.requests),
        "mathlive_fetched": log.fetched("mathlive"),
    }
    context.close()
    return {"first_visit": first, "reload": reload, "revisit": revisit, "editor_opened": editor}


def measure_throttled(browser, problem_url: str, cookies: list[dict], runs: int = 3) -> dict:
    """DOMContentLoaded and load on a slow phone with an empty cache; the median of `runs`."""
    dcl, load = [], []
    for _ in range(runs):
        context = browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True
        )
        context.add_cookies(cookies)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_4G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        page.goto(problem_url, wait_until="load", timeout=120_000)
        timing = page.evaluate(
            "() => { const n = performance.getEntriesByType('navigation')[0];"
            " return [n.domContentLoadedEventEnd, n.loadEventEnd]; }"
        )
        dcl.append(timing[0])
        load.append(timing[1])
        context.close()
    return {
        "profile": "Slow 4G (150 ms, 1.6 Mbit/s down), CPU 4x slower, 390x844",
        "dom_content_loaded_ms": sorted(dcl)[len(dcl) // 2],
        "load_ms": sorted(load)[len(load) // 2],
        "runs": runs,
    }


def log_in_cookies(browser, base_url: str) -> tuple[list[dict], str]:
    """Log in as the demo student through the page; return the cookies and the first problem's URL.

    The production settings mark cookies Secure; chromium keeps them for http://127.0.0.1 (a secure
    context), and they are handed to each measuring context as they are."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(DEMO_STUDENT[0])
    page.get_by_label("Password").fill(DEMO_STUDENT[1])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/")
    page.locator("a[href*='/sets/']").first.click()
    page.wait_for_load_state("load")
    problem_url = page.locator("a[href*='/problems/']").first.evaluate("a => a.href")
    cookies = context.cookies()
    context.close()
    return cookies, problem_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_site(root: Path, settings: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": SETTINGS[settings],
            "SQLITE_PATH": str(workdir / "db.sqlite3"),
            "DJANGO_SECRET_KEY": "page-weight-benchmark-only",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_STATIC_ROOT": str(workdir / "staticfiles"),
            "OLLAMA_HOST": "http://127.0.0.1:9",
        }
    )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"], ["load_demo"]):
        subprocess.run(
            [*manage, *command, "--verbosity", "0"], cwd=root, env=env, check=True, stdout=subprocess.DEVNULL
        )
    port = free_port()
    log = (workdir / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "tutor.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ]
        + ["--ws", "websockets-sansio", "--no-access-log"],
        cwd=root,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return server, f"http://127.0.0.1:{port}"
        if server.poll() is not None:
            break
        time.sleep(0.2)
    raise SystemExit(f"the site did not start:\n{(workdir / 'server.log').read_text()}")


def launch(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to serve (default: this one)")
    parser.add_argument("--settings", choices=sorted(SETTINGS), default="production")
    parser.add_argument("--throttle", action="store_true", help="also time the page on a slow phone")
    parser.add_argument("--files", action="store_true", help="list every static file in the output")
    parser.add_argument(
        "--revisit-after",
        type=float,
        default=65,
        help="seconds before visiting the page again, past whitenoise's 60 s for unhashed files (0: skip)",
    )
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="page-weight-") as tmp:
        server, base_url = start_site(args.root.resolve(), args.settings, Path(tmp))
        try:
            with sync_playwright() as playwright:
                browser = launch(playwright)
                cookies, problem_url = log_in_cookies(browser, base_url)
                result = measure_problem_page(
                    browser, base_url, problem_url, cookies, revisit_after=args.revisit_after
                )
                if args.throttle:
                    result["throttled_first_visit"] = measure_throttled(browser, problem_url, cookies)
                browser.close()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(15)
    if not args.files:
        result["first_visit"].pop("static_files")
    first = result["first_visit"]
    result["summary"] = {
        "settings": args.settings,
        "root": str(args.root),
        "first_visit_kib": round(first["transferred_bytes"] / 1024, 1),
        "first_visit_decoded_kib": round(first["decoded_bytes"] / 1024, 1),
        "reload_static_requests_to_server": result["reload"]["static_requests_to_server"],
        "revisit_static_requests_to_server": (result["revisit"] or {}).get("static_requests_to_server"),
        "editor_adds_kib": round(result["editor_opened"]["transferred_bytes"] / 1024, 1),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
