"""Several Ollama hosts (issue 17): answers per minute with 1, 2 and 4 simulated hosts, and the
one-question rule across two web processes.

    python bench/hosts.py                       # every phase, the figures in docs/benchmarks.md
    python bench/hosts.py --phase hosts --hosts 1 2 4 --capacity 2 --rounds 6
    python bench/hosts.py --phase one-question --trials 100
    python bench/hosts.py --phase routing       # the routing alone, no web, worker or checker
    python bench/hosts.py --phase hosts --workers 2   # two Celery workers, as docker-compose runs

Phase "hosts": the production path (2 uvicorn + `--workers` Celery workers on the threads pool +
PostgreSQL + Redis) with K Ollama-compatible test servers (inference/testing/fake_ollama.py, `--scenario
bench`), each capped at `--capacity` streams (`--max-pending`: 503 beyond) and writing
`--tokens` tokens at `--rate` tokens/s per stream, as a GPU with OLLAMA_NUM_PARALLEL does.
`rounds x K x capacity` students ask at once; answers per minute = answers / (last done - first
ask). Every answer must complete verified, no host may refuse a stream. The goal is >= 1.9x with
2 hosts and >= 3.6x with 4 (the arithmetic in docs/scaling.md).

Phase "one-question": one student with 12 sockets, six on each of two web processes, asks on all
12 at once, `--trials` times; each trial must have exactly one ask accepted (services.tutor_ask
locks the student's row; tests/tutoring/test_two_processes.py runs 5 trials in the suite).

Needs PostgreSQL and Redis (DATABASE_URL / REDIS_URL, defaults on 127.0.0.1). Uses its own
database, tutor_bench_hosts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bench.stream as stream  # noqa: E402
from tutor.commands import celery_worker_command, uvicorn_command  # noqa: E402

stream.DB_NAME = "tutor_bench_hosts"


def _wait_for_port(port: int, proc: subprocess.Popen, what: str) -> None:
    import socket

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{what} is not listening on {port}")


class Site:
    """K test Ollama hosts, `workers` Celery workers and `web` uvicorn processes."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        hosts: int,
        capacity: int,
        rate: float,
        tokens: int,
        web: int,
        workers: int = 1,
    ) -> None:
        self.procs, self.host_urls = _start_hosts(hosts, capacity=capacity, rate=rate, tokens=tokens)
        queue = f"bench-{uuid.uuid4().hex[:6]}"
        env = {
            **env,
            "OLLAMA_HOSTS": ",".join(f"{url}={capacity}" for url in self.host_urls),
            "OLLAMA_HOST": self.host_urls[0],
            "TUTOR_GENERATION": "celery",
            "CELERY_QUEUE": queue,
        }
        for n in range(workers):
            log_path = Path(f"/tmp/bench-hosts-worker-{queue}-{n}.log")
            with log_path.open("w") as log:
                worker = subprocess.Popen(  # noqa: S603
                    celery_worker_command(queue=queue, concurrency=50),
                    cwd=ROOT,
                    env={**env, "DATABASE_POOL_MAX": "60"},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            self.procs.append(worker)
            deadline = time.monotonic() + 60
            while "ready." not in log_path.read_text():
                if worker.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the Celery worker did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
        self.web_urls = []
        for _ in range(web):
            port = stream.free_port()
            proc = subprocess.Popen(  # noqa: S603
                [*uvicorn_command(port=port), "--log-level", "warning"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            self.procs.append(proc)
            _wait_for_port(port, proc, "uvicorn")
            self.web_urls.append(f"http://127.0.0.1:{port}")

    def host_stats(self) -> list[dict]:
        import httpx

        return [httpx.get(f"{url}/_fake/stats", timeout=5).json() for url in self.host_urls]

    def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


def phase_hosts(env: dict[str, str], args: argparse.Namespace, seed: dict) -> None:
    baseline = None
    print(
        f"hosts phase: each host {args.capacity} streams at once, {args.tokens} tokens at {args.rate:g} tok/s "
        f"per stream ({args.tokens / args.rate:.1f} s of tokens), {args.rounds} rounds of asks, "
        f"{args.workers} Celery worker{'s' if args.workers > 1 else ''}",
        flush=True,
    )
    for count in args.hosts:
        site = Site(
            env,
            hosts=count,
            capacity=args.capacity,
            rate=args.rate,
            tokens=args.tokens,
            web=2,
            workers=args.workers,
        )
        try:
            answers = args.rounds * count * args.capacity
            results: dict[str, list] = {"latency": [], "errors": [], "streams": []}

            async def run(site: Site = site, answers: int = answers, results: dict = results) -> float:
                started = time.time()
                await asyncio.gather(
                    *(
                        stream.stream_once(
                            site.web_urls[n % len(site.web_urls)],
                            seed["cookies"][n],
                            seed["problem_id"],
                            results,
                        )
                        for n in range(answers)
                    )
                )
                return time.time() - started

            # A warm-up answer per host first (imports, pools, the checker's workers), not counted.
            asyncio.run(run(answers=count, results={"latency": [], "errors": [], "streams": []}))
            elapsed = asyncio.run(run())
            stats = site.host_stats()
        finally:
            site.stop()
        complete = sum(status == "complete" for _, _, status in results["streams"])
        phases = results.get("phases", [])
        per_minute = complete / elapsed * 60
        baseline = baseline or per_minute
        print(
            f"  {count} host{'s' if count > 1 else ''}: {complete}/{answers} answers complete in {elapsed:.1f} s = "
            f"{per_minute:.1f} answers/min ({per_minute / baseline:.2f}x one host); "
            f"errors {len(results['errors'])} {results['errors'][:3]}; "
            f"most streams open at once per host {[s['peak_in_flight'] for s in stats]}, "
            f"refused {sum(s['refused_full'] for s in stats)}",
            flush=True,
        )
        if phases:
            first, rate, after = (sorted(p[i] for p in phases) for i in range(3))
            print(
                f"    per answer (median): first token {first[len(first) // 2]:.2f} s after asking (waits in line "
                f"included), {rate[len(rate) // 2]:.1f} tok/s while streaming, verified and done "
                f"{after[len(after) // 2]:.2f} s after the last token (max {after[-1]:.2f} s)",
                flush=True,
            )


def _start_hosts(
    count: int, *, capacity: int, rate: float, tokens: int
) -> tuple[list[subprocess.Popen], list[str]]:
    procs, urls = [], []
    for _ in range(count):
        port = stream.free_port()
        proc = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "inference.testing.fake_ollama",
                "--port",
                str(port),
                "--scenario",
                "bench",
                "--bench-tokens",
                str(tokens),
                "--tokens-per-second",
                str(rate),
                "--max-pending",
                str(capacity),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        procs.append(proc)
        _wait_for_port(port, proc, "the test Ollama server")
        urls.append(f"http://127.0.0.1:{port}")
    return procs, urls


async def _routed_streams(pool, streams: int) -> tuple[float, int]:  # noqa: ANN001 - a HostPool
    import contextlib

    from inference.llm import LLMConfig, stream_chat_routed

    async def one() -> bool:
        config = LLMConfig(host=pool.hosts[0].url, read_timeout=30)
        question = [{"role": "user", "content": "What is 3 + 4?"}]
        async with contextlib.aclosing(stream_chat_routed(pool, config, question)) as events:
            return any([event.kind == "done" async for event in events])

    await pool.fresh_states("phi4")
    started = time.time()
    done = await asyncio.gather(*(one() for _ in range(streams)))
    return time.time() - started, sum(done)


def phase_routing(args: argparse.Namespace) -> None:
    """The routing alone (inference/llm/hosts.py with its Redis slots), no web, worker or checker:
    `rounds x K x capacity` streams at once from one process, on K test hosts."""
    import httpx

    from inference.llm import Host, HostPool, RedisStore

    print(
        f"routing phase: each host {args.capacity} streams at once, {args.tokens} tokens at {args.rate:g} tok/s, "
        f"{args.rounds} rounds; streams from one process through the Redis slots",
        flush=True,
    )
    baseline = None
    for count in args.hosts:
        procs, urls = _start_hosts(count, capacity=args.capacity, rate=args.rate, tokens=args.tokens)
        try:
            pool = HostPool(
                hosts=tuple(Host(url, args.capacity) for url in urls),
                store=RedisStore(
                    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), f"bench-{uuid.uuid4().hex[:6]}"
                ),
            )
            streams = args.rounds * count * args.capacity

            elapsed, done = asyncio.run(_routed_streams(pool, streams))
            stats = [httpx.get(f"{url}/_fake/stats", timeout=5).json() for url in urls]
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(10)
        per_minute = done / elapsed * 60
        baseline = baseline or per_minute
        print(
            f"  {count} host{'s' if count > 1 else ''}: {done}/{streams} streams in {elapsed:.1f} s = {per_minute:.1f} answers/min "
            f"({per_minute / baseline:.2f}x one host); most open at once per host {[s['peak_in_flight'] for s in stats]}, "
            f"refused {sum(s['refused_full'] for s in stats)}",
            flush=True,
        )


async def _one_question_trials(urls: list[str], cookie: str, problem_id: int, trials: int) -> list[int]:
    import websockets

    sockets = []
    for n in range(12):
        url = urls[n % 2]
        ws = await websockets.connect(
            url.replace("http://", "ws://") + "/ws/tutor/", origin=url, additional_headers={"Cookie": cookie}
        )
        await ws.send(json.dumps({"type": "open", "problem_id": problem_id}))
        while json.loads(await ws.recv())["type"] != "session":
            pass
        sockets.append(ws)
    accepted_counts = []
    try:
        for _ in range(trials):
            ids = [str(uuid.uuid4()) for _ in sockets]
            await asyncio.gather(
                *(
                    ws.send(json.dumps({"type": "ask", "mode": "hint", "request_id": rid}))
                    for ws, rid in zip(sockets, ids, strict=True)
                )
            )

            async def answer(ws, rid: str) -> dict:
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    if frame.get("request_id") == rid and frame["type"] in ("accepted", "error"):
                        return frame

            answers = await asyncio.gather(*(answer(ws, rid) for ws, rid in zip(sockets, ids, strict=True)))
            accepted = [(ws, a) for ws, a in zip(sockets, answers, strict=True) if a["type"] == "accepted"]
            accepted_counts.append(len(accepted))
            for ws, frame in accepted:  # the reply ends before the next trial
                while True:
                    done = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    if done["type"] == "done" and done.get("message_id") == frame["message_id"]:
                        break
    finally:
        for ws in sockets:
            await ws.close()
    return accepted_counts


def _replies_running_together() -> int:
    """Replies created while another of the student's replies was still running: the rule itself."""
    from tutor.tutoring.models import Message

    replies = list(
        Message.objects.filter(role="tutor").order_by("created_at").values_list("created_at", "completed_at")
    )
    return sum(
        1
        for (_, done), (created, _) in zip(replies, replies[1:], strict=False)
        if done is None or created < done
    )


def phase_one_question(env: dict[str, str], args: argparse.Namespace, seed: dict) -> None:
    # A reply of about 1.5 s (30 tokens at 20 tokens/s), so the accepted one is still running when
    # the other eleven asks are checked (with a reply faster than the burst, a late ask is rightly
    # accepted once the first reply has finished).
    site = Site(
        {**env, "TUTOR_REQUESTS_PER_MINUTE": "100000"}, hosts=1, capacity=4, rate=20, tokens=30, web=2
    )
    try:
        started = time.time()
        counts = asyncio.run(
            _one_question_trials(site.web_urls, seed["cookies"][-1], seed["problem_id"], args.trials)
        )
    finally:
        site.stop()
    exact = sum(c == 1 for c in counts)
    print(
        f"one-question phase: {args.trials} trials of 12 simultaneous asks by one student over 2 web processes: "
        f"exactly one accepted in {exact}/{args.trials} (accepted per trial: min {min(counts)}, max {max(counts)}); "
        f"replies ever running at the same time: {_replies_running_together()}; {time.time() - started:.0f} s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--phase", choices=["all", "routing", "hosts", "one-question"], default="all")
    parser.add_argument("--hosts", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--capacity", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--tokens", type=int, default=60)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="Celery workers in the hosts phase")
    args = parser.parse_args()
    args.flush_tokens, args.flush_interval = 8, 0.05
    if args.phase in ("all", "routing"):
        phase_routing(args)
        if args.phase == "routing":
            return
    env = stream.base_env(args)
    users = max(args.rounds * max(args.hosts) * args.capacity, max(args.hosts)) + 1
    seed = stream.prepare_database(env, users=users)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        flush=True,
    )
    if args.phase in ("all", "hosts"):
        phase_hosts(env, args, seed)
    if args.phase in ("all", "one-question"):
        phase_one_question(env, args, seed)


if __name__ == "__main__":
    main()
