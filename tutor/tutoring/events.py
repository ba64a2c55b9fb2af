"""The numbered event log of a tutor reply, and its fan-out to the session's sockets.

Every frame after `start` is first stored as a MessageChunk with the next sequence number,
then published to the session's group. A client that reconnects asks for the events after
the last number it saw; storing before publishing is what makes that replay lossless even
when the channel layer drops a message at capacity.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from typing import Any

from channels.layers import get_channel_layer
from django.db import connection, transaction
from django.db.models import Max

from .db import db_call
from .models import MessageChunk

logger = logging.getLogger(__name__)
# After a failed publish (Redis down), publishing is skipped this long: a stream must not wait
# on a dead Redis for every delta. Sockets top the missed events up from the stored log.
PUBLISH_PAUSE_SECONDS = 1.0

EVENT_KINDS = frozenset({"start", "delta", "thinking", "status", "reset", "verification", "done", "error"})
Event = tuple[str, str, dict[str, Any]]


# --- event constructors: every frame a reply can contain (docs/websocket-protocol.md) ----------


def start(*, mode: str, model: str, reply_to: int | None) -> Event:
    return ("start", "", {"mode": mode, "model": model, "reply_to": reply_to})


def delta(text: str) -> Event:
    return ("delta", text, {})


def status(code: str, message: str) -> Event:
    return ("status", "", {"code": code, "message": message})


def reset(reason: str) -> Event:
    return ("reset", "", {"reason": reason})


def verification(*, status: str, final_answer: str, comparator: str, reason: str, **extra: Any) -> Event:
    return (
        "verification",
        "",
        {"status": status, "final_answer": final_answer, "comparator": comparator, "reason": reason, **extra},
    )


def done(status: str, *, usage: dict[str, Any], message: str | None = None) -> Event:
    data: dict[str, Any] = {"status": status}
    if message is not None:
        data["message"] = message
    data["usage"] = usage
    return ("done", "", data)


def error(code: str, message: str) -> Event:
    return ("error", "", {"code": code, "message": message})


def session_group(session_id: object) -> str:
    return f"tutor.session.{session_id}"


def user_group(user_id: object) -> str:
    """Every socket of one user, whatever page or process: logging out closes them all."""
    return f"tutor.user.{user_id}"


def event_frame(chunk: MessageChunk) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": chunk.kind, "message_id": chunk.message_id, "seq": chunk.seq}
    if chunk.kind in ("delta", "thinking"):
        frame["text"] = chunk.text
    frame.update(chunk.data)
    return frame


def _insert(chunks: list[MessageChunk]) -> None:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Dozens of streams each commit ~20 times a second; waiting for the WAL flush on every
            # one was the bottleneck (see docs/benchmarks.md). A crash of PostgreSQL itself may lose
            # the last fraction of a second of chunks; the reply's final text is written normally.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        MessageChunk.objects.bulk_create(chunks)


# Not thread-sensitive: writes run on a pooled connection in the default executor instead of
# queueing behind every other database call on the single "sync" thread. Retried once on a
# dropped connection (a failed atomic block wrote nothing).
_insert_async = db_call(_insert, thread_sensitive=False)


class _BatchWriter:
    """Writes the chunks of every stream in the process together.

    While one INSERT is in flight, the chunks of all other streams pile up and go in the next
    one, so fifty streams cost a few statements per tick instead of a thousand commits a second.
    """

    def __init__(self) -> None:
        self.pending: list[tuple[list[MessageChunk], asyncio.Future[None]]] = []
        self.task: asyncio.Task[None] | None = None

    async def write(self, chunks: list[MessageChunk]) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.pending.append((chunks, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._drain())
        await future

    async def _drain(self) -> None:
        while self.pending:
            batch, self.pending = self.pending, []
            try:
                await _insert_async([chunk for chunks, _ in batch for chunk in chunks])
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)


_writers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _BatchWriter] = weakref.WeakKeyDictionary()


def _writer() -> _BatchWriter:
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = _BatchWriter()
    return writer


def next_seq_for(message_id: int) -> int:
    last = MessageChunk.objects.filter(message_id=message_id).aggregate(last=Max("seq"))["last"]
    return 0 if last is None else last + 1


class EventLog:
    """The writer of one reply's events. Only the job that claimed the message holds one, so it
    can number events itself without asking the database for each."""

    def __init__(self, *, session_id: Any, message_id: int, next_seq: int) -> None:
        self.session_id = session_id
        self.message_id = message_id
        self.next_seq = next_seq
        self.publish_paused_until = 0.0

    async def emit(self, events: list[Event]) -> None:
        """Store then publish: a frame is never sent that a reconnecting client could not replay."""
        chunks = []
        for kind, text, data in events:
            if kind not in EVENT_KINDS:
                raise ValueError(f"unknown event kind {kind!r}")
            chunks.append(
                MessageChunk(message_id=self.message_id, seq=self.next_seq, kind=kind, text=text, data=data)
            )
            self.next_seq += 1
        await _writer().write(chunks)
        if time.monotonic() < self.publish_paused_until:
            return
        frames = [event_frame(chunk) for chunk in chunks]
        try:
            await get_channel_layer().group_send(
                session_group(self.session_id), {"type": "tutor.events", "frames": frames}
            )
        except Exception:  # Redis is down or restarting: the events are stored, sockets catch up
            self.publish_paused_until = time.monotonic() + PUBLISH_PAUSE_SECONDS
            logger.warning("publishing events of message %s failed", self.message_id, exc_info=True)


def events_after(*, message_id: int, after_seq: int) -> list[dict[str, Any]]:
    return [
        event_frame(chunk)
        for chunk in MessageChunk.objects.filter(message_id=message_id, seq__gt=after_seq).order_by("seq")
    ]


def replay_state(*, message_id: int) -> tuple[str, str, int]:
    """The text and thinking a client has after applying every stored event, and the last seq."""
    content, thinking, last_seq = "", "", -1
    rows = (
        MessageChunk.objects.filter(message_id=message_id).order_by("seq").values_list("seq", "kind", "text")
    )
    for seq, kind, text in rows:
        last_seq = seq
        if kind == "reset":
            content = ""
        elif kind == "delta":
            content += text
        elif kind == "thinking":
            thinking += text
    return content, thinking, last_seq
