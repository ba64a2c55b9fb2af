"""Counting prompt tokens without a tokenizer, and trimming history to fit the context window.

Why an estimate: shipping phi4's tokenizer (tiktoken-style BPE, ~100k vocabulary) would pull in a
dependency and a vocabulary file for a number that only has to be safe, not exact. The estimate
mimics how that kind of BPE splits text and errs on the high side:

- a run of ASCII letters costs ceil(len / 4) (common English words are one token; long or rare
  words several), a leading space rides along with the word for free;
- digits are grouped at most three to a token, as cl100k-style tokenizers do;
- every other ASCII symbol is one token: LaTeX is mostly `\\`, `{`, `}`, `^`, `_`, which is why
  maths costs far more tokens per character than prose;
- a non-ASCII character (Greek, accents, emoji) costs 2;
- a run of whitespace other than a single space costs 1;
- every chat message costs 4 more for the template's role markers.

On English it over-counts by roughly 10-30%, on LaTeX-heavy text it is close to exact; both are
on the side that keeps the problem statement in the window.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import PromptTooLong

MESSAGE_OVERHEAD = 4
# The template's opening of the assistant's turn, counted once per prompt.
PRIMING_OVERHEAD = 3

_PIECES = re.compile(r"[A-Za-z]+|[0-9]{1,3}|\s+|[\x21-\x7e]|[^\x00-\x7f]")

Message = Mapping[str, Any]


def count_tokens(text: str) -> int:
    """A conservative estimate of phi4's token count for `text` (see the module docstring)."""
    total = 0
    for piece in _PIECES.findall(text):
        first = piece[0]
        if first.isascii() and first.isalpha():
            total += math.ceil(len(piece) / 4)
        elif first.isdigit() and first.isascii():
            total += 1
        elif piece.isspace():
            total += 0 if piece == " " else 1
        elif first.isascii():
            total += 1
        else:
            total += 2
    return total


def count_message_tokens(messages: Sequence[Message]) -> int:
    return PRIMING_OVERHEAD + sum(
        MESSAGE_OVERHEAD + count_tokens(str(m.get("content", ""))) for m in messages
    )


def fit_messages(
    system: Message,
    problem: Message,
    history: Sequence[Message],
    budget: int,
    *,
    tail: Sequence[Message] = (),
) -> list[dict[str, Any]]:
    """[system, problem, *newest history that fits, *tail], within `budget` tokens.

    The system prompt, the problem statement and the tail (the student's current request) are
    never dropped: without them the answer is about nothing. History goes oldest first. When even
    the fixed part does not fit, PromptTooLong: sending it anyway would let Ollama cut the front
    of the prompt, which is the system prompt and the problem.
    """
    fixed = [system, problem, *tail]
    used = count_message_tokens(fixed)
    if used > budget:
        raise PromptTooLong(
            "This problem and your message are too long for the tutor to read at once. "
            "Please shorten your message.",
            f"The system prompt, problem and request need about {used} tokens but the prompt budget "
            f"is {budget} (num_ctx minus num_predict). Raise num_ctx or shorten the problem.",
        )
    kept: list[Message] = []
    for message in reversed(history):
        cost = MESSAGE_OVERHEAD + count_tokens(str(message.get("content", "")))
        if used + cost > budget:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    return [dict(m) for m in (system, problem, *kept, *tail)]
