"""The tutor's access layer to Ollama (phi4 family), built on the official `ollama.AsyncClient`.

Everything takes an explicit `LLMConfig`; nothing reads Django settings. See docs/ollama.md.
"""

from .client import (
    LLMEvent,
    RetryPolicy,
    has_model,
    health,
    list_models,
    make_client,
    stream_chat,
    stream_chat_with_retry,
)
from .config import DEFAULT_MODEL, MODELS, LLMConfig, ModelSpec, model_spec
from .errors import (
    LLMBusy,
    LLMError,
    LLMModelMissing,
    LLMServerError,
    LLMStalled,
    LLMStreamError,
    LLMTimeout,
    LLMUnavailable,
    PromptTooLong,
)
from .hosts import HostPool, parse_hosts, stream_chat_routed
from .prompts import MODES, CheckerFeedback, Mode, build_messages, quote_student, retry_instruction
from .slots import Host, HostState, MemoryStore, RedisStore, SlotStore
from .think import ThinkParser, split_think
from .tokens import count_message_tokens, count_tokens, fit_messages

__all__ = [
    "DEFAULT_MODEL",
    "Host",
    "HostPool",
    "HostState",
    "MemoryStore",
    "RedisStore",
    "SlotStore",
    "parse_hosts",
    "stream_chat_routed",
    "MODELS",
    "MODES",
    "CheckerFeedback",
    "LLMBusy",
    "LLMConfig",
    "LLMError",
    "LLMEvent",
    "LLMModelMissing",
    "LLMServerError",
    "LLMStalled",
    "LLMStreamError",
    "LLMTimeout",
    "LLMUnavailable",
    "Mode",
    "ModelSpec",
    "PromptTooLong",
    "RetryPolicy",
    "ThinkParser",
    "build_messages",
    "count_message_tokens",
    "count_tokens",
    "fit_messages",
    "has_model",
    "health",
    "list_models",
    "make_client",
    "model_spec",
    "quote_student",
    "retry_instruction",
    "split_think",
    "stream_chat",
    "stream_chat_with_retry",
]
