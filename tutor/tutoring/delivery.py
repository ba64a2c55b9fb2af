"""What one socket has been sent of each reply, and how it catches up. This is where the
guarantee "every event reaches the page once, in order, even when the channel layer drops some
or a job dies" lives; the consumer only routes frames here.

- `sent[message_id]` is the highest seq this socket has sent (the `session` frame counts as
  everything up to its `last_seq`). A frame at or below it is not sent again: live events and a
  `resume` that crossed them over the network never duplicate.
- A gap (seq jumps) is filled from the stored event log before the frame is sent: the layer
  drops messages silently past a channel's capacity, the log never does.
- A running reply that has gone quiet for QUIET_SECONDS is topped up from the log (a lost last
  frame still arrives); one quiet for TUTOR_CLAIM_STALE_SECONDS has lost its job (worker killed,
  web process restarted) and gets a new one, which continues the shown text.
- A finished reply is not watched: an idle socket costs no task and no query.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

from . import dispatch, events, services
from .db import db_call

logger = logging.getLogger(__name__)
QUIET_SECONDS = 1.0

Send = Callable[[dict[str, Any]], Awaitable[None]]


class ReplyFollower:
    def __init__(self, *, send: Send, user: Any) -> None:
        self.send = send
        self.user = user
        self.sent: dict[int, int] = {}
        # Replies still running: when we last sent one of their frames (or checked on them),
        # when they last made progress, and when we last asked for a takeover.
        self.running: dict[int, float] = {}
        self.progress: dict[int, float] = {}
        self.revived: dict[int, float] = {}
        self.lock = asyncio.Lock()
        # Runs only while a reply is running (docs/benchmarks.md: idle sockets cost no task).
        self.watchdog: asyncio.Task[None] | None = None

    async def send_transcript(self, session_frame: dict[str, Any]) -> None:
        """Send the `session` frame; the page now has every reply up to its `last_seq`."""
        async with self.lock:
            for entry in session_frame["messages"]:
                self.sent[entry["message_id"]] = entry["last_seq"]
                if entry["status"] in services.ACTIVE_STATUSES:
                    self.track(entry["message_id"])
            await self.send(session_frame)

    def expect(self, message_id: int) -> None:
        """A reply this socket asked for: follow it from its first event."""
        self.sent.setdefault(message_id, -1)
        self.track(message_id)

    async def resume(self, *, message_id: int, after_seq: int, running: bool) -> None:
        async with self.lock:
            start = max(after_seq, self.sent.get(message_id, -1))
            self.sent[message_id] = start
            if running:
                self.track(message_id)  # a `done` among the frames below ends the tracking
            frames = await db_call(events.events_after)(message_id=message_id, after_seq=start)
            await self._deliver_locked(frames)

    async def deliver(self, frames: list[dict[str, Any]]) -> None:
        async with self.lock:
            await self._deliver_locked(frames)

    async def _deliver_locked(self, frames: list[dict[str, Any]]) -> None:
        for frame in frames:
            message_id, seq = frame["message_id"], frame["seq"]
            last = self.sent.get(message_id, -1)
            if seq <= last:
                continue
            if seq > last + 1:
                # A gap: the layer dropped something. Fill it from the log, which already has it.
                missing = await db_call(events.events_after)(message_id=message_id, after_seq=last)
                for earlier in missing:
                    if earlier["seq"] < seq:
                        await self.send(earlier)
            await self.send(frame)
            self.sent[message_id] = seq
            if frame["type"] == "done":
                self.untrack(message_id)
            elif message_id in self.running:
                self.running[message_id] = self.progress[message_id] = time.monotonic()

    def track(self, message_id: int) -> None:
        self.running[message_id] = self.progress[message_id] = time.monotonic()
        if self.watchdog is None or self.watchdog.done():
            self.watchdog = asyncio.create_task(self._watch_quiet_replies())

    def untrack(self, message_id: int) -> None:
        self.running.pop(message_id, None)
        self.progress.pop(message_id, None)
        self.revived.pop(message_id, None)

    def close(self) -> None:
        if self.watchdog is not None:
            self.watchdog.cancel()

    async def _watch_quiet_replies(self) -> None:
        while self.running:
            await asyncio.sleep(QUIET_SECONDS / 2)
            try:
                await self.top_up_quiet_replies()
            except Exception:  # the database or Redis is briefly away: try again next round
                logger.warning("topping up quiet replies failed", exc_info=True)

    async def top_up_quiet_replies(self) -> None:
        now = time.monotonic()
        for message_id, last in list(self.running.items()):
            if now - last < QUIET_SECONDS:
                continue
            self.running[message_id] = now
            missing = await db_call(events.events_after)(
                message_id=message_id, after_seq=self.sent.get(message_id, -1)
            )
            if not missing and not await db_call(services.reply_running)(message_id=message_id):
                # Finished, and this socket has everything: stop watching it.
                self.untrack(message_id)
                continue
            await self.deliver(missing)
            await self._revive_if_stalled(message_id, now)

    async def _revive_if_stalled(self, message_id: int, now: float) -> None:
        """A reply whose job died gets a new job, which carries on from what was already shown.
        Jobs claim their message, so a spare one is harmless."""
        stale = settings.TUTOR_CLAIM_STALE_SECONDS
        if message_id not in self.running or now - self.progress.get(message_id, now) < stale:
            return
        if now - self.revived.get(message_id, 0.0) < stale:
            return
        self.revived[message_id] = now
        if await db_call(services.reply_stalled)(user=self.user, message_id=message_id):
            await dispatch.generation_enqueue(message_id=message_id)
