"""The tutor's websocket. It only routes: generation runs in a job, never inside receive(), and
what each socket has been sent (no duplicates, no gaps, catching up) is delivery.py's.

Protocol: docs/websocket-protocol.md.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from tutor.errors import ApplicationError

from . import dispatch, events, services
from .db import db_call
from .delivery import ReplyFollower
from .services import TutorError

logger = logging.getLogger(__name__)
# Close codes in the 4000 range are ours; docs/websocket-protocol.md lists them.
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FRAME_TOO_LARGE = 4413
CLOSE_TOO_MANY_SOCKETS = 4429
CLOSE_LOGGED_OUT = 4401
MAX_FRAME_BYTES = 16 * 1024


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
        self.problem_id: int | None = None
        self.session_exists = False
        self.follower = ReplyFollower(send=self.send_json, user=self.user)
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
        if getattr(self, "follower", None) is not None:
            self.follower.close()
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
        }.get(str(content.get("type")))
        if handler is None:
            await self.error("bad_frame", "I didn't understand that message.")
            return
        try:
            await handler(content)
        except ApplicationError as exc:
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
        # Opening does not create the session: the first ask does (services.session_peek).
        session_id, session = await db_call(services.session_peek)(user=self.user, problem_id=problem_id)
        await self._join(session_id)
        self.problem_id = problem_id
        self.session_exists = session is not None
        # Join before reading the transcript: an event published in between arrives live and
        # is dropped by seq if the transcript already had it.
        transcript = await db_call(services.transcript)(session=session) if session is not None else []
        await self.follower.send_transcript(
            {"type": "session", "session_id": str(session_id), "messages": transcript}
        )

    async def _join(self, session_id: Any) -> None:
        if self.session_id is not None and self.session_id != session_id:
            await self.channel_layer.group_discard(events.session_group(self.session_id), self.channel_name)
        if self.session_id != session_id:
            self.session_id = session_id
            await self.channel_layer.group_add(events.session_group(session_id), self.channel_name)

    async def _session(self) -> Any:
        if self.session_id is None:
            raise TutorError("bad_frame", "Open a problem first.")
        if not self.session_exists:
            raise TutorError("not_found", "There is no such answer here.")
        return await db_call(services.session_for)(user=self.user, session_id=self.session_id)

    async def on_ask(self, content: dict[str, Any]) -> None:
        if self.session_id is None:
            raise TutorError("bad_frame", "Open a problem first.")
        question: dict[str, Any] = {
            "mode": str(content.get("mode", "")),
            "request_id": str(content.get("request_id", "")),
            "text": str(content.get("text", "") or ""),
            "continue_from": content.get("continue_from")
            if isinstance(content.get("continue_from"), int)
            else None,
        }
        if self.session_exists:
            session = await self._session()
            ask = await db_call(services.tutor_ask)(user=self.user, session=session, **question)
        else:
            # The first question makes the session, in one transaction with it: a refused one
            # (busy, too long, locked) leaves nothing behind.
            session, ask = await db_call(services.tutor_ask_first)(
                user=self.user, problem_id=self.problem_id, **question
            )
            self.session_exists = True
            await self._join(session.pk)
        self.follower.expect(ask.tutor_message_id)
        await self.send_json(
            {
                "type": "accepted",
                "mode": str(content.get("mode", "")),
                "request_id": content.get("request_id"),
                "message_id": ask.tutor_message_id,
                "student_message_id": ask.student_message_id,
                "hint_number": ask.hint_number,
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
        status = await db_call(services.reply_status)(session=session, message_id=message_id)
        await self.follower.resume(
            message_id=message_id, after_seq=after_seq, running=status in services.ACTIVE_STATUSES
        )

    # --- events from the generation job and the rest of the site ---------------------------

    async def user_logout(self, event: dict[str, Any]) -> None:
        await self.close(code=CLOSE_LOGGED_OUT)

    async def tutor_events(self, event: dict[str, Any]) -> None:
        await self.follower.deliver(event["frames"])
