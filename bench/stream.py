"""Streaming benchmarks on the production path: uvicorn (or daphne) + the Redis channel layer +
PostgreSQL, with the Ollama-compatible test server as the model.

    python bench/stream.py    # ratio; 50 streams in-process (#4); 50 streams + 200 idle, Celery (#7)
    python bench/stream.py --phase load --streams 50 --idle 200 --server daphne --flush-tokens 1
    bash bench/stream_matrix.sh   # the comparisons behind the defaults

Phase "ratio": one stream; tokens per second delivered to a websocket client divided by tokens
per second read directly with the `ollama` client from the same test server (3 runs each).
Phase "load": N concurrent streams at R tokens/s each (and optionally idle sockets): the
added latency of each token (browser arrival minus the moment the test server wrote it),
delivered against offered tokens per second, errors, and the server's memory per idle socket.

Needs PostgreSQL and Redis (DATABASE_URL / REDIS_URL, defaults on 127.0.0.1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tutor.commands import celery_worker_command, uvicorn_command  # noqa: E402

STAMP = re.compile(r"(\d{10}\.\d{6}) ")
DB_NAME = "tutor_bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def base_env(args: argparse.Namespace) -> dict[str, str]:
    pg = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/tutor").rsplit("/", 1)[0]
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tutor.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": f"{pg}/{DB_NAME}",
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "CHANNEL_LAYER_PREFIX": f"bench-{uuid.uuid4().hex[:6]}",
            "TUTOR_GENERATION": "inprocess",
            "TUTOR_REQUESTS_PER_MINUTE": "100000",
            "TUTOR_FLUSH_TOKENS": str(args.flush_tokens),
            "TUTOR_FLUSH_INTERVAL": str(args.flush_interval),
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def prepare_database(env: dict[str, str], users: int) -> dict[str, object]:
    import psycopg

    admin_url = env["DATABASE_URL"].rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    os.environ.update(
        {
            k: env[k]
            for k in (
                "DJANGO_SETTINGS_MODULE",
                "DJANGO_SECRET_KEY",
                "DJANGO_ALLOWED_HOSTS",
                "DATABASE_URL",
                "REDIS_URL",
            )
        }
    )
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from tutor.classroom.models import Assignment, Classroom, Enrollment, User
    from tutor.problems.models import Problem, ProblemSet

    teacher = User.objects.create_user("bench-teacher", password=secrets.token_urlsafe(), role="teacher")
    classroom = Classroom.objects.create(name="Bench", teacher=teacher)
    problem_set = ProblemSet.objects.create(owner=teacher, title="Bench", key="bench")
    problem = Problem.objects.create(
        problem_set=problem_set, key="q1", statement="What is $3 + 4$?", answer="7"
    )
    Assignment.objects.create(classroom=classroom, problem_set=problem_set, tutor_mode="solutions")
    cookies = []
    for n in range(users):
        # No password: hashing one per user would make seeding hundreds of users slow.
        user = User.objects.create_user(f"bench{n}", password=None, role="student")
        Enrollment.objects.create(classroom=classroom, student=user)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return {"problem_id": problem.pk, "cookies": cookies}


class Servers:
    def __init__(self, env: dict[str, str], args: argparse.Namespace, rate: float, tokens: int) -> None:
        self.fake_port, self.app_port = free_port(), free_port()
        fake_cmd = [
            sys.executable,
            "-m",
            "inference.testing.fake_ollama",
            "--port",
            str(self.fake_port),
            "--scenario",
            "bench",
            "--tokens-per-second",
            str(rate),
            "--bench-tokens",
            str(tokens),
        ]
        self.fake = subprocess.Popen(fake_cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
        env = {**env, "OLLAMA_HOST": f"http://127.0.0.1:{self.fake_port}"}
        self.worker: subprocess.Popen | None = None
        if args.generation == "celery":
            # Generation in a Celery worker, as in production; the web process only relays.
            # A thread pool: each generation is one task that holds its thread for the answer.
            queue = f"bench-{uuid.uuid4().hex[:6]}"
            env = {**env, "TUTOR_GENERATION": "celery", "CELERY_QUEUE": queue}
            worker_env = {**env, "DATABASE_POOL_MAX": str(args.worker_concurrency + 5)}
            self.worker_log_path = Path(f"/tmp/bench-worker-{queue}.log")
            self.worker_log = self.worker_log_path.open("w")
            self.worker = subprocess.Popen(  # noqa: S603
                celery_worker_command(queue=queue, concurrency=args.worker_concurrency),
                cwd=ROOT,
                env=worker_env,
                stdout=self.worker_log,
                stderr=subprocess.STDOUT,
            )
            deadline = time.monotonic() + 60
            while "ready." not in self.worker_log_path.read_text():
                if self.worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the Celery worker did not start:\n{self.worker_log_path.read_text()}"
                    )
                time.sleep(0.2)
        if args.server == "daphne":
            app_cmd = [
                sys.executable,
                "-m",
                "daphne",
                "-b",
                "127.0.0.1",
                "-p",
                str(self.app_port),
                "tutor.asgi:application",
            ]
        else:
            app_cmd = [*uvicorn_command(port=self.app_port), "--log-level", "warning"]
        app_cmd += args.server_args.split()
        # BENCH_SERVER_LOG=/tmp/server.log keeps the server's own output for a look afterwards.
        self.log = open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "w")  # noqa: SIM115
        self.app = subprocess.Popen(app_cmd, cwd=ROOT, env=env, stdout=self.log, stderr=self.log)
        self.url = f"http://127.0.0.1:{self.app_port}"
        self.fake_url = f"http://127.0.0.1:{self.fake_port}"
        self._wait(self.app_port)
        self._wait(self.fake_port)

    def _wait(self, port: int) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"nothing is listening on port {port}")

    def rss_kb(self) -> int:
        for line in Path(f"/proc/{self.app.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self) -> None:
        procs = [p for p in (self.app, self.fake, self.worker) if p is not None]
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


async def stream_once(url: str, cookie: str, problem_id: int, results: dict[str, list]) -> None:
    import websockets

    ws_url = url.replace("http://", "ws://") + "/ws/tutor/"
    async with websockets.connect(
        ws_url, origin=url, additional_headers={"Cookie": cookie}, max_size=2**22
    ) as ws:
        await ws.send(json.dumps({"type": "open", "problem_id": problem_id}))
        json.loads(await ws.recv())
        started = time.time()
        await ws.send(json.dumps({"type": "ask", "mode": "solution", "request_id": str(uuid.uuid4())}))
        tokens = 0
        pending = ""
        last_type = "accepted?"
        first_at = last_at = 0.0
        while True:
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            except TimeoutError:
                results["errors"].append(f"no frame for 30 s after {last_type!r} ({tokens} tokens)")
                return
            last_type = frame["type"]
            now = time.time()
            if frame["type"] == "delta" and "boxed" in frame["text"]:
                # The held-back final answer, released with the verification: its stamp (the model's
                # last token) says how long the verified answer followed the model.
                results.setdefault("final", []).extend(now - float(s) for s in STAMP.findall(frame["text"]))
            elif frame["type"] == "delta":
                # A token counts as delivered when its last character arrives; deltas may split one.
                pending += frame["text"]
                last = 0
                for match in STAMP.finditer(pending):
                    first_at = first_at or now
                    last_at = now
                    results["latency"].append((now - float(match.group(1))) * 1000)
                    results.setdefault("timeline", []).append((now, (now - float(match.group(1))) * 1000))
                    tokens += 1
                    last = match.end()
                pending = pending[last:]
            elif frame["type"] == "error":
                results["errors"].append(frame.get("code"))
            elif frame["type"] == "done":
                results["streams"].append((tokens, time.time() - started, frame.get("status")))
                if tokens > 1:
                    # first token after the ask; tokens/s between first and last; last token to done
                    results.setdefault("phases", []).append(
                        (first_at - started, (tokens - 1) / (last_at - first_at), time.time() - last_at)
                    )
                if frame.get("status") != "complete":
                    results["errors"].append(frame.get("status"))
                return


async def hint_once(url: str, cookie: str, problem_id: int, results: dict[str, list]) -> None:
    """One hint: when its first sentence arrives after the ask, and how long after the model wrote
    the sentence's last word (the stamp at its end): the leak check's cost to the student."""
    import websockets

    ws_url = url.replace("http://", "ws://") + "/ws/tutor/"
    async with websockets.connect(ws_url, origin=url, additional_headers={"Cookie": cookie}) as ws:
        await ws.send(json.dumps({"type": "open", "problem_id": problem_id}))
        json.loads(await ws.recv())
        started = time.time()
        await ws.send(json.dumps({"type": "ask", "mode": "hint", "request_id": str(uuid.uuid4())}))
        deltas = 0
        while True:
            try:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
            except TimeoutError:
                results["errors"].append("no hint frame for 30 s")
                return
            now = time.time()
            if frame["type"] == "delta":
                deltas += 1
                stamps = STAMP.findall(frame["text"])
                if deltas == 1 and stamps:
                    results["first"].append(now - started)
                    results["gate"].append((now - float(stamps[-1])) * 1000)
            elif frame["type"] == "done":
                results["deltas"].append(deltas)
                if frame.get("status") != "complete":
                    results["errors"].append(frame.get("status"))
                return


def phase_hints(env: dict[str, str], args: argparse.Namespace, seed: dict) -> None:
    servers = Servers(env, args, rate=args.rate, tokens=args.tokens)
    try:

        async def run() -> dict[str, list]:
            results: dict[str, list] = {"first": [], "gate": [], "deltas": [], "errors": []}
            await asyncio.gather(
                *[
                    hint_once(servers.url, seed["cookies"][n], seed["problem_id"], results)
                    for n in range(args.hints)
                ]
            )
            return results

        results = asyncio.run(run())
        first, gate = results["first"] or [float("nan")], results["gate"] or [float("nan")]
        print(
            f"hint phase: {args.hints} students ask for a hint at once, {args.rate:.0f} tok/s, sentences of 14 tokens\n"
            f"  first sentence shown {statistics.median(first):.2f} s after asking (p95 {percentile(first, 0.95):.2f} s); "
            f"{statistics.median(gate):.0f} ms after the model wrote its last word (p95 {percentile(gate, 0.95):.0f} ms)\n"
            f"  deltas per hint (median) {statistics.median(results['deltas'] or [0]):.0f}; errors {len(results['errors'])} {results['errors'][:3]}",
            flush=True,
        )
    finally:
        servers.stop()


async def direct_once(host: str) -> tuple[int, float]:
    import httpx
    import ollama

    client = ollama.AsyncClient(host=host, timeout=httpx.Timeout(30.0))
    started = time.time()
    tokens = 0
    async for part in await client.chat(
        model="phi4", messages=[{"role": "user", "content": "What is 3 + 4?"}], stream=True
    ):
        tokens += len(STAMP.findall(part.message.content or ""))
    return tokens, time.time() - started


async def idle_sockets(url: str, cookies: list[str], problem_id: int, count: int) -> list:
    """Sockets of students who have a problem open and are reading it: joined, then quiet."""
    import websockets

    ws_url = url.replace("http://", "ws://") + "/ws/tutor/"
    sockets = []
    for n in range(count):
        ws = await websockets.connect(
            ws_url, origin=url, additional_headers={"Cookie": cookies[n % len(cookies)]}
        )
        await ws.send(json.dumps({"type": "open", "problem_id": problem_id}))
        await ws.recv()
        sockets.append(ws)
    return sockets


def phase_ratio(env: dict[str, str], args: argparse.Namespace, seed: dict) -> None:
    servers = Servers(env, args, rate=args.ratio_rate, tokens=args.ratio_tokens)
    try:
        ratios, direct_rates, ws_rates = [], [], []
        for run in range(3):
            tokens, elapsed = asyncio.run(direct_once(servers.fake_url))
            direct = tokens / elapsed
            results: dict[str, list] = {"latency": [], "errors": [], "streams": []}
            asyncio.run(stream_once(servers.url, seed["cookies"][run], seed["problem_id"], results))
            ws_tokens, ws_elapsed, _ = results["streams"][0]
            delivered = ws_tokens / ws_elapsed
            direct_rates.append(direct)
            ws_rates.append(delivered)
            ratios.append(delivered / direct)
        print(
            f"ratio phase: {args.ratio_tokens} tokens at {args.ratio_rate:.0f} tok/s offered; "
            f"direct ollama client median {statistics.median(direct_rates):.1f} tok/s, "
            f"websocket median {statistics.median(ws_rates):.1f} tok/s, "
            f"ratio median {statistics.median(ratios):.3f} (runs: {', '.join(f'{r:.3f}' for r in ratios)})",
            flush=True,
        )
    finally:
        servers.stop()


def phase_load(env: dict[str, str], args: argparse.Namespace, seed: dict) -> None:
    servers = Servers(env, args, rate=args.rate, tokens=args.tokens)
    try:

        async def run() -> tuple[dict[str, list], int, int, float]:
            # Warm up first (imports, caches, pools), so only the sockets' own memory is counted.
            # The streaming students are the first `streams` users; idle ones are everyone else.
            idle_cookies = seed["cookies"][args.streams :]
            idle = await idle_sockets(servers.url, idle_cookies, seed["problem_id"], 10)
            await asyncio.sleep(1.0)
            rss_before = servers.rss_kb()
            idle += await idle_sockets(servers.url, idle_cookies[10:], seed["problem_id"], args.idle)
            await asyncio.sleep(1.0)
            rss_idle = servers.rss_kb()
            results: dict[str, list] = {"latency": [], "errors": [], "streams": []}
            started = time.time()
            await asyncio.gather(
                *[
                    stream_once(servers.url, seed["cookies"][n], seed["problem_id"], results)
                    for n in range(args.streams)
                ],
                return_exceptions=False,
            )
            elapsed = time.time() - started
            alive = 0
            for ws in idle:
                try:
                    await ws.send('{"type": "ping"}')
                    await asyncio.wait_for(ws.recv(), 5)
                    alive += 1
                except Exception as exc:  # noqa: BLE001 - counted as a dropped idle socket
                    results["errors"].append(f"idle socket: {exc!r}")
                await ws.close()
            per_socket = (rss_idle - rss_before) / args.idle if args.idle else 0.0
            return results, alive, int(per_socket), elapsed

        results, alive, per_socket_kb, elapsed = asyncio.run(run())
        if os.environ.get("BENCH_TIMELINE"):
            timeline = sorted(results.get("timeline", []))
            t0 = timeline[0][0]
            buckets: dict[int, list[float]] = {}
            for at, ms in timeline:
                buckets.setdefault(int(at - t0), []).append(ms)
            for second, values in sorted(buckets.items()):
                print(
                    f"  t={second:3d}s n={len(values):4d} p50 {statistics.median(values):6.0f} p99 {percentile(values, 0.99):6.0f}"
                )
        latency = results["latency"] or [float("nan")]
        tokens = sum(t for t, _, _ in results["streams"])
        phases = results.get("phases", [])
        final = results.get("final") or [float("nan")]
        offered = args.streams * args.rate
        stream_seconds = statistics.median(e for _, e, _ in results["streams"]) if results["streams"] else 0
        print(
            f"load phase ({args.server}, generation {args.generation}, {os.environ.get('CHANNEL_LAYER', 'pubsub')} layer, "
            f"{args.server_args or 'default options'}, flush every {args.flush_tokens} tokens / {args.flush_interval * 1000:.0f} ms): "
            f"{args.streams} streams x {args.tokens} tokens at {args.rate:.0f} tok/s, {args.idle} idle sockets\n"
            f"  added latency per token: p50 {statistics.median(latency):.0f} ms, p99 {percentile(latency, 0.99):.0f} ms, "
            f"max {max(latency):.0f} ms (n={len(latency)})\n"
            f"  delivered {tokens / stream_seconds / 1 if stream_seconds else 0:.0f} tok/s against {offered:.0f} offered "
            f"(median stream {stream_seconds:.2f} s for {args.tokens / args.rate:.2f} s of tokens; wall {elapsed:.1f} s)\n"
            + (
                f"  per stream (median): first token {statistics.median(p[0] for p in phases):.2f} s after asking, "
                f"{statistics.median(p[1] for p in phases):.1f} tok/s from first to last token, "
                f"done {statistics.median(p[2] for p in phases):.2f} s after the last streamed token\n"
                f"  verified final answer shown after the model's last token: "
                f"p50 {statistics.median(final) * 1000:.0f} ms, p95 {percentile(final, 0.95) * 1000:.0f} ms, "
                f"max {max(final) * 1000:.0f} ms (n={len(final)})\n"
                if phases
                else ""
            )
            + f"  tokens received {tokens} of {args.streams * args.tokens}; errors {len(results['errors'])} {results['errors'][:3]}\n"
            + (
                f"  idle sockets still answering: {alive}/{args.idle + 10}; server RSS per idle socket {per_socket_kb} KB\n"
                if args.idle
                else ""
            ),
            flush=True,
        )
    finally:
        servers.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--phase", choices=["all", "ratio", "load", "hints"], default="all")
    parser.add_argument("--server", choices=["uvicorn", "daphne"], default="uvicorn")
    parser.add_argument(
        "--server-args", default="", help='extra options for the server, e.g. "--ws-per-message-deflate true"'
    )
    parser.add_argument(
        "--generation",
        choices=["inprocess", "celery"],
        default="inprocess",
        help="where answers are generated: in the web process, or in a Celery worker (threads pool)",
    )
    parser.add_argument("--worker-concurrency", type=int, default=50)
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--idle", type=int, default=0)
    parser.add_argument(
        "--hints", type=int, default=20, help="students asking for a hint at once (phase hints)"
    )
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--tokens", type=int, default=300)
    parser.add_argument("--ratio-rate", type=float, default=100.0)
    parser.add_argument("--ratio-tokens", type=int, default=400)
    parser.add_argument("--flush-tokens", type=int, default=8)
    parser.add_argument("--flush-interval", type=float, default=0.05)
    args = parser.parse_args()
    env = base_env(args)
    seed = prepare_database(env, users=max(args.streams, 3) + 10 + max(args.idle, 200))
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        flush=True,
    )
    if args.phase in ("all", "ratio"):
        phase_ratio(env, args, seed)
    if args.phase == "load":
        phase_load(env, args, seed)
    if args.phase in ("all", "hints"):
        phase_hints(env, args, seed)
    elif args.phase == "all":
        # Issue #4's figure: 50 streams in one server process, generation in it too.
        phase_load(env, argparse.Namespace(**{**vars(args), "idle": 0, "generation": "inprocess"}), seed)
        # Issue #7's: the same plus 200 idle sockets, generation in a Celery worker (production).
        phase_load(env, argparse.Namespace(**{**vars(args), "idle": 200, "generation": "celery"}), seed)


if __name__ == "__main__":
    main()
