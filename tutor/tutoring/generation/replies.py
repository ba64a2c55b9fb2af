"""The reply policy, one function per kind of reply: what the student sees, in what order, and
what is checked before it is shown.

- solution (solutions.py): streamed as it is written, the final answer held back until the checker verified it
  against the key (or by substitution); a failed check is fed back and the answer regenerated,
  up to TUTOR_MAX_REGENERATIONS times, then shown unverified and flagged for the teacher.
- hint, feedback and question (hints.py): streamed a sentence at a time, each sentence through the leak gate first; a
  draft that leaks before anything was shown is regenerated, then replaced by a teacher-written
  or generic hint and flagged.
- cut off (the model hit its length limit): shown as far as it got, marked as cut off.
- cached: a solution the answer-key audit already verified is sent at once, no model call.
"""

from __future__ import annotations

from ..models import Message
from .hints import HintFailed, reply_hint
from .reply import Reply, reply_failed, reply_stopped
from .solutions import reply_cached, reply_solution

__all__ = ["Reply", "reply_failed", "reply_run", "reply_stopped"]


async def reply_run(reply: Reply) -> None:
    if reply.mode == Message.Mode.SOLUTION and not reply.shown and await reply_cached(reply):
        return
    if reply.hint_like:
        try:
            await reply_hint(reply)
        except HintFailed:
            return
    else:
        await reply_solution(reply)
