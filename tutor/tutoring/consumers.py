"""The tutor's websocket. It only routes: generation runs in a job, never inside receive().

Protocol: docs/websocket-protocol.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from tutor.errors import ApplicationError

from . import dispatch, events, services
from .db import db_call
from .services import TutorError

logger = logging.getLogger(__name__)
# Close codes in the 4000 range are ours; docs/websocket-protocol.md lists them.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FRAME_TOO_LARGE = 4413
CLOSE_TOO_MANY_SOCKETS = 4429
CLOSE_LOGGED_OUT = 4401
MAX_FRAME_BYTES = 16 * 1024
# The channel layer drops messages silently past a channel's capacity. A reply that has gone
# quiet for this long is topped up from its stored event log, so even a lost last frame arrives.
QUIET_SECONDS = 1.0


# Open sockets per user in this process. A tab per problem is normal; hundreds are an attack
# (each one costs memory, and a watched reply costs a database poll).
_open_sockets: dict[int, int] = {}


class TutorConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.counted = False
        if self.user is None or not self.user.is_authenticated:
            # Accept, then close with our code: closing before accepting shows the client a bare
            # HTTP 403, which it can't tell apart from a foreign Origin.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        try:
            await db_call(services.socket_connect_check)(user=self.user)
        except ApplicationError as exc:
            await self.accept()
            await self.error(exc.code, exc.message)
            await self.close(code=CLOSE_TOO_MANY_SOCKETS)
            return
        if _open_sockets.get(self.user.pk, 0) >= settings.TUTOR_SOCKETS_PER_USER:
            await self.accept()
            await self.error(
                "too_many_sockets",
                "You have this page open in too many tabs. Close some of them and reload this one.",
            )
            await self.close(code=CLOSE_TOO_MANY_SOCKETS)
            return
        _open_sockets[self.user.pk] = _open_sockets.get(self.user.pk, 0) + 1
        self.counted = True
        self.session_id: Any = None
        # Highest seq sent per message: live events and replays never show a frame twice.
        self.sent: dict[int, int] = {}
        # Replies still running, with when we last sent one of their frames (or checked on them).
        self.running: dict[int, float] = {}
        # When each running reply last made progress, and when we last asked for a takeover.
        self.progress: dict[int, float] = {}
        self.revived: dict[int, float] = {}
        self.send_lock = asyncio.Lock()
        # Runs only while a reply is running: an idle socket costs no task (docs/benchmarks.md).
        self.watchdog: asyncio.Task[None] | None = None
        # Logging out anywhere closes this user's sockets (services.user_sockets_close).
        await self.channel_layer.group_add(events.user_group(self.user.pk), self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "counted", False):
            left = _open_sockets.get(self.user.pk, 1) - 1
            if left > 0:
                _open_sockets[self.user.pk] = left
            else:
                _open_sockets.pop(self.user.pk, None)
            self.counted = False
            await self.channel_layer.group_discard(events.user_group(self.user.pk), self.channel_name)
        if getattr(self, "watchdog", None) is not None:
            self.watchdog.cancel()
        if getattr(self, "session_id", None) is not None:
            await self.channel_layer.group_discard(events.session_group(self.session_id), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        raw = text_data if text_data is not None else (bytes_data or b"").decode("utf-8", "replace")
        if len(raw) > MAX_FRAME_BYTES:
            await self.send_json(
                {"type": "error", "code": "frame_too_large", "message": "That message is too long."}
            )
            await self.close(code=CLOSE_FRAME_TOO_LARGE)
            return
        try:
            content = json.loads(raw)
        except ValueError:
            await self.error("bad_frame", "I couldn't read that message.")
            return
        if not isinstance(content, dict):
            await self.error("bad_frame", "I couldn't read that message.")
            return
        await self.receive_json(content)

    async def receive_json(self, content: dict[str, Any], **kwargs: Any) -> None:
        handler = {
            "ping": self.on_ping,
            "open": self.on_open,
            "ask": self.on_ask,
            "stop": self.on_stop,
            "resume": self.on_resume,
        }.get(content.get("type"))
        if handler is None:
            await self.error("bad_frame", "I didn't understand that message.")
            return
        try:
            await handler(content)
        except (TutorError, ApplicationError) as exc:
            await self.error(exc.code, exc.message, request_id=content.get("request_id"))

    async def error(self, code: str, message: str, **extra: Any) -> None:
        frame = {"type": "error", "code": code, "message": message}
        frame.update({k: v for k, v in extra.items() if v is not None})
        await self.send_json(frame)

    # --- client frames ------------------------------------------------------------------

    async def on_ping(self, content: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    async def on_open(self, content: dict[str, Any]) -> None:
        problem_id = content.get("problem_id")
        if not isinstance(problem_id, int):
            raise TutorError("bad_frame", "Say which problem to open.")
        session = await db_call(services.session_open)(user=self.user, problem_id=problem_id)
        if self.session_id is not None and self.session_id != session.pk:
            await self.channel_layer.group_discard(events.session_group(self.session_id), self.channel_name)
        self.session_id = session.pk
        # Join before reading the transcript: an event published in between arrives live and
        # is dropped by seq if the transcript already had it.
        await self.channel_layer.group_add(events.session_group(session.pk), self.channel_name)
        transcript = await db_call(services.transcript)(session=session)
        for entry in transcript:
            self.sent[entry["message_id"]] = entry["last_seq"]
            if entry["status"] in services.ACTIVE_STATUSES:
                self._track(entry["message_id"])
        await self.send_json({"type": "session", "session_id": str(session.pk), "messages": transcript})

    async def _session(self) -> Any:
        if self.session_id is None:
            raise TutorError("bad_frame", "Open a problem first.")
        return await db_call(services.session_for)(user=self.user, session_id=self.session_id)

    async def on_ask(self, content: dict[str, Any]) -> None:
        session = await self._session()
        ask = await db_call(services.tutor_ask)(
            user=self.user,
            session=session,
            mode=str(content.get("mode", "")),
            request_id=str(content.get("request_id", "")),
            text=str(content.get("text", "") or ""),
        )
        self.sent.setdefault(ask.tutor_message_id, -1)
        self._track(ask.tutor_message_id)
        await self.send_json(
            {
                "type": "accepted",
                "mode": str(content.get("mode", "")),
                "request_id": content.get("request_id"),
                "message_id": ask.tutor_message_id,
                "student_message_id": ask.student_message_id,
            }
        )
        if ask.created:
            await dispatch.generation_enqueue(message_id=ask.tutor_message_id)

    async def on_stop(self, content: dict[str, Any]) -> None:
        message_id = content.get("message_id")
        if not isinstance(message_id, int):
            raise TutorError("bad_frame", "Say which answer to stop.")
        job_channel = await db_call(services.tutor_stop)(user=self.user, message_id=message_id)
        if job_channel:
            await self.channel_layer.send(job_channel, {"type": "generation.stop"})

    async def on_resume(self, content: dict[str, Any]) -> None:
        message_id, after_seq = content.get("message_id"), content.get("after_seq", -1)
        if not isinstance(message_id, int) or not isinstance(after_seq, int):
            raise TutorError("bad_frame", "Resume needs a message_id and after_seq.")
        session = await self._session()
        status = await db_call(
            session.messages.filter(pk=message_id).values_list("status", flat=True).first
        )()
        if status is None:
            raise TutorError("not_found", "There is no such answer here.")
        async with self.send_lock:
            # What this socket already sent (the `session` frame's text, or live events) is on its
            # way to the client in order; a resume that crossed them must not send them again.
            start = max(after_seq, self.sent.get(message_id, -1))
            self.sent[message_id] = start
            if status in services.ACTIVE_STATUSES:
                self._track(message_id)  # a `done` among the frames below ends the tracking
            frames = await db_call(events.events_after)(message_id=message_id, after_seq=start)
            await self._send_frames_locked(frames)

    # --- events from the generation job and the rest of the site ---------------------------

    async def user_logout(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_LOGGED_OUT)

    async def tutor_events(self, event: dict[str, Any]) -> None:
        await self._send_frames(event["frames"])

    def _track(self, message_id: int) -> None:
        self.running[message_id] = self.progress[message_id] = time.monotonic()
        if self.watchdog is None or self.watchdog.done():
            self.watchdog = asyncio.create_task(self._watch_quiet_replies())

    def _untrack(self, message_id: int) -> None:
        self.running.pop(message_id, None)
        self.progress.pop(message_id, None)
        self.revived.pop(message_id, None)

    async def _watch_quiet_replies(self) -> None:
        while self.running:
            await asyncio.sleep(QUIET_SECONDS / 2)
            try:
                await self._top_up_quiet_replies()
            except Exception:  # the database or Redis is briefly away: try again next round
                logger.warning("topping up quiet replies failed", exc_info=True)

    async def _top_up_quiet_replies(self) -> None:
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
                self._untrack(message_id)
                continue
            await self._send_frames(missing)
            await self._revive_if_stalled(message_id, now)

    async def _revive_if_stalled(self, message_id: int, now: float) -> None:
        """A reply whose job died (worker killed, web process restarted) gets a new job, which
        carries on from what was already shown. Jobs claim their message, so a spare is harmless."""
        stale = settings.TUTOR_CLAIM_STALE_SECONDS
        if message_id not in self.running or now - self.progress.get(message_id, now) < stale:
            return
        if now - self.revived.get(message_id, 0.0) < stale:
            return
        self.revived[message_id] = now
        if await db_call(services.reply_stalled)(user=self.user, message_id=message_id):
            await dispatch.generation_enqueue(message_id=message_id)

    async def _send_frames(self, frames: list[dict[str, Any]]) -> None:
        async with self.send_lock:
            await self._send_frames_locked(frames)

    async def _send_frames_locked(self, frames: list[dict[str, Any]]) -> None:
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
                        await self.send_json(earlier)
            await self.send_json(frame)
            self.sent[message_id] = seq
            if frame["type"] == "done":
                self._untrack(message_id)
            elif message_id in self.running:
                self.running[message_id] = self.progress[message_id] = time.monotonic()
