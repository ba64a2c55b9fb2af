"""Faults in the middle of an answer: Redis restarted, PostgreSQL connections dropped, the Celery
worker killed with SIGKILL, the web process's job lost. After each, the student's socket ends
with every event exactly once and in order, the answer is whole and verified, and a page that
reconnects (a fresh socket, then resume from a sequence number) shows the same answer.

Ollama killed or cut mid-answer is in test_tutor_stream.py (the "cut" and "down" faults).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from tests.conftest import Personas, services_missing
from tests.tutoring.fake import FakeLLM, solution_tokens
from tests.tutoring.sockets import socket_for
from tests.tutoring.test_tutor_stream import CORRECT, open_and_ask, visible_text
from tutor.tutoring import dispatch
from tutor.tutoring.models import Message, MessageChunk

pytestmark = pytest.mark.django_db(transaction=True)

# Long enough (about 400 tokens) to break something in the middle of it.
STEPS = "".join(f"Step {n}: we keep both sides of the equation balanced. " for n in range(1, 41))
LONG = STEPS + "\n\n" + CORRECT


@pytest.fixture(autouse=True)
async def _let_jobs_finish():
    yield
    await dispatch.wait_for_running_jobs(15)


async def read_until(ws: WebsocketCommunicator, frames: list[dict], predicate, limit: float) -> None:
    deadline = time.monotonic() + limit
    while not predicate(frames):
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"gave up after {limit} s; last frames: {frames[-3:]}"
        frames.append(await ws.receive_json_from(timeout=remaining))


def deltas(frames: list[dict]) -> int:
    return sum(f["type"] == "delta" for f in frames)


async def ask_and_read_ten_deltas(
    ws: WebsocketCommunicator, problem_id: int, limit: float = 10
) -> tuple[int, list[dict]]:
    """Ask for a solution and read until the answer is well under way: the moment to break things."""
    message_id = await open_and_ask(ws, problem_id)
    frames: list[dict] = []
    await read_until(ws, frames, lambda f: deltas(f) >= 10, limit=limit)
    return message_id, frames


def done(message_id: int):
    return lambda frames: any(f["type"] == "done" and f["message_id"] == message_id for f in frames)


def assert_whole_answer(frames: list[dict], text: str) -> None:
    """Every event once, in order, one verdict and one end, and the text the student sees."""
    assert [f["seq"] for f in frames] == list(range(len(frames))), "events are missing or repeated"
    assert [f["type"] for f in frames].count("done") == 1
    assert frames[-1]["type"] == "done" and frames[-1]["status"] == "complete", frames[-1]
    verifications = [f for f in frames if f["type"] == "verification"]
    assert len(verifications) == 1 and verifications[0]["status"] == "verified", verifications
    assert visible_text(frames) == text


async def assert_a_reconnecting_page_sees_it(personas: Personas, message_id: int, frames: list[dict]) -> None:
    """A fresh socket shows the stored answer; a resume from the middle (a page that had seen
    half) sends nothing twice: the `session` frame already carried all of it."""
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        session = await ws.receive_json_from(timeout=5)
        entry = next(m for m in session["messages"] if m["message_id"] == message_id)
        assert entry["status"] == "complete"
        assert entry["content"] == visible_text(frames)
        assert entry["last_seq"] == frames[-1]["seq"]
        await ws.send_json_to({"type": "resume", "message_id": message_id, "after_seq": len(frames) // 2})
        # The socket answers in order: whatever the resume sent arrives before this `session`.
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        assert (await ws.receive_json_from(timeout=5))["type"] == "session"
    stored = await sync_to_async(Message.objects.get)(pk=message_id)
    assert stored.status == Message.Status.COMPLETE
    assert stored.content == visible_text(frames)
    assert stored.verification == Message.Verification.VERIFIED
    done_events = await sync_to_async(MessageChunk.objects.filter(message_id=message_id, kind="done").count)()
    assert done_events == 1, "exactly one final answer"


# --- Redis restarted --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own, so it can be killed without touching the shared one."""

    # Keeps nothing across a restart: what compose ran before it turned on the append-only file.
    FORGETFUL = ("--save", "", "--appendonly", "no")

    def __init__(self, tmp_path: Path, options: tuple[str, ...] = FORGETFUL) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            services_missing("redis-server (to restart a Redis of the test's own)")
        self.binary = binary
        self.port = _free_port()
        self.dir = tmp_path
        self.options = options
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603
            [
                self.binary,
                *self.options,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.dir),
            ],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("the test's redis-server did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(5)

    def unacknowledged(self) -> int:
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            return client.hlen("unacked")
        finally:
            client.close()

    def subscribers(self, channel: str) -> int:
        import redis

        client = redis.Redis.from_url(self.url)
        try:
            return dict(client.pubsub_numsub(channel)).get(channel.encode(), 0)
        finally:
            client.close()


@pytest.fixture
def private_redis(request, tmp_path: Path, settings):
    """The test's own Redis as the channel layer. Parametrised indirectly with "compose", it runs
    with docker-compose's options (append-only file) instead of keeping nothing."""
    compose = getattr(request, "param", "forgetful") == "compose"
    server = PrivateRedis(tmp_path, options=_compose_redis_options()) if compose else PrivateRedis(tmp_path)
    server.start()
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": server.url, "socket_timeout": None, "socket_connect_timeout": 2}],
                "prefix": f"fault-{uuid.uuid4().hex[:6]}",
            },
        }
    }
    yield server
    if server.proc is not None and server.proc.poll() is None:
        server.kill()


async def test_redis_restarted_mid_answer(
    solutions_allowed: Personas, fake_llm: FakeLLM, private_redis: PrivateRedis, settings
) -> None:
    personas = solutions_allowed
    settings.TUTOR_GENERATION = "inprocess"
    fake_llm.reply(solution_tokens(LONG), tokens_per_second=120)
    async with socket_for(personas.student) as ws:
        message_id, frames = await ask_and_read_ten_deltas(ws, personas.problem.pk)
        private_redis.kill()
        await asyncio.sleep(1.0)  # the answer goes on being written while Redis is gone
        private_redis.start()
        await read_until(ws, frames, done(message_id), limit=30)
        prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
        group = f"{prefix}__group__tutor.session.{await _session_id(message_id)}"
        # The socket's subscription came back by itself: live events flow again, not only top-ups.
        deadline = time.monotonic() + 5
        while private_redis.subscribers(group) < 1 and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.1)
        assert private_redis.subscribers(group) >= 1, "the socket did not resubscribe after the restart"
    assert_whole_answer(frames, LONG)
    await assert_a_reconnecting_page_sees_it(personas, message_id, frames)


async def _session_id(message_id: int) -> str:
    message = await sync_to_async(Message.objects.get)(pk=message_id)
    return str(message.session_id)


# --- PostgreSQL connections dropped -----------------------------------------------------------


@pytest.fixture
def main_thread_backend_pid(db) -> int | None:
    """pytest-django's own connection (the test's main thread) is left alone: it tears down."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _terminate_other_backends(keep: int) -> int:
    import psycopg
    from django.db import connection

    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"],
        port=params["PORT"] or 5432,
        user=params["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> %s AND pid <> pg_backend_pid()",
            (params["NAME"], keep),
        ).fetchall()
    return len(rows)


@pytest.mark.parametrize("job_runs_in", ["inprocess", "celery"])
async def test_postgresql_connections_dropped_mid_answer(
    solutions_allowed: Personas,
    fake_llm: FakeLLM,
    main_thread_backend_pid: int | None,
    settings,
    tmp_path: Path,
    job_runs_in: str,
) -> None:
    """Every server connection dropped, the web process's and (on the Celery path) the worker's."""
    if main_thread_backend_pid is None:
        services_missing("PostgreSQL")
    personas = solutions_allowed
    settings.TUTOR_GENERATION = job_runs_in
    fake_llm.reply(solution_tokens(LONG), tokens_per_second=120)
    with ExitStack() as stack:
        if job_runs_in == "celery":
            from tests.worker import celery_worker

            queue = f"tutor-test-{uuid.uuid4().hex[:8]}"
            stack.enter_context(celery_broker_at(settings.CELERY_BROKER_URL, queue))
            stack.enter_context(
                celery_worker(ollama_host=fake_llm.url, log_path=tmp_path / "worker.log", queue=queue)
            )
        async with socket_for(personas.student) as ws:
            message_id, frames = await ask_and_read_ten_deltas(ws, personas.problem.pk)
            killed = await sync_to_async(_terminate_other_backends, thread_sensitive=False)(
                main_thread_backend_pid
            )
            assert killed >= 1, "no connection of the server was open to drop"
            await read_until(ws, frames, done(message_id), limit=30)
    assert_whole_answer(frames, LONG)
    # Known issue (see the closing note of this change): when earlier tests had grown this process's
    # pool to ~9 connections, all of them dropped, the test harness's own next login (force_login in
    # a thread) waited out the pool's 10 s timeout although the answer had completed; the server path
    # recovered. Checking the pool here lets the harness log in; the server's recovery is what is tested.
    await sync_to_async(_check_pool, thread_sensitive=False)()
    await assert_a_reconnecting_page_sees_it(personas, message_id, frames)


def _check_pool() -> None:
    from django.db import connections

    pool = getattr(connections["default"], "pool", None)
    if pool is not None:
        pool.check()


# --- the Celery worker killed -----------------------------------------------------------------


async def test_celery_worker_killed_mid_answer_is_taken_over_once(
    solutions_allowed: Personas, fake_llm: FakeLLM, settings, tmp_path: Path
) -> None:
    """SIGKILL on the worker mid-answer: Redis hands the task out again, or the watching page asks
    for a new job once the dead job's claim goes stale. One job takes over, continues from what
    was shown, and nothing runs a third time."""
    from channels.layers import get_channel_layer

    if not type(get_channel_layer()).__module__.startswith("channels_redis.") or not os.environ.get(
        "DATABASE_URL"
    ):
        services_missing("PostgreSQL and the Redis layer")
    from tests.worker import celery_worker
    from tutor.celery import app

    personas = solutions_allowed
    stale = 3
    settings.TUTOR_GENERATION = "celery"
    settings.TUTOR_CLAIM_STALE_SECONDS = stale
    extra_env = {"TUTOR_CLAIM_STALE_SECONDS": str(stale), "CELERY_VISIBILITY_TIMEOUT": "4"}
    continuation = " That is every step.\n\n**Final answer:** $\\boxed{2}$"
    fake_llm.reply(solution_tokens(LONG), tokens_per_second=60)
    fake_llm.reply(solution_tokens(continuation), tokens_per_second=60)
    queue = f"tutor-test-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    app.conf.task_always_eager = False
    try:
        async with socket_for(personas.student) as ws:
            with celery_worker(
                ollama_host=fake_llm.url, log_path=tmp_path / "worker1.log", queue=queue, extra_env=extra_env
            ) as (first, _):
                message_id, frames = await ask_and_read_ten_deltas(ws, personas.problem.pk, limit=15)
                killed_at = time.monotonic()
                os.killpg(first.pid, signal.SIGKILL)
                first.wait(5)
            shown_at_kill = visible_text(frames)
            # Past the visibility timeout, so the new worker also finds the killed task to redeliver.
            await asyncio.sleep(max(0.0, 4.5 - (time.monotonic() - killed_at)))
            with celery_worker(
                ollama_host=fake_llm.url, log_path=tmp_path / "worker2.log", queue=queue, extra_env=extra_env
            ):
                await read_until(ws, frames, done(message_id), limit=40)
                # Whatever else was queued for this message (redelivery, the page's request) ends
                # at the claim: give it time to run, then count.
                await asyncio.sleep(stale + 2)
                log2 = (tmp_path / "worker2.log").read_text()
    finally:
        app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    stored = await sync_to_async(Message.objects.get)(pk=message_id)
    assert stored.content.startswith(shown_at_kill), "what the student had already seen was replaced"
    assert stored.content.endswith(continuation)
    assert_whole_answer(frames, stored.content)
    assert any(f["type"] == "status" and f.get("code") == "resumed" for f in frames)
    requests = fake_llm.requests
    assert len(requests) == 2, f"the model was asked {len(requests)} times; a redelivery loop?"
    last_message = requests[1]["messages"][-1]
    assert last_message["role"] == "assistant", "the new job should continue the shown text"
    assert shown_at_kill.startswith(last_message["content"]) or last_message["content"].startswith(
        shown_at_kill
    )
    assert "generate_reply" in log2
    await assert_a_reconnecting_page_sees_it(personas, message_id, frames)


# --- the web process's in-process job lost ----------------------------------------------------


async def test_a_reply_whose_job_died_is_taken_over_when_the_page_is_open(
    solutions_allowed: Personas, fake_llm: FakeLLM, settings
) -> None:
    """In the embedded default the job runs in the web process; a restart loses it. The page that
    reopens the problem sees the answer so far and, once the claim is stale, the rest."""
    from datetime import timedelta

    from django.utils import timezone

    personas = solutions_allowed
    settings.TUTOR_GENERATION = "inprocess"
    settings.TUTOR_CLAIM_STALE_SECONDS = 2
    shown = "Step 1: we keep both sides of the equation balanced. "
    continuation = "Then $2x = 4$.\n\n**Final answer:** $\\boxed{2}$"
    fake_llm.reply(solution_tokens(continuation))

    def a_dead_job() -> int:
        from tutor.tutoring import services

        session = services.session_open(user=personas.student, problem_id=personas.problem.pk)
        ask = services.tutor_ask(
            user=personas.student, session=session, mode="solution", request_id=str(uuid.uuid4())
        )
        MessageChunk.objects.bulk_create(
            [
                MessageChunk(message_id=ask.tutor_message_id, seq=0, kind="start", data={"mode": "solution"}),
                MessageChunk(message_id=ask.tutor_message_id, seq=1, kind="delta", text=shown),
            ]
        )
        Message.objects.filter(pk=ask.tutor_message_id).update(
            status=Message.Status.STREAMING,
            claimed_at=timezone.now() - timedelta(seconds=30),
            job_channel="a-process-that-is-gone",
            next_seq=2,
        )
        return ask.tutor_message_id

    message_id = await sync_to_async(a_dead_job)()
    async with socket_for(personas.student) as ws:
        await ws.send_json_to({"type": "open", "problem_id": personas.problem.pk})
        session = await ws.receive_json_from(timeout=5)
        entry = next(m for m in session["messages"] if m["message_id"] == message_id)
        assert entry["content"] == shown and entry["status"] == "streaming"
        frames: list[dict] = []
        await read_until(ws, frames, done(message_id), limit=15)
    assert [f["seq"] for f in frames] == list(range(2, 2 + len(frames)))
    verification = next(f for f in frames if f["type"] == "verification")
    assert verification["status"] == "verified"
    stored = await sync_to_async(Message.objects.get)(pk=message_id)
    assert stored.content == shown + continuation
    assert fake_llm.requests[0]["messages"][-1] == {"role": "assistant", "content": shown}


# --- Redis restarted under a Celery worker ------------------------------------------------------


# The worker as docker-compose runs it: production settings (tutor/commands.py has its options).
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "tutor.settings.production",
    "DJANGO_SECRET_KEY": "fault-test-" + "k" * 50,
    "DJANGO_ALLOWED_HOSTS": "localhost",
}


@contextmanager
def celery_broker_at(url: str, queue: str) -> Iterator[None]:
    """Points this process's Celery app (what `generate_reply.delay` publishes with) at the test's
    own Redis and queue."""
    from django.conf import settings as django_settings

    from tutor.celery import app

    app.conf.broker_url = url
    app.conf.task_default_queue = queue
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.conf.broker_url = django_settings.CELERY_BROKER_URL
        app.conf.task_default_queue = django_settings.CELERY_TASK_DEFAULT_QUEUE
        app._pool = None
        app.amqp._producer_pool = None


@pytest.mark.parametrize("private_redis", ["forgetful", "compose"], indirect=True)
async def test_the_worker_survives_a_redis_restart_mid_answer(
    solutions_allowed: Personas, fake_llm: FakeLLM, private_redis: PrivateRedis, settings, tmp_path: Path
) -> None:
    """Production shape: the answer runs in a Celery worker (production settings, compose's
    command) whose broker and channel layer are a Redis killed and restarted mid-answer, one
    that keeps nothing and one run as compose runs it. The answer finishes whole, the worker is
    still running afterwards, and the next student's question is answered."""
    if not os.environ.get("DATABASE_URL"):
        services_missing("PostgreSQL (a worker process shares the test database)")
    from tests.worker import celery_worker

    personas = solutions_allowed
    settings.TUTOR_GENERATION = "celery"
    fake_llm.reply(solution_tokens(LONG), tokens_per_second=60)
    fake_llm.reply(solution_tokens(CORRECT), tokens_per_second=60)
    queue = f"tutor-test-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path / "worker.log"
    extra_env = {"REDIS_URL": private_redis.url, "CELERY_BROKER_URL": private_redis.url, **PRODUCTION}
    with (
        celery_broker_at(private_redis.url, queue),
        celery_worker(ollama_host=fake_llm.url, log_path=log_path, queue=queue, extra_env=extra_env) as (
            worker,
            _,
        ),
    ):
        async with socket_for(personas.student) as ws:
            message_id, frames = await ask_and_read_ten_deltas(ws, personas.problem.pk, limit=15)
            for _ in range(2):  # twice: upstream reports had workers survive only the first (celery#8030)
                private_redis.kill()
                await asyncio.sleep(1.0)
                private_redis.start()
                await asyncio.sleep(1.5)
            await read_until(ws, frames, done(message_id), limit=40)
        assert_whole_answer(frames, LONG)
        # The worker outlives the restart (it used to exit once the running answer finished)...
        await asyncio.sleep(3)
        assert worker.poll() is None, f"the worker exited:\n{log_path.read_text()[-3000:]}"
        # ...and takes the next student's question.
        async with socket_for(personas.classmate) as ws:
            next_id = await open_and_ask(ws, personas.problem.pk)
            next_frames: list[dict] = []
            await read_until(ws, next_frames, done(next_id), limit=30)
        assert_whole_answer(next_frames, CORRECT)
        assert worker.poll() is None, f"the worker exited:\n{log_path.read_text()[-3000:]}"
    assert "Unrecoverable error" not in log_path.read_text()
    # The answer running across the restart was acknowledged: nothing waits in Redis to be handed
    # out again after the visibility timeout.
    assert private_redis.unacknowledged() == 0


# --- Redis restarted without its data, with tasks queued ------------------------------------------


def _broker_queue_length(server: PrivateRedis, queue: str) -> int:
    import redis

    client = redis.Redis.from_url(server.url)
    try:
        return client.llen(queue)
    finally:
        client.close()


async def test_tasks_queued_when_redis_loses_its_data_are_queued_again_and_done(
    solutions_allowed: Personas, fake_llm: FakeLLM, private_redis: PrivateRedis, settings, tmp_path: Path
) -> None:
    """A student's question, a teacher's upload and an answer-key audit are waiting in Redis for a
    worker when Redis restarts without its data (`--save "" --appendonly no`, compose's old
    setting). The worker that then starts finds them queued in PostgreSQL but unknown to Redis,
    queues them again, and all three are done: the student's socket gets the verified answer."""
    if not os.environ.get("DATABASE_URL"):
        services_missing("PostgreSQL (a worker process shares the test database)")
    from inference.testing.fake_ollama import Reply
    from tests.problems.test_pages import big_csv
    from tests.worker import celery_worker
    from tutor.problems.models import ImportJob
    from tutor.problems.services import import_job_start
    from tutor.sweeper import queued_work_sweep
    from tutor.tutoring.audit import problem_set_audit_start
    from tutor.tutoring.models import AuditRun

    personas = solutions_allowed
    settings.TUTOR_GENERATION = "celery"
    fake_llm.server.script.respond_with(lambda request: Reply.text(CORRECT))
    queue = f"tutor-test-{uuid.uuid4().hex[:8]}"
    extra_env = {
        "REDIS_URL": private_redis.url,
        "CELERY_BROKER_URL": private_redis.url,
        "TUTOR_SWEEP_SECONDS": "1",
        "TUTOR_SWEEP_GRACE_SECONDS": "1",
    }
    with celery_broker_at(private_redis.url, queue):
        async with socket_for(personas.student) as ws:
            message_id = await open_and_ask(ws, personas.problem.pk)
            job = await sync_to_async(import_job_start)(
                owner=personas.teacher, filename="big-set.csv", data=big_csv(5), total=5
            )
            audit = await sync_to_async(problem_set_audit_start)(
                user=personas.teacher, problem_set=personas.problem_set
            )
            assert _broker_queue_length(private_redis, queue) == 3, "the three should be waiting in Redis"
            # What Redis still holds is not queued a second time.
            await asyncio.sleep(1.1)
            swept = await sync_to_async(queued_work_sweep)(grace_seconds=1)
            assert swept.count == 0 and _broker_queue_length(private_redis, queue) == 3
            private_redis.kill()
            private_redis.start()
            assert _broker_queue_length(private_redis, queue) == 0, "this Redis should have lost them"

            log_path = tmp_path / "worker.log"
            with celery_worker(ollama_host=fake_llm.url, log_path=log_path, queue=queue, extra_env=extra_env):
                frames: list[dict] = []
                await read_until(ws, frames, done(message_id), limit=40)

                async def finished() -> tuple[str, str]:
                    job_status = (await ImportJob.objects.aget(pk=job.pk)).status
                    audit_status = (await AuditRun.objects.aget(pk=audit.pk)).status
                    return job_status, audit_status

                deadline = time.monotonic() + 30
                while await finished() != ("done", "done") and time.monotonic() < deadline:  # noqa: ASYNC110
                    await asyncio.sleep(0.2)
                assert await finished() == ("done", "done"), log_path.read_text()[-3000:]
            log = log_path.read_text()
    verification = next(f for f in frames if f["type"] == "verification")
    assert verification["status"] == "verified"
    assert frames[-1]["type"] == "done" and frames[-1]["status"] == "complete"
    stored = await Message.objects.aget(pk=message_id)
    assert stored.status == Message.Status.COMPLETE and stored.content == CORRECT
    assert "queued again" in log
    assert await sync_to_async(lambda: ImportJob.objects.get(pk=job.pk).problem_set.problems.count())() == 5


def _compose_redis_options() -> tuple[str, ...]:
    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())
    command = compose["services"]["redis"]["command"]
    assert command[0] == "redis-server"
    return tuple(command[1:])


async def test_redis_as_compose_runs_it_keeps_queued_tasks_across_a_crash(
    personas: Personas, fake_llm: FakeLLM, tmp_path: Path, settings
) -> None:
    """Redis with docker-compose's options (append-only file) killed with SIGKILL and restarted:
    an upload waiting for a worker is still queued, and the worker that starts imports it. No
    sweeper here (it looks only once a minute), so it is Redis that kept the task."""
    if not os.environ.get("DATABASE_URL"):
        services_missing("PostgreSQL (a worker process shares the test database)")
    from tests.problems.test_pages import big_csv
    from tests.worker import celery_worker
    from tutor.problems.models import ImportJob
    from tutor.problems.services import import_job_start

    server = PrivateRedis(tmp_path, options=_compose_redis_options())
    server.start()
    queue = f"tutor-test-{uuid.uuid4().hex[:8]}"
    try:
        with celery_broker_at(server.url, queue):
            job = await sync_to_async(import_job_start)(
                owner=personas.teacher, filename="kept.csv", data=big_csv(3), total=3
            )
            await asyncio.sleep(1.5)  # appendfsync everysec: what is a second old is on disk
            server.kill()
            server.start()
            assert _broker_queue_length(server, queue) == 1, "Redis lost the queued upload"
            extra_env = {
                "REDIS_URL": server.url,
                "CELERY_BROKER_URL": server.url,
                "TUTOR_SWEEP_SECONDS": "60",
            }
            with celery_worker(
                ollama_host=fake_llm.url, log_path=tmp_path / "worker.log", queue=queue, extra_env=extra_env
            ):
                deadline = time.monotonic() + 30
                while (await ImportJob.objects.aget(pk=job.pk)).status != "done":  # noqa: ASYNC110
                    assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()[-3000:]
                    await asyncio.sleep(0.2)
    finally:
        server.kill()
    assert "queued again" not in (tmp_path / "worker.log").read_text()


async def test_an_answer_whose_worker_died_with_nobody_watching_is_finished_by_the_sweeper(
    solutions_allowed: Personas, fake_llm: FakeLLM, private_redis: PrivateRedis, settings, tmp_path: Path
) -> None:
    """The student leaves mid-answer and the worker is SIGKILLed. No page asks for a new job, and
    Redis would hand the killed task out again only after its visibility timeout (16 minutes by
    default, kept here). The next worker's sweeper sees the claim gone stale, takes the answer
    over and finishes it, continuing the text already stored: it is whole when the student comes
    back."""
    if not os.environ.get("DATABASE_URL"):
        services_missing("PostgreSQL (a worker process shares the test database)")
    from tests.worker import celery_worker

    personas = solutions_allowed
    settings.TUTOR_GENERATION = "celery"
    continuation = " That is every step.\n\n**Final answer:** $\\boxed{2}$"
    fake_llm.reply(solution_tokens(LONG), tokens_per_second=60)
    fake_llm.reply(solution_tokens(continuation), tokens_per_second=60)
    queue = f"tutor-test-{uuid.uuid4().hex[:8]}"
    # A Redis of the test's own: earlier tests' leftover messages name the same row ids (the test
    # database starts its ids again), and the sweeper would take them for this answer's task.
    claim = {
        "REDIS_URL": private_redis.url,
        "CELERY_BROKER_URL": private_redis.url,
        "TUTOR_CLAIM_STALE_SECONDS": "3",
    }
    sweeping = {**claim, "TUTOR_SWEEP_SECONDS": "1", "TUTOR_SWEEP_GRACE_SECONDS": "1"}
    with celery_broker_at(private_redis.url, queue):
        with celery_worker(
            ollama_host=fake_llm.url, log_path=tmp_path / "worker1.log", queue=queue, extra_env=claim
        ) as (first, _):
            async with socket_for(personas.student) as ws:
                message_id, frames = await ask_and_read_ten_deltas(ws, personas.problem.pk, limit=15)
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(5)
        log_path = tmp_path / "worker2.log"
        with celery_worker(ollama_host=fake_llm.url, log_path=log_path, queue=queue, extra_env=sweeping):
            deadline = time.monotonic() + 30
            while (await Message.objects.aget(pk=message_id)).status != Message.Status.COMPLETE:  # noqa: ASYNC110
                assert time.monotonic() < deadline, log_path.read_text()[-3000:]
                await asyncio.sleep(0.2)
            await asyncio.sleep(2)  # a spare copy of the task, if any, ends at the claim meanwhile
            log = log_path.read_text()
    stored = await Message.objects.aget(pk=message_id)
    assert stored.content.startswith(visible_text(frames)) and stored.content.endswith(continuation)
    assert stored.verification == Message.Verification.VERIFIED
    assert "queued again" in log
    requests = fake_llm.requests
    assert len(requests) == 2, f"the model was asked {len(requests)} times"
    assert requests[1]["messages"][-1]["role"] == "assistant", "the new job should continue the stored text"
    await assert_a_reconnecting_page_sees_it(personas, message_id, await _all_events(message_id))


async def _all_events(message_id: int) -> list[dict]:
    from tutor.tutoring import events

    return await sync_to_async(events.events_after)(message_id=message_id, after_seq=-1)
