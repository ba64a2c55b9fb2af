"""An Ollama-compatible HTTP server for tests, benchmarks and GPU-less demos.

It speaks Ollama's real HTTP API, so the official `ollama` client works against it unchanged:
`POST /api/chat` (NDJSON streaming with the real field names and `done_reason`, or one JSON
body with `stream: false`), `POST /api/generate`, `GET /api/tags`, `POST /api/show`,
`GET /api/version`, `GET /`; 404 with Ollama's body for a model that is not pulled; 503 when
"busy"; a mid-stream `{"error": ...}` line; slow, cut and stalled streams.

    with FakeOllama() as server:            # a background thread, 127.0.0.1, a free port
        server.reply(tokenize("... $\\boxed{5}$"), tokens_per_second=30)
        ... OLLAMA_HOST=server.url ...
        server.requests[-1]["options"]["num_ctx"]
        server.wait_for_disconnect(timeout=1)   # when a client closed a stream early

    python -m inference.fake_server --port 11434 --tokens-per-second 30   # scripted phi4 demo

Replies come from a queue filled by `reply()`; when it is empty, from the `brain` (by default
worked solutions of the demo problem set, matched on the problem statement).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

FAULTS = ("busy", "missing_model", "error_line", "stall", "cut")
# A token that the server replaces, as it writes it, with the wall-clock time: benchmarks
# measure how long each token takes to reach a browser.
STAMP = "\x00stamp"
_TOKEN = re.compile(r"\s*\S+|\s+")


def tokenize(text: str) -> list[str]:
    """Split text into word-sized tokens that join back to exactly the same text."""
    return _TOKEN.findall(text)


@dataclass
class Reply:
    tokens: list[str]
    thinking: list[str] = field(default_factory=list)
    done_reason: str = "stop"
    tokens_per_second: float | None = None
    # A fault after `fault_after` tokens: error_line, cut or stall.
    fault: str | None = None
    fault_after: int = 3


Brain = Callable[[dict[str, Any]], Reply]


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class FakeOllama:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        models: tuple[str, ...] = ("phi4:latest", "phi4-mini:latest", "phi4-reasoning:latest"),
        tokens_per_second: float | None = None,
        brain: Brain | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.models = list(models)
        self.tokens_per_second = tokens_per_second
        self.brain = brain or demo_brain
        self.queue: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.disconnects: list[float] = []
        self.active_streams = 0
        self._fault: str | None = None
        self._lock = threading.Lock()
        self._disconnected = threading.Condition(self._lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()

    # --- scripting ------------------------------------------------------------------------

    def reply(self, tokens: list[str], **options: Any) -> None:
        with self._lock:
            self.queue.append(Reply(tokens=list(tokens), **options))

    def fault(self, kind: str) -> None:
        if kind not in (*FAULTS, "down"):
            raise ValueError(f"unknown fault {kind!r}")
        self._fault = kind

    def clear_fault(self) -> None:
        self._fault = None

    def wait_for_disconnect(self, timeout: float) -> float | None:
        with self._disconnected:
            self._disconnected.wait_for(lambda: bool(self.disconnects), timeout=timeout)
            return self.disconnects[-1] if self.disconnects else None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> FakeOllama:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="fake-ollama", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake Ollama server did not start")

    def stop(self) -> None:
        if self._loop and self._runner:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start_site())
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _start_site(self) -> None:
        app = self.app()
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_get("/", self.root)
        app.router.add_get("/api/version", self.version)
        app.router.add_get("/api/tags", self.tags)
        app.router.add_post("/api/show", self.show)
        app.router.add_post("/api/chat", self.chat)
        app.router.add_post("/api/generate", self.generate)
        return app

    # --- handlers -------------------------------------------------------------------------

    async def root(self, request: web.Request) -> web.Response:
        return web.Response(text="Ollama is running")

    async def version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "0.12.6"})

    async def tags(self, request: web.Request) -> web.Response:
        models = [] if self._fault == "missing_model" else self.models
        return web.json_response(
            {
                "models": [
                    {
                        "name": name,
                        "model": name,
                        "modified_at": _now(),
                        "size": 9_053_116_391,
                        "digest": "ac896e5b8b34" + "0" * 52,
                        "details": {
                            "format": "gguf",
                            "family": "phi3",
                            "parameter_size": "14.7B",
                            "quantization_level": "Q4_K_M",
                        },
                    }
                    for name in models
                ]
            }
        )

    def _known(self, name: str) -> bool:
        if self._fault == "missing_model":
            return False
        full = name if ":" in name else f"{name}:latest"
        return full in self.models

    def _missing(self, name: str) -> web.Response:
        return web.json_response({"error": f'model "{name}" not found, try pulling it first'}, status=404)

    async def show(self, request: web.Request) -> web.Response:
        body = await request.json()
        name = body.get("model") or body.get("name", "")
        if not self._known(name):
            return self._missing(name)
        return web.json_response(
            {
                "modelfile": f"FROM {name}",
                "parameters": "stop <|im_start|>\nstop <|im_end|>",
                "template": "{{ .Prompt }}",
                "details": {"format": "gguf", "family": "phi3", "parameter_size": "14.7B"},
                "model_info": {"phi3.context_length": 16384},
                "capabilities": ["completion"],
            }
        )

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self.queue:
                return self.queue.popleft()
        return self.brain(body)

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        return await self._answer(request, body, chat=True)

    async def generate(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        body = {**body, "messages": [{"role": "user", "content": body.get("prompt", "")}]}
        return await self._answer(request, body, chat=False)

    async def _answer(self, request: web.Request, body: dict[str, Any], *, chat: bool) -> web.StreamResponse:
        with self._lock:
            self.requests.append(body)
        model = body.get("model", "")
        if self._fault == "busy":
            return web.json_response(
                {"error": "server busy, please try again.  maximum pending requests exceeded"}, status=503
            )
        if not self._known(model):
            return self._missing(model)
        reply = self._next_reply(body)
        if self._fault in ("error_line", "stall", "cut"):
            reply.fault, reply.fault_after = self._fault, min(reply.fault_after, 3)
        rate = reply.tokens_per_second or self.tokens_per_second
        started = time.perf_counter_ns()

        def piece(content: str = "", thinking: str = "") -> dict[str, Any]:
            if chat:
                message: dict[str, Any] = {"role": "assistant", "content": content}
                if thinking:
                    message["thinking"] = thinking
                return {"model": model, "created_at": _now(), "message": message, "done": False}
            return {"model": model, "created_at": _now(), "response": content, "done": False}

        def final() -> dict[str, Any]:
            elapsed = max(time.perf_counter_ns() - started, 1)
            count = len(reply.tokens) + len(reply.thinking)
            last = piece()
            last.update(
                {
                    "done": True,
                    "done_reason": reply.done_reason,
                    "total_duration": elapsed + 1_000_000,
                    "load_duration": 1_000_000,
                    "prompt_eval_count": sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
                    // 4,
                    "prompt_eval_duration": 1_000_000,
                    "eval_count": count,
                    "eval_duration": elapsed,
                }
            )
            return last

        if body.get("stream") is False:
            content = "".join(reply.tokens)
            whole = final()
            if chat:
                whole["message"]["content"] = content
                if reply.thinking:
                    whole["message"]["thinking"] = "".join(reply.thinking)
            else:
                whole["response"] = content
            return web.json_response(whole)

        response = web.StreamResponse(status=200, headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        self.active_streams += 1
        try:
            sent = 0
            stream = [("thinking", t) for t in reply.thinking] + [("content", t) for t in reply.tokens]
            for kind, token in stream:
                if reply.fault and sent >= reply.fault_after:
                    return await self._fault_out(request, response, reply.fault)
                if token == STAMP:
                    token = f"{time.time():.6f} "
                line = piece(content=token) if kind == "content" else piece(thinking=token)
                await response.write(json.dumps(line).encode() + b"\n")
                sent += 1
                if rate:
                    await asyncio.sleep(1 / rate)
            if reply.fault:
                return await self._fault_out(request, response, reply.fault)
            await response.write(json.dumps(final()).encode() + b"\n")
            await response.write_eof()
            return response
        except (ConnectionResetError, ConnectionError, asyncio.CancelledError):
            with self._disconnected:
                self.disconnects.append(time.monotonic())
                self._disconnected.notify_all()
            raise
        finally:
            self.active_streams -= 1

    async def _fault_out(
        self, request: web.Request, response: web.StreamResponse, fault: str
    ) -> web.StreamResponse:
        if fault == "error_line":
            await response.write(
                json.dumps(
                    {"error": "an error was encountered while running the model: unexpected EOF"}
                ).encode()
                + b"\n"
            )
            await response.write_eof()
        elif fault == "cut":
            assert request.transport is not None
            request.transport.close()
        elif fault == "stall":
            # Say nothing more, keep the connection open: the client's read timeout must end it.
            while request.transport is not None and not request.transport.is_closing():  # noqa: ASYNC110 - polling a transport, no event to wait on
                await asyncio.sleep(0.05)
            raise ConnectionResetError("client closed a stalled stream")
        return response


# --- the scripted "phi4" used for demos ---------------------------------------------------

DEMO_SOLUTIONS: list[tuple[str, str]] = [
    (
        "3x + 7 = 22",
        "1. Subtract $7$ from both sides: $3x = 15$.\n2. Divide both sides by $3$: $x = 5$.\n\n**Final answer:** $\\boxed{5}$",
    ),
    (
        "x^2 - 5x + 6",
        "1. Factor the quadratic: $x^2 - 5x + 6 = (x-2)(x-3)$.\n2. A product is zero when a factor is zero, so $x = 2$ or $x = 3$.\n\n**Final answer:** $\\boxed{\\{2, 3\\}}$",
    ),
    (
        "x^2 - 9",
        "1. $x^2 - 9$ is a difference of two squares: $(x-3)(x+3)$.\n2. Cancel the common factor $x - 3$ (allowed because $x \\neq 3$).\n\n**Final answer:** $\\boxed{x + 3}$",
    ),
    (
        "2x - 4 > 6",
        "1. Add $4$ to both sides: $2x > 10$.\n2. Divide by $2$ (positive, so the sign stays): $x > 5$.\n\n**Final answer:** $\\boxed{(5, \\infty)}$",
    ),
    (
        "x^3 \\sin x",
        "1. Use the product rule $(uv)' = u'v + uv'$ with $u = x^3$, $v = \\sin x$.\n2. $u' = 3x^2$ and $v' = \\cos x$.\n\n**Final answer:** $\\boxed{3x^2 \\sin x + x^3 \\cos x}$",
    ),
    (
        "(2x + 1)",
        "1. An antiderivative of $2x + 1$ is $x^2 + x$.\n2. Evaluate: $(1 + 1) - (0 + 0) = 2$.\n\n**Final answer:** $\\boxed{2}$",
    ),
    (
        "\\sin 3x",
        "1. Write $\\frac{\\sin 3x}{x} = 3 \\cdot \\frac{\\sin 3x}{3x}$.\n2. As $x \\to 0$, $\\frac{\\sin 3x}{3x} \\to 1$.\n\n**Final answer:** $\\boxed{3}$",
    ),
    (
        "\\det",
        "1. For $\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}$ the determinant is $ad - bc$.\n2. $2 \\cdot 3 - 1 \\cdot 5 = 1$.\n\n**Final answer:** $\\boxed{1}$",
    ),
    (
        "Compute $AB$",
        "1. Row 1 of $A$ times the columns of $B$: $1\\cdot3 + 2\\cdot1 = 5$ and $1\\cdot0 + 2\\cdot2 = 4$.\n2. Row 2: $0\\cdot3 + 1\\cdot1 = 1$ and $0\\cdot0 + 1\\cdot2 = 2$.\n\n**Final answer:** $\\boxed{\\begin{pmatrix} 5 & 4 \\\\ 1 & 2 \\end{pmatrix}}$",
    ),
    (
        "12 km in 30 minutes",
        "1. $30$ minutes is $0.5$ hours.\n2. Speed is distance over time: $\\frac{12\\ \\text{km}}{0.5\\ \\text{h}} = 24\\ \\text{km/h}$.\n\n**Final answer:** $\\boxed{24\\ \\text{km/h}}$",
    ),
    (
        "falls for 3.0 s",
        "1. From rest, $d = \\tfrac12 g t^2$.\n2. $d = \\tfrac12 \\cdot 9.8 \\cdot 3.0^2 = 44.1$.\n\n**Final answer:** $\\boxed{44.1\\ \\text{m}}$",
    ),
    (
        "2 kg ball",
        "1. Kinetic energy is $E_k = \\tfrac12 m v^2$.\n2. $E_k = \\tfrac12 \\cdot 2 \\cdot 3^2 = 9$.\n\n**Final answer:** $\\boxed{9\\ \\text{J}}$",
    ),
]
DEMO_HINT = "Good question! What is the very first thing the problem asks you to find, and which rule connects it to what you are given?"
DEMO_FALLBACK = (
    "Let's work through it step by step. First, write down what you know and what you need to find."
)


def demo_brain(body: dict[str, Any]) -> Reply:
    messages = body.get("messages", [])
    system = str(messages[0].get("content", "")) if messages else ""
    text = " ".join(str(m.get("content", "")) for m in messages)
    if "Socratic hint" in system or "Never state, box or confirm" in system:
        return Reply(tokens=tokenize(DEMO_HINT))
    for needle, solution in DEMO_SOLUTIONS:
        if needle in text:
            return Reply(tokens=tokenize(solution))
    return Reply(tokens=tokenize(DEMO_FALLBACK))


def bench_brain(tokens: int) -> Brain:
    """Every reply: `tokens` time-stamped tokens, then a final answer of 7."""

    def brain(body: dict[str, Any]) -> Reply:
        return Reply(tokens=[STAMP] * tokens + tokenize("\n\n**Final answer:** $\\boxed{7}$"))

    return brain


def main() -> None:
    parser = argparse.ArgumentParser(description="An Ollama-compatible stand-in with scripted phi4 answers.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11434)
    parser.add_argument("--tokens-per-second", type=float, default=30.0)
    parser.add_argument("--scenario", default="phi4-demo", choices=["phi4-demo", "bench"])
    parser.add_argument("--bench-tokens", type=int, default=300)
    args = parser.parse_args()
    brain = bench_brain(args.bench_tokens) if args.scenario == "bench" else demo_brain
    server = FakeOllama(
        host=args.host, port=args.port, tokens_per_second=args.tokens_per_second or None, brain=brain
    )
    server.start()
    print(f"Fake Ollama (scripted phi4) listening on {server.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
