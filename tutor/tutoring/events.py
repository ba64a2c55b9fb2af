"""The numbered event log of a tutor reply, and its fan-out to the session's sockets.

Every frame after `start` is first stored as a MessageChunk with the next sequence number,
then published to the session's group. A client that reconnects asks for the events after
the last number it saw; storing before publishing is what makes that replay lossless even
when the channel layer drops a message at capacity.
"""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import F

from .models import Message, MessageChunk

EVENT_KINDS = frozenset({"start", "delta", "thinking", "status", "reset", "verification", "done", "error"})


def session_group(session_id: object) -> str:
    return f"tutor.session.{session_id}"


def event_frame(chunk: MessageChunk) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": chunk.kind, "message_id": chunk.message_id, "seq": chunk.seq}
    if chunk.kind in ("delta", "thinking"):
        frame["text"] = chunk.text
    frame.update(chunk.data)
    return frame


def _append_events_sync(message_id: int, events: list[tuple[str, str, dict[str, Any]]]) -> list[MessageChunk]:
    with transaction.atomic():
        # Reserve a block of sequence numbers in one UPDATE so concurrent writers never collide.
        count = len(events)
        Message.objects.filter(pk=message_id).update(next_seq=F("next_seq") + count)
        end = Message.objects.values_list("next_seq", flat=True).get(pk=message_id)
        start = end - count
        chunks = [
            MessageChunk(message_id=message_id, seq=start + offset, kind=kind, text=text, data=data)
            for offset, (kind, text, data) in enumerate(events)
        ]
        MessageChunk.objects.bulk_create(chunks)
    return chunks


append_events = database_sync_to_async(_append_events_sync)


async def publish(session_id: object, chunks: list[MessageChunk]) -> None:
    layer = get_channel_layer()
    frames = [event_frame(chunk) for chunk in chunks]
    await layer.group_send(session_group(session_id), {"type": "tutor.events", "frames": frames})


async def emit(session_id: object, message_id: int, events: list[tuple[str, str, dict[str, Any]]]) -> None:
    """Store then publish: a frame is never sent that a reconnecting client could not replay."""
    for kind, _, _ in events:
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}")
    chunks = await append_events(message_id, events)
    await publish(session_id, chunks)


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
