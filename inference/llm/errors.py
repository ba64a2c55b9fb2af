"""Typed failures of the Ollama layer, each with a sentence for the student (what to do, no hosts or
commands) and a hint for the admin (logged and shown in the admin, never to students).

`map_error` is the one place that knows how the official client reports trouble:
- a non-2xx status is `ollama.ResponseError` with that status (404 model missing, 503 queue full);
- a mid-stream `{"error": ...}` line is `ollama.ResponseError` with status -1;
- non-streaming calls turn a refused connection into the builtin `ConnectionError`;
- streaming calls let raw `httpx` exceptions through (ConnectError, ReadTimeout, RemoteProtocolError...).
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import ollama
import pydantic

from .config import LLMConfig


class LLMError(Exception):
    code = "llm_error"
    # True when asking again later can succeed without anyone changing anything.
    retryable = False

    def __init__(self, user_message: str, admin_hint: str) -> None:
        super().__init__(admin_hint)
        self.user_message = user_message
        self.admin_hint = admin_hint

    def as_dict(self) -> dict[str, Any]:
        """For error frames and the health page."""
        return {
            "code": self.code,
            "retryable": self.retryable,
            "user_message": self.user_message,
            "admin_hint": self.admin_hint,
        }


class LLMUnavailable(LLMError):
    code = "llm_unavailable"
    retryable = True


class LLMModelMissing(LLMError):
    code = "llm_model_missing"


class LLMBusy(LLMError):
    code = "llm_busy"
    retryable = True


class LLMStreamError(LLMError):
    code = "llm_stream_error"
    retryable = True


class LLMStalled(LLMError):
    code = "llm_stalled"
    retryable = True


class LLMTimeout(LLMError):
    code = "llm_timeout"
    retryable = True


class LLMServerError(LLMError):
    """Any other HTTP error from Ollama (out of memory, bad options): a person has to look."""

    code = "llm_server_error"


class PromptTooLong(LLMError):
    code = "prompt_too_long"


def unavailable(config: LLMConfig, detail: str) -> LLMUnavailable:
    return LLMUnavailable(
        "The tutor isn't available right now. Please try again in a few minutes, "
        "and tell your teacher if it keeps happening.",
        f"Could not connect to Ollama at {config.host} ({detail}). Start it with `ollama serve`, "
        "or point OLLAMA_HOST at the machine that runs it.",
    )


def model_missing(config: LLMConfig, detail: str) -> LLMModelMissing:
    return LLMModelMissing(
        "The tutor isn't set up for this problem set yet. Please tell your teacher.",
        f"Ollama at {config.host} does not have {config.model!r} ({detail}). "
        f"Run `ollama pull {config.model}` on that machine.",
    )


def busy(config: LLMConfig, detail: str) -> LLMBusy:
    return LLMBusy(
        "The tutor is busy helping other students. Please try again in a minute.",
        f"Ollama at {config.host} refused the request with 503 ({detail}): its queue is full. "
        "Raise OLLAMA_MAX_QUEUE / OLLAMA_NUM_PARALLEL or add a GPU.",
    )


def _stream_broken(config: LLMConfig, detail: str) -> LLMStreamError:
    return LLMStreamError(
        "The connection to the tutor's model broke part-way through. Please ask again.",
        f"The response stream from Ollama at {config.host} broke: {detail}",
    )


def map_error(exc: BaseException, config: LLMConfig, *, received: bool) -> LLMError:
    """Translate what the ollama client raised. `received`: whether any response line had arrived.

    Raises the original exception again (via TypeError) for anything it does not know, so a new
    failure mode shows up loudly instead of being filed under the wrong message.
    """
    if isinstance(exc, ollama.ResponseError):
        if exc.status_code == 404:
            return model_missing(config, exc.error)
        if exc.status_code == 503:
            return busy(config, exc.error)
        if exc.status_code == -1:
            return LLMStreamError(
                "The tutor's model ran into a problem part-way through its answer. Please ask again.",
                f"Ollama at {config.host} sent an error line mid-stream: {exc.error}",
            )
        return LLMServerError(
            "The tutor's model could not answer. Please tell your teacher.",
            f"Ollama at {config.host} answered HTTP {exc.status_code}: {exc.error}. "
            "Check `journalctl -u ollama` (or the container's log); out of memory is the usual cause.",
        )
    if isinstance(exc, httpx.ConnectTimeout):
        return unavailable(config, f"no answer to the connection within {config.connect_timeout:g} s")
    if isinstance(exc, httpx.ConnectError | ConnectionError):
        return unavailable(config, f"connection failed: {exc}")
    if isinstance(exc, httpx.ReadTimeout):
        if received:
            return LLMStalled(
                "The tutor's model stopped responding part-way through. Please ask again.",
                f"Ollama at {config.host} sent nothing for {config.read_timeout:g} s in the middle of an "
                "answer (read_timeout). The GPU may be overloaded or the runner hung; check Ollama's log.",
            )
        return LLMTimeout(
            "The tutor's model took too long to start answering. Please try again in a minute.",
            f"Ollama at {config.host} sent nothing for {config.read_timeout:g} s after the request "
            "(read_timeout). A cold model load counts here: preload it (keep_alive) or raise read_timeout.",
        )
    if isinstance(exc, httpx.TimeoutException):  # write or pool timeout
        return LLMTimeout(
            "The tutor's model took too long to respond. Please try again in a minute.",
            f"Timed out talking to Ollama at {config.host}: {exc!r}",
        )
    if isinstance(exc, httpx.RemoteProtocolError | httpx.NetworkError):
        return _stream_broken(config, repr(exc))
    if isinstance(exc, json.JSONDecodeError | pydantic.ValidationError):
        return _stream_broken(config, f"a response line was not Ollama's format: {exc}")
    raise TypeError(f"map_error does not know {type(exc).__name__}") from exc


# What the client can raise that map_error knows; anything else (a bad host URL, a bug) propagates
# untouched rather than being shown to a student as "the connection broke".
CLIENT_ERRORS: tuple[type[BaseException], ...] = (
    ollama.ResponseError,
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
    ConnectionError,
    json.JSONDecodeError,
    pydantic.ValidationError,
)
