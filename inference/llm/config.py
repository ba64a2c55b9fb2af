"""Explicit configuration for one conversation with Ollama (no Django settings in here)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    """What we know about a model that Ollama's defaults get wrong for us."""

    name: str
    # Ollama's own default context (2048-4096 depending on version and VRAM) silently drops the
    # oldest messages, which is the problem statement. These are the sizes we ask for instead.
    num_ctx: int
    # Upper bound on the answer; reserved out of num_ctx when the prompt is trimmed, so prompt +
    # answer always fit and Ollama never has to shift the context.
    num_predict: int
    # phi4-reasoning writes its trace inline as <think>...</think>; the parser handles it for every
    # model, this only lets the prompts ask for it.
    inline_think: bool = False


# phi4 is trained for 16k. phi4-mini's window is 128k, but the KV cache grows with num_ctx and
# school GPUs are small, so it gets the same 16k; raise num_ctx per deployment if there is memory.
# phi4-reasoning is trained for 32k and its traces are long, hence the larger answer reserve.
MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec("phi4", num_ctx=16384, num_predict=2048),
        ModelSpec("phi4-mini", num_ctx=16384, num_predict=2048),
        ModelSpec("phi4-reasoning", num_ctx=32768, num_predict=8192, inline_think=True),
    )
}
DEFAULT_MODEL = "phi4"


def model_spec(model: str) -> ModelSpec:
    """The spec for `phi4`, `phi4:latest`, `phi4:14b-q8_0` ... (the tag does not change the family)."""
    family = model.split(":", 1)[0]
    try:
        return MODELS[family]
    except KeyError:
        raise ValueError(
            f"unknown model {model!r}: add it to inference.llm.config.MODELS with its context size "
            f"(known: {', '.join(sorted(MODELS))})"
        ) from None


@dataclass(frozen=True)
class LLMConfig:
    host: str
    model: str = DEFAULT_MODEL
    # None means the model's default from MODELS; after construction both are always ints.
    num_ctx: int | None = None
    num_predict: int | None = None
    keep_alive: str | float = "30m"
    connect_timeout: float = 5.0
    # Longest silence tolerated between two bytes of a response, the first one included. A cold
    # start (loading phi4 from disk) happens before the first byte, so keep this above load time.
    read_timeout: float = 60.0
    write_timeout: float = 10.0
    temperature: float | None = None
    seed: int | None = None
    # First wait before retrying a busy Ollama (then doubled: 0.5, 1, 2 s); stream_chat_with_retry's
    # default policy. Tests set it near 0 so a busy fault doesn't sleep through the real backoff.
    retry_base_delay: float = 0.5

    def __post_init__(self) -> None:
        if not self.host:
            raise ValueError("LLMConfig.host is empty: set it to Ollama's URL, e.g. http://127.0.0.1:11434")
        spec = model_spec(self.model)
        # Frozen dataclass: fill in the defaults once, so every reader sees plain ints.
        if self.num_ctx is None:
            object.__setattr__(self, "num_ctx", spec.num_ctx)
        if self.num_predict is None:
            object.__setattr__(self, "num_predict", spec.num_predict)
        if self.context_window <= 0 or self.answer_reserve <= 0:
            raise ValueError(
                f"num_ctx and num_predict must be positive, got {self.num_ctx}, {self.num_predict}"
            )
        if self.answer_reserve >= self.context_window:
            raise ValueError(
                f"num_predict ({self.num_predict}) leaves no room for the prompt in num_ctx ({self.num_ctx})"
            )
        for name in ("connect_timeout", "read_timeout", "write_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"LLMConfig.{name} must be positive, got {getattr(self, name)}")
        if self.retry_base_delay < 0:
            raise ValueError(f"LLMConfig.retry_base_delay can't be negative, got {self.retry_base_delay}")

    @property
    def spec(self) -> ModelSpec:
        return model_spec(self.model)

    @property
    def context_window(self) -> int:
        assert self.num_ctx is not None  # set in __post_init__
        return self.num_ctx

    @property
    def answer_reserve(self) -> int:
        assert self.num_predict is not None  # set in __post_init__
        return self.num_predict

    @property
    def prompt_budget(self) -> int:
        """Tokens the prompt may use so that the longest allowed answer still fits."""
        return self.context_window - self.answer_reserve

    def options(self) -> dict[str, float | int]:
        """The `options` object sent with every request."""
        options: dict[str, float | int] = {"num_ctx": self.context_window, "num_predict": self.answer_reserve}
        if self.temperature is not None:
            options["temperature"] = self.temperature
        if self.seed is not None:
            options["seed"] = self.seed
        return options
