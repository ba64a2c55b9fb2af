"""The generation job: claims one tutor reply, runs its policy (replies.py), and meanwhile keeps
its claim alive, listens for Stop, and notices when another job has taken the reply over.

It runs as a Celery task in production and as an asyncio task in the web process in the
embedded default; both call `generation_run`. The job is idempotent: it claims its message
with a conditional UPDATE, so a redelivered job finds the message taken and does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field

from channels.layers import get_channel_layer
from django.conf import settings

from inference.llm import LLMConfig
from tutor.classroom import selectors

from .. import events
from ..db import db_call
from ..models import Message, TutoringSession
from ..services import HINT_LIKE_MODES
from . import claims
from .replies import Reply, reply_run, reply_stopped

logger = logging.getLogger(__name__)
HISTORY_TURNS = 12


def llm_config_for(problem_set_model: str) -> LLMConfig:
    return LLMConfig(
        host=settings.OLLAMA_HOST,
        model=problem_set_model or settings.OLLAMA_MODEL,
        keep_alive=settings.OLLAMA_KEEP_ALIVE,
        connect_timeout=settings.OLLAMA_CONNECT_TIMEOUT,
        read_timeout=settings.OLLAMA_READ_TIMEOUT,
        retry_base_delay=settings.OLLAMA_RETRY_BASE_DELAY,
    )


@dataclass
class JobState:
    """What the job's helpers (heartbeat, stop listener) share with the reply they watch."""

    message_id: int
    job_channel: str
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    log: events.EventLog | None = None
    # Another job took the reply over (this one was presumed dead): it must not write an ending.
    lost: bool = False


async def generation_run(*, message_id: int) -> None:
    layer = get_channel_layer()
    # The default prefix matters on the Redis layer: it reads one "real" channel per process
    # and sorts messages into local buffers; a channel under another prefix is never read.
    job_channel = await layer.new_channel()
    next_seq = await claims.claim(message_id, job_channel)
    if next_seq is None:
        logger.info("message %s already claimed or finished; nothing to do", message_id)
        return
    state = JobState(message_id=message_id, job_channel=job_channel)
    work = asyncio.ensure_future(_generate(state, next_seq))
    listener = asyncio.ensure_future(_listen_for_stop(state, work))
    keeper = asyncio.ensure_future(_keep_claim(state, work))
    try:
        await asyncio.wait({work}, return_when=asyncio.ALL_COMPLETED)
    finally:
        listener.cancel()
        keeper.cancel()
    if work.cancelled():
        if state.log is not None and not state.lost:
            await reply_stopped(state.log)
        return
    work.result()


async def _generate(state: JobState, next_seq: int) -> None:
    loaded = await _load(state.message_id)
    message, session = loaded.message, loaded.session
    problem = session.problem
    config = llm_config_for(problem.problem_set.model_name)
    log = state.log = events.EventLog(session_id=session.pk, message_id=state.message_id, next_seq=next_seq)
    hint_like = message.mode in HINT_LIKE_MODES
    # A job taking over from one that died: what the student has already seen stays, and the
    # model is asked to continue it (Ollama continues a final assistant message).
    shown = ""
    if next_seq > 0 and not hint_like:
        shown = (await db_call(events.replay_state)(message_id=state.message_id))[0]
    await log.emit([events.start(mode=message.mode, model=config.model, reply_to=message.reply_to_id)])
    if next_seq > 0:
        await log.emit([events.status("resumed", "The tutor was interrupted and is carrying on...")])
    elif loaded.continues:
        # "Continue" after Stop: this reply shows the stopped text at once, then carries it on.
        shown = loaded.continues
        await log.emit([events.delta(shown)])
    reply = Reply(
        message_id=state.message_id,
        mode=message.mode,
        session_id=session.pk,
        problem=problem,
        config=config,
        log=log,
        history=loaded.history,
        history_total=loaded.history_total,
        student_text=loaded.student_text,
        gate_leaks=loaded.gate_leaks,
        stop=state.stop,
        owner=f"user:{session.student_id}",
        shown=shown,
        hint_number=message.hint_number or 0,
    )
    await reply_run(reply)


@dataclass
class Loaded:
    message: Message
    session: TutoringSession
    history: list[dict[str, str]]
    history_total: int  # earlier turns in the session; more than `history` holds when trimmed
    student_text: str
    continues: str  # the stopped text this reply carries on ("" if none)
    gate_leaks: bool


@db_call
def _load(message_id: int) -> Loaded:
    message = Message.objects.select_related(
        "session__problem__problem_set", "session__problem__parent", "reply_to", "continued_from"
    ).get(pk=message_id)
    session = message.session
    history = []
    earlier = session.messages.filter(created_at__lt=message.created_at, status=Message.Status.COMPLETE)
    if message.reply_to_id is not None:
        earlier = earlier.exclude(pk=message.reply_to_id)
    for turn in earlier.order_by("-created_at")[:HISTORY_TURNS][::-1]:
        if turn.content:
            history.append(
                {
                    "role": "user" if turn.role == Message.Role.STUDENT else "assistant",
                    "content": turn.content,
                }
            )
    # A follow-up question may talk about the answer once the student may see it (solved, or
    # solutions allowed); until then it goes through the leak gate like a hint.
    gate_leaks = (
        message.mode in (Message.Mode.HINT, Message.Mode.FEEDBACK)
        or not (selectors.solution_policy_for(student=session.student, problem=session.problem)[0])
    )
    from tutor.problems.variants import resolve

    # A randomised problem: the prompt, the gates and the checks use the student's own numbers.
    session.problem = resolve(problem=session.problem, user=session.student)
    return Loaded(
        message=message,
        session=session,
        history=history,
        history_total=earlier.exclude(content="").count(),
        student_text=message.reply_to.content if message.reply_to else "",
        continues=message.continued_from.content if message.continued_from else "",
        gate_leaks=gate_leaks,
    )


async def _listen_for_stop(state: JobState, work: asyncio.Future[None]) -> None:
    layer = get_channel_layer()
    while True:
        message = await layer.receive(state.job_channel)
        if message.get("type") == "generation.stop":
            state.stop.set()
            # Cancelling the stream closes the HTTP connection to Ollama, freeing the GPU.
            work.cancel()
            return


async def _keep_claim(state: JobState, work: asyncio.Future[None]) -> None:
    """The job's heartbeat: keeps the claim fresh, notices a stop request that the channel layer
    lost, and stops this job if another one has taken the message over."""
    interval = claims.heartbeat_seconds()
    # Jobs started together must not beat together: fifty heartbeats at once stall the streams.
    await asyncio.sleep(random.uniform(0, interval))  # noqa: S311 - spreading, not security
    while not work.done():
        await asyncio.sleep(interval)
        next_seq = state.log.next_seq if state.log is not None else None
        try:
            held, stop_requested = await claims.heartbeat(state.message_id, state.job_channel, next_seq)
        except Exception:  # a missed beat only brings a takeover closer; the stream goes on
            logger.warning("heartbeat for message %s failed", state.message_id, exc_info=True)
            continue
        if held == "lost" and not work.done():
            logger.warning("message %s was taken over by another job; this one stops", state.message_id)
            state.lost = True
            work.cancel()
            return
        if held == "finished":
            return
        if stop_requested and not work.done():
            state.stop.set()
            work.cancel()
            return
