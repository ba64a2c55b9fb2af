"""An Ollama-compatible HTTP server for tests, benchmarks and GPU-less demos.

It speaks Ollama's real HTTP API, so the official `ollama` client (AsyncClient and Client) works
against it unchanged: `POST /api/chat` (NDJSON stream, or one JSON body with `stream: false`),
`POST /api/generate`, `GET /api/tags`, `POST /api/show`, `GET /api/version`, `GET /`; Ollama's own
error bodies for a model that is not pulled (404) and a full queue (503); and the faults a real
server shows: an `{"error": ...}` line mid-stream, slow, cut and stalled streams.

In a test (a background thread with its own event loop, 127.0.0.1, a free port):

    with FakeOllama() as srv:
        srv.script.reply("The answer is $\\boxed{5}$", tokens_per_second=50)
        srv.script.fail("busy", times=2)                   # the next two requests get 503
        ... talk to srv.url ...
        srv.last_request.body["options"]["num_ctx"]
        srv.wait_for_client_close(timeout=1.0).client_closed_at

As a process (benchmarks, `make run` without a GPU):

    python -m inference.testing.fake_ollama --port 11434 --tokens-per-second 30 --scenario phi4-demo

Replies come from the script's queue first (one reply per chat/generate request, in order), then
from its responder, a function of the request; the default responder is the scripted "phi4 demo".

Over 400 lines on purpose: a test server in one file (the protocol, scripted replies, faults and
the demo scenarios), so that tests and `make fake-ollama` can run it with `python -m`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import re
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from aiohttp import web

FaultKind = Literal["busy", "missing_model", "http_error", "error_line", "cut", "eof", "stall"]
FAULTS: tuple[FaultKind, ...] = ("busy", "missing_model", "http_error", "error_line", "cut", "eof", "stall")
# busy, missing_model and http_error answer with a status and Ollama's error body instead of a
# stream; error_line, cut, eof and stall happen after `fault_after` chunks of a 200 stream.

# Ollama's own words (server/routes.go, server/sched.go), so error handling is tested on the real text.
BUSY_ERROR = "server busy, please try again.  maximum pending requests exceeded"
MID_STREAM_ERROR = "an error was encountered while running the model: unexpected EOF"
SERVER_ERROR = "llama runner process has terminated: exit status 2"
OLLAMA_VERSION = "0.12.6"


def missing_model_error(name: str) -> str:
    # Go's %q: a double-quoted name.
    return f"model {json.dumps(name)} not found, try pulling it first"


_TOKEN = re.compile(r"\s*\S+|\s+")


def tokenize(text: str) -> list[str]:
    """Word-sized chunks that join back to exactly `text`, like a model's stream does."""
    return _TOKEN.findall(text)


@dataclass
class Reply:
    """One scripted answer, and how to deliver it."""

    tokens: list[str] = field(default_factory=list)
    # Sent first, as `message.thinking` (Ollama's thinking models); inline <think> goes in tokens.
    thinking: list[str] = field(default_factory=list)
    done_reason: str = "stop"
    fault: FaultKind | None = None
    # For error_line / cut / eof / stall: how many chunks go out before the fault.
    fault_after: int = 0
    # Error text for busy / missing_model / http_error / error_line; None: Ollama's usual words.
    error: str | None = None
    # For http_error.
    status: int = 500
    # None: the server's rate (itself None: as fast as possible).
    tokens_per_second: float | None = None
    # Seconds of silence before the response headers: a model loading, a long prompt evaluating.
    delay: float = 0.0

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; expected one of {FAULTS}")

    @classmethod
    def text(cls, content: str, *, thinking: str = "", **fields: Any) -> Reply:
        return cls(tokens=tokenize(content), thinking=tokenize(thinking) if thinking else [], **fields)


@dataclass(frozen=True)
class ChatRequest:
    """What a responder sees of a chat or generate request."""

    path: str
    model: str
    messages: list[dict[str, Any]]
    options: dict[str, Any]
    body: dict[str, Any]

    @property
    def system(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages if m.get("role") == "system")

    @property
    def user_messages(self) -> list[str]:
        return [str(m.get("content", "")) for m in self.messages if m.get("role") == "user"]

    @property
    def last_user(self) -> str:
        users = self.user_messages
        return users[-1] if users else ""


Responder = Callable[[ChatRequest], "Reply | str"]


class Script:
    """What the server answers: queued replies first, then the responder. Thread-safe."""

    def __init__(self, responder: Responder | None = None) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Reply] = deque()
        self.responder: Responder = responder or phi4_demo

    def reply(self, content: str | Sequence[str] = "", **fields: Any) -> Reply:
        """Queue a reply. A str is split into word tokens; a list is sent chunk by chunk as given."""
        tokens = tokenize(content) if isinstance(content, str) else list(content)
        reply = Reply(tokens=tokens, **fields)
        with self._lock:
            self._queue.append(reply)
        return reply

    def fail(self, fault: FaultKind, *, times: int = 1, **fields: Any) -> None:
        """Queue `times` failing replies, e.g. fail("busy", times=2) or fail("cut", fault_after=3)."""
        tokens = fields.pop("tokens", tokenize("The first steps of an answer that never finishes"))
        for _ in range(times):
            self.reply(list(tokens), fault=fault, **fields)

    def respond_with(self, responder: Responder) -> None:
        self.responder = responder

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def next_reply(self, request: ChatRequest) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        answer = self.responder(request)
        return Reply.text(answer) if isinstance(answer, str) else answer


@dataclass
class RecordedRequest:
    """One request as the server saw it. Times are `time.monotonic()` of this process."""

    method: str
    path: str
    body: dict[str, Any]
    received_at: float
    status: int | None = None
    fault: str | None = None
    chunks_sent: int = 0
    # The server wrote the end of the body.
    finished_at: float | None = None
    # The client dropped the connection before the body ended (stop button, cancelled task).
    client_closed_at: float | None = None

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.body.get("options") or {})


DEFAULT_MODELS: tuple[str, ...] = ("phi4:latest", "phi4-mini:latest", "phi4-reasoning:latest")
# What /api/show reports as each family's trained context.
_CONTEXT_LENGTH = {"phi4": 16384, "phi4-mini": 131072, "phi4-reasoning": 32768}


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _full_name(model: str) -> str:
    return model if ":" in model else f"{model}:latest"


class FakeOllama:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        models: Sequence[str] = DEFAULT_MODELS,
        tokens_per_second: float | None = None,
        max_pending: int | None = None,
        responder: Responder | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.models = [_full_name(m) for m in models]
        self.tokens_per_second = tokens_per_second
        # Like OLLAMA_MAX_QUEUE: chat/generate requests in flight beyond this get 503.
        self.max_pending = max_pending
        self.script = Script(responder)
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        # The most chat/generate requests open at once, counting one refused for being over
        # max_pending (so a client that keeps to the cap never raises it past the cap), and how
        # many were refused so: what the several-hosts tests check (tests/scaling).
        self.peak_in_flight = 0
        self.refused_full = 0
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    # --- what tests use ------------------------------------------------------------------

    @property
    def url(self) -> str:
        if not self.port:
            raise RuntimeError("the fake Ollama server is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path in ("/api/chat", "/api/generate")]

    @property
    def last_request(self) -> RecordedRequest:
        chats = self.chat_requests
        if not chats:
            raise AssertionError("the fake Ollama server has not received a chat or generate request")
        return chats[-1]

    def wait_for_client_close(self, timeout: float) -> RecordedRequest:
        """The first request whose client dropped the connection mid-body; AssertionError after `timeout`."""
        with self._changed:
            found = self._changed.wait_for(
                lambda: next((r for r in self.requests if r.client_closed_at is not None), None), timeout
            )
        if found is None:
            raise AssertionError(f"no client closed its connection mid-stream within {timeout} s")
        return found

    def wait_for_requests(self, count: int, timeout: float) -> list[RecordedRequest]:
        with self._changed:
            ok = self._changed.wait_for(
                lambda: sum(r.path in ("/api/chat", "/api/generate") for r in self.requests) >= count, timeout
            )
        if not ok:
            raise AssertionError(f"fewer than {count} chat requests arrived within {timeout} s")
        return self.chat_requests

    def reset(self, responder: Responder | None = None) -> None:
        """A fresh script and no records, for reusing one server across tests."""
        with self._lock:
            self.script = Script(responder)
            self.requests.clear()

    def remove_model(self, name: str) -> None:
        with self._lock:
            self.models.remove(_full_name(name))

    def add_model(self, name: str) -> None:
        with self._lock:
            if _full_name(name) not in self.models:
                self.models.append(_full_name(name))

    # --- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> FakeOllama:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Serve from a daemon thread with its own event loop; returns once the port is bound."""
        self._thread = threading.Thread(target=self._serve_in_thread, name="fake-ollama", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the fake Ollama server did not start within 10 s")
        if self._startup_error is not None:
            raise RuntimeError("the fake Ollama server failed to start") from self._startup_error

    def stop(self) -> None:
        loop = self._loop
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def _serve_in_thread(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._start_site())
        except BaseException as exc:  # reported to start(), which raises it in the caller's thread
            self._startup_error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def serve_forever(self) -> None:
        """Serve in the current event loop until SIGINT/SIGTERM (the command-line entry point)."""
        await self._start_site()
        assert self._stopping is not None
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._stopping.set)
        print(f"Fake Ollama (scenario-scripted phi4) listening on {self.url}", flush=True)
        await self._stopping.wait()
        await self._shutdown()

    async def _start_site(self) -> None:
        self._stopping = asyncio.Event()
        # handler_cancellation: a client that hangs up cancels its handler at once, which is how
        # client_closed_at is recorded within milliseconds even while a stream is stalled.
        self._runner = web.AppRunner(
            self._app(), handle_signals=False, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        assert self._stopping is not None and self._runner is not None
        self._stopping.set()
        await self._runner.cleanup()

    # --- HTTP ----------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_get("/", self._root)
        app.router.add_get("/api/version", self._version)
        app.router.add_get("/api/tags", self._tags)
        app.router.add_post("/api/show", self._show)
        app.router.add_post("/api/chat", self._chat)
        app.router.add_post("/api/generate", self._generate)
        app.router.add_get("/_fake/stats", self._stats)
        return app

    async def _stats(self, request: web.Request) -> web.Response:
        """Not Ollama's: what a test that runs this server as a process reads back."""
        with self._lock:
            chats = [r for r in self.requests if r.path in ("/api/chat", "/api/generate")]
            return web.json_response(
                {
                    "in_flight": self.in_flight,
                    "peak_in_flight": self.peak_in_flight,
                    "refused_full": self.refused_full,
                    "chats": len(chats),
                    "completed": sum(r.finished_at is not None and r.status == 200 for r in chats),
                }
            )

    def _record(self, request: web.Request, body: dict[str, Any]) -> RecordedRequest:
        record = RecordedRequest(
            method=request.method, path=request.path, body=body, received_at=time.monotonic()
        )
        with self._changed:
            self.requests.append(record)
            self._changed.notify_all()
        return record

    def _update(self, record: RecordedRequest, **changes: Any) -> None:
        with self._changed:
            for name, value in changes.items():
                setattr(record, name, value)
            self._changed.notify_all()

    @staticmethod
    async def _json_body(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except json.JSONDecodeError as exc:
            raise web.HTTPBadRequest(
                text=json.dumps({"error": f"invalid JSON: {exc}"}), content_type="application/json"
            ) from exc
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(
                text=json.dumps({"error": "expected a JSON object"}), content_type="application/json"
            )
        return body

    def _error(self, record: RecordedRequest, status: int, message: str) -> web.Response:
        self._update(record, status=status, finished_at=time.monotonic())
        return web.json_response({"error": message}, status=status)

    def _has_model(self, name: str) -> bool:
        with self._lock:
            return _full_name(name) in self.models

    async def _root(self, request: web.Request) -> web.Response:
        return web.Response(text="Ollama is running")

    async def _version(self, request: web.Request) -> web.Response:
        self._record(request, {})
        return web.json_response({"version": OLLAMA_VERSION})

    async def _tags(self, request: web.Request) -> web.Response:
        self._record(request, {})
        with self._lock:
            models = list(self.models)
        return web.json_response(
            {
                "models": [
                    {
                        "name": name,
                        "model": name,
                        "modified_at": "2025-05-01T10:00:00.000000000Z",
                        "size": 9_053_116_391,
                        "digest": "ac896e5b8b34a1f4efa7b14d7520725140d5512484457fab45d2a4ea14c69dba",
                        "details": {
                            "parent_model": "",
                            "format": "gguf",
                            "family": "phi3",
                            "families": ["phi3"],
                            "parameter_size": "14.7B",
                            "quantization_level": "Q4_K_M",
                        },
                    }
                    for name in models
                ]
            }
        )

    async def _show(self, request: web.Request) -> web.Response:
        body = await self._json_body(request)
        record = self._record(request, body)
        name = str(body.get("model") or body.get("name") or "")
        if not self._has_model(name):
            return self._error(record, 404, missing_model_error(name))
        family = name.split(":", 1)[0]
        return web.json_response(
            {
                "modelfile": f"FROM {name}\n",
                "parameters": 'stop "<|im_start|>"\nstop "<|im_end|>"\nstop "<|im_sep|>"',
                "template": "{{ range .Messages }}<|im_start|>{{ .Role }}<|im_sep|>{{ .Content }}<|im_end|>{{ end }}",
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": "phi3",
                    "families": ["phi3"],
                    "parameter_size": "14.7B",
                    "quantization_level": "Q4_K_M",
                },
                "model_info": {
                    "general.architecture": "phi3",
                    "phi3.context_length": _CONTEXT_LENGTH.get(family, 16384),
                },
                "capabilities": ["completion"],
                "modified_at": "2025-05-01T10:00:00.000000000Z",
            }
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        return await self._answer(request, body, messages=list(body.get("messages") or []), chat=True)

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        body = await self._json_body(request)
        messages = [{"role": "user", "content": str(body.get("prompt", ""))}]
        if body.get("system"):
            messages.insert(0, {"role": "system", "content": str(body["system"])})
        return await self._answer(request, body, messages=messages, chat=False)

    async def _answer(
        self, request: web.Request, body: dict[str, Any], *, messages: list[dict[str, Any]], chat: bool
    ) -> web.StreamResponse:
        record = self._record(request, body)
        model = str(body.get("model") or "")
        if not model:
            return self._error(record, 400, "model is required")
        with self._lock:
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight + 1)
            full = self.max_pending is not None and self.in_flight >= self.max_pending
            self.refused_full += full
        if full:
            return self._error(record, 503, BUSY_ERROR)
        if not self._has_model(model):
            return self._error(record, 404, missing_model_error(model))

        chat_request = ChatRequest(
            path=request.path,
            model=model,
            messages=messages,
            options=dict(body.get("options") or {}),
            body=body,
        )
        reply = _continuing(self.script.next_reply(chat_request), messages)
        self._update(record, fault=reply.fault)
        if reply.fault == "busy":
            return self._error(record, 503, reply.error or BUSY_ERROR)
        if reply.fault == "missing_model":
            return self._error(record, 404, reply.error or missing_model_error(model))
        if reply.fault == "http_error":
            return self._error(record, reply.status, reply.error or SERVER_ERROR)

        with self._lock:
            self.in_flight += 1
        try:
            return await self._deliver(request, record, chat_request, reply, chat=chat)
        except (asyncio.CancelledError, ConnectionResetError):
            # Cancelled by aiohttp because the client hung up (handler_cancellation), or a write
            # found the socket gone; not when the server itself is stopping.
            assert self._stopping is not None
            if not self._stopping.is_set():
                self._update(record, client_closed_at=time.monotonic())
            raise
        finally:
            with self._lock:
                self.in_flight -= 1

    async def _deliver(
        self,
        request: web.Request,
        record: RecordedRequest,
        chat_request: ChatRequest,
        reply: Reply,
        *,
        chat: bool,
    ) -> web.StreamResponse:
        started = time.perf_counter_ns()
        if reply.delay:
            await asyncio.sleep(reply.delay)
        rate = reply.tokens_per_second or self.tokens_per_second
        model = chat_request.model

        def line(content: str = "", thinking: str = "") -> dict[str, Any]:
            if chat:
                message: dict[str, Any] = {"role": "assistant", "content": content}
                if thinking:
                    message["thinking"] = thinking
                return {"model": model, "created_at": _now(), "message": message, "done": False}
            part: dict[str, Any] = {"model": model, "created_at": _now(), "response": content, "done": False}
            if thinking:
                part["thinking"] = thinking
            return part

        def final(content: str = "", thinking: str = "") -> dict[str, Any]:
            elapsed = max(time.perf_counter_ns() - started, 1_000)
            prompt_chars = sum(len(str(m.get("content", ""))) for m in chat_request.messages)
            last = line(content, thinking)
            last.update(
                {
                    "done": True,
                    "done_reason": reply.done_reason,
                    "total_duration": elapsed + 2_000_000,
                    "load_duration": 1_000_000,
                    "prompt_eval_count": max(1, prompt_chars // 4),
                    "prompt_eval_duration": 1_000_000,
                    "eval_count": len(reply.thinking) + len(reply.tokens),
                    "eval_duration": elapsed,
                }
            )
            return last

        if chat_request.body.get("stream") is False:
            if reply.fault is not None:
                raise ValueError(
                    f"fault {reply.fault!r} needs a streaming request; this one has stream: false"
                )
            whole = final("".join(reply.tokens), "".join(reply.thinking))
            self._update(record, status=200, chunks_sent=1, finished_at=time.monotonic())
            return web.json_response(whole)

        response = web.StreamResponse(status=200, headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        self._update(record, status=200)
        chunks = [("thinking", t) for t in reply.thinking] + [("content", t) for t in reply.tokens]
        for index, (kind, text) in enumerate(chunks):
            if reply.fault is not None and index >= reply.fault_after:
                return await self._fault(request, response, record, reply)
            if text == STAMP:
                text = f"{time.time():.6f} "
            piece = line(content=text) if kind == "content" else line(thinking=text)
            await response.write(json.dumps(piece).encode() + b"\n")
            self._update(record, chunks_sent=index + 1)
            # Even at full speed, give the loop a turn so a hang-up is noticed between chunks.
            await asyncio.sleep(1 / rate if rate else 0)
        if reply.fault is not None:
            return await self._fault(request, response, record, reply)
        await response.write(json.dumps(final()).encode() + b"\n")
        await response.write_eof()
        self._update(record, finished_at=time.monotonic())
        return response

    async def _fault(
        self, request: web.Request, response: web.StreamResponse, record: RecordedRequest, reply: Reply
    ) -> web.StreamResponse:
        if reply.fault == "error_line":
            await response.write(json.dumps({"error": reply.error or MID_STREAM_ERROR}).encode() + b"\n")
            await response.write_eof()
            self._update(record, finished_at=time.monotonic())
        elif reply.fault == "cut":
            # Drop the connection without the chunked terminator: what a crashed runner or a proxy
            # timing out looks like to the client.
            assert request.transport is not None
            request.transport.close()
            self._update(record, finished_at=time.monotonic())
        elif reply.fault == "eof":
            # End the body properly but without the final `done` line: a proxy that gave up.
            await response.write_eof()
            self._update(record, finished_at=time.monotonic())
        elif reply.fault == "stall":
            # Keep the connection open and say nothing: only the client's read timeout ends this.
            # A hang-up cancels this wait (handler_cancellation); so does stopping the server.
            assert self._stopping is not None
            await self._stopping.wait()
        else:
            raise AssertionError(f"fault {reply.fault!r} is not a mid-stream fault")
        return response


def _continuing(reply: Reply, messages: list[dict[str, Any]]) -> Reply:
    """Ollama continues a final assistant message rather than answering afresh: when the request
    ends with the start of this reply, only the rest is sent (a takeover by another host)."""
    if not messages or messages[-1].get("role") != "assistant" or reply.fault is not None:
        return reply
    written = str(messages[-1].get("content", ""))
    text = "".join(reply.tokens)
    if not written or not text.startswith(written) or STAMP in reply.tokens:
        return reply
    return dataclasses.replace(reply, tokens=tokenize(text[len(written) :]))


# --- the scripted "phi4" for demos --------------------------------------------------------


@dataclass(frozen=True)
class DemoProblem:
    solution: str
    hint: str = (
        "Good start! What is the problem asking you to find, and which rule or formula connects "
        "it to the information you are given?"
    )


# Substring of the problem (as typed in tutor/problems/demo.py) -> scripted answers.
# Register more with `DEMO_PROBLEMS["needle"] = DemoProblem(...)`.
DEMO_PROBLEMS: dict[str, DemoProblem] = {
    "3x + 7 = 22": DemoProblem(
        "We want $x$ on its own.\n\n"
        "1. Subtract $7$ from both sides: $3x = 22 - 7 = 15$.\n"
        "2. Divide both sides by $3$: $x = \\dfrac{15}{3} = 5$.\n"
        "3. Check: $3 \\cdot 5 + 7 = 22$. ✓\n\n"
        "**Final answer:** $\\boxed{5}$",
        "What could you do to both sides of the equation to get the $3x$ term on its own?",
    ),
    "x^2 - 5x + 6": DemoProblem(
        "1. Look for two numbers that multiply to $6$ and add to $-5$: they are $-2$ and $-3$.\n"
        "2. So $x^2 - 5x + 6 = (x - 2)(x - 3)$.\n"
        "3. A product is zero exactly when one factor is zero: $x = 2$ or $x = 3$.\n\n"
        "**Final answer:** $\\boxed{\\{2, 3\\}}$",
        "Can you find two numbers that multiply to $6$ and add up to $-5$?",
    ),
    "x^2 - 9": DemoProblem(
        "1. The numerator is a difference of squares: $x^2 - 9 = (x - 3)(x + 3)$.\n"
        "2. So $$\\frac{x^2 - 9}{x - 3} = \\frac{(x - 3)(x + 3)}{x - 3}.$$\n"
        "3. Since $x \\neq 3$, the factor $x - 3$ is not zero and cancels.\n\n"
        "**Final answer:** $\\boxed{x + 3}$"
    ),
    # The test suite's problem (tests/factories.py), for tests that run this server as a process.
    "2x + 3 = 7": DemoProblem(
        "1. Subtract $3$ from both sides: $2x = 4$.\n"
        "2. Divide both sides by $2$: $x = 2$.\n"
        "3. Check: $2 \\cdot 2 + 3 = 7$. ✓\n\n"
        "**Final answer:** $\\boxed{2}$",
        "What could you do to both sides to get the $2x$ term on its own?",
    ),
    "2x - 4 > 6": DemoProblem(
        "1. Add $4$ to both sides: $2x > 10$.\n"
        "2. Divide by $2$; it is positive, so the inequality keeps its direction: $x > 5$.\n"
        "3. As an interval: all numbers greater than $5$.\n\n"
        "**Final answer:** $\\boxed{(5, \\infty)}$"
    ),
    "x^3 \\sin x": DemoProblem(
        "1. $f$ is a product $u v$ with $u = x^3$ and $v = \\sin x$, so use the product rule "
        "$(uv)' = u'v + uv'$.\n"
        "2. $u' = 3x^2$ and $v' = \\cos x$.\n"
        "3. So $f'(x) = 3x^2 \\sin x + x^3 \\cos x$.\n\n"
        "**Final answer:** $\\boxed{3x^2 \\sin x + x^3 \\cos x}$",
        "The function is a product of two simpler functions. Which differentiation rule handles products?",
    ),
    "(2x + 1)": DemoProblem(
        "1. An antiderivative of $2x + 1$ is $F(x) = x^2 + x$.\n"
        "2. $$\\int_0^1 (2x + 1)\\,dx = F(1) - F(0) = (1 + 1) - 0 = 2.$$\n\n"
        "**Final answer:** $\\boxed{2}$"
    ),
    "\\sin 3x": DemoProblem(
        "1. Rewrite: $\\dfrac{\\sin 3x}{x} = 3 \\cdot \\dfrac{\\sin 3x}{3x}$.\n"
        "2. As $x \\to 0$, also $3x \\to 0$, and $\\dfrac{\\sin t}{t} \\to 1$ as $t \\to 0$.\n"
        "3. So the limit is $3 \\cdot 1 = 3$.\n\n"
        "**Final answer:** $\\boxed{3}$"
    ),
    "\\det": DemoProblem(
        "1. For a $2 \\times 2$ matrix $\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}$ the determinant "
        "is $ad - bc$.\n"
        "2. Here $a = 2$, $b = 1$, $c = 5$, $d = 3$: $2 \\cdot 3 - 1 \\cdot 5 = 6 - 5 = 1$.\n\n"
        "**Final answer:** $\\boxed{1}$"
    ),
    "12 km in 30 minutes": DemoProblem(
        "1. Convert the time to hours: $30\\ \\text{min} = 0.5\\ \\text{h}$.\n"
        "2. Average speed is distance over time: "
        "$$v = \\frac{12\\ \\text{km}}{0.5\\ \\text{h}} = 24\\ \\text{km/h}.$$\n\n"
        "**Final answer:** $\\boxed{24\\ \\text{km/h}}$",
        "Speed is distance divided by time. What is $30$ minutes in hours?",
    ),
    "Compute $AB$": DemoProblem(
        "1. Each entry of $AB$ is a row of $A$ times a column of $B$.\n"
        "2. Row 1: $1 \\cdot 3 + 2 \\cdot 1 = 5$ and $1 \\cdot 0 + 2 \\cdot 2 = 4$.\n"
        "3. Row 2: $0 \\cdot 3 + 1 \\cdot 1 = 1$ and $0 \\cdot 0 + 1 \\cdot 2 = 2$.\n\n"
        "**Final answer:** $\\boxed{\\begin{pmatrix} 5 & 4 \\\\ 1 & 2 \\end{pmatrix}}$",
        "Which row of $A$ and which column of $B$ give the top-left entry of $AB$?",
    ),
    "falls for 3.0 s": DemoProblem(
        "1. Starting from rest, the distance fallen is $d = \\tfrac12 g t^2$.\n"
        "2. $d = \\tfrac12 \\cdot 9.8 \\cdot 3.0^2 = 4.9 \\cdot 9 = 44.1\\ \\text{m}$.\n\n"
        "**Final answer:** $\\boxed{44.1\\ \\text{m}}$",
        "Which equation links distance, time and acceleration when something starts from rest?",
    ),
    # The two parts of the demo's multi-part problem (the prompt holds the stem and one part).
    "reach the top?": DemoProblem(
        "At the top the ball stops rising for an instant, so its speed there is $0$.\n\n"
        "1. The speed after $t$ seconds is $v = 20 - 10t$.\n"
        "2. At the top $v = 0$: $20 - 10t = 0$, so $10t = 20$ and $t = 2$.\n\n"
        "**Final answer:** $\\boxed{2\\ \\text{s}}$",
        "What is the ball's speed at the very top? How long does it take to lose all of its speed?",
    ),
    "How high does it go?": DemoProblem(
        "It rises for $2$ s (part (a)), slowing evenly from $20$ m/s to $0$.\n\n"
        "1. Its average speed on the way up is $\\frac{20 + 0}{2} = 10$ m/s.\n"
        "2. The height is $h = 10 \\times 2 = 20$ m.\n\n"
        "**Final answer:** $\\boxed{20\\ \\text{m}}$",
        "If it slows down evenly, what is its average speed on the way up, and for how long does it rise?",
    ),
    "2 kg ball": DemoProblem(
        "1. Kinetic energy is $E_k = \\tfrac12 m v^2$.\n"
        "2. With $m = 2\\ \\text{kg}$ and $v = 3\\ \\text{m/s}$: "
        "$E_k = \\tfrac12 \\cdot 2 \\cdot 3^2 = 9\\ \\text{J}$.\n\n"
        "**Final answer:** $\\boxed{9\\ \\text{J}}$"
    ),
}

DEMO_FALLBACK = (
    "Let's work through it step by step.\n\n"
    "1. Write down what is given and what we need to find.\n"
    "2. Choose the rule that connects them, and apply it one step at a time.\n\n"
    "I can't work this one out in demo mode, so this is only an outline.\n\n"
    "**Final answer:** $\\boxed{?}$"
)
DEMO_FEEDBACK = (
    "You set the problem up well, and your first step is right. Look again at your next step: "
    "did you do the same thing to both sides? What happens if you check your result by substituting it back?"
)
DEMO_QUESTION = (
    "Good question. Whatever you do to one side of an equation, do to the other side too: that keeps "
    "both sides equal, so the equation stays true. Which operation would leave the unknown on its own?"
)
DEMO_THINKING = (
    "The student wants a worked solution. Identify the type of problem, recall the method, "
    "work it step by step, then check the result by substituting back."
)


def _demo_mode(system: str) -> str:
    if "Socratic" in system:
        return "hint"
    if "feedback on the student's attempt" in system:
        return "feedback"
    if "answer the student's question" in system:
        return "question"
    return "solution"


def phi4_demo(request: ChatRequest) -> Reply:
    """Plausible phi4 answers for the demo problem set, matched on the newest user message that
    names one; phi4-reasoning gets an inline <think> trace first, as the real model writes it."""
    mode = _demo_mode(request.system)
    problem: DemoProblem | None = None
    for text in reversed(request.user_messages):
        problem = next((p for needle, p in DEMO_PROBLEMS.items() if needle in text), None)
        if problem is not None:
            break
    if mode == "hint":
        text = problem.hint if problem else DemoProblem("").hint
    elif mode == "feedback":
        text = DEMO_FEEDBACK
    elif mode == "question":
        text = DEMO_QUESTION
    else:
        text = problem.solution if problem else DEMO_FALLBACK
    if request.model.startswith("phi4-reasoning"):
        text = f"<think>\n{DEMO_THINKING}\n</think>\n\n{text}"
    return Reply.text(text)


def echo(request: ChatRequest) -> Reply:
    """Repeats the last user message: handy for checking what a prompt looked like."""
    return Reply.text(request.last_user or "(no user message)")


# A token the server replaces, as it writes it, with its wall-clock time: benchmarks measure how
# long each token takes to reach a browser.
STAMP = "\x00stamp"


def bench(tokens: int) -> Responder:
    """`tokens` time-stamped chunks ending in a box (answer 7), for throughput and latency benchmarks."""

    def respond(request: ChatRequest) -> Reply:
        asked = str(request.messages[-1].get("content", "")) if request.messages else ""
        if asked.startswith("Please give me a hint"):
            # A hint: sentences of a dozen words, each ending in a stamp (when its last word was written).
            words = [
                "Look",
                " at",
                " what",
                " the",
                " problem",
                " gives",
                " you",
                " and",
                " what",
                " it",
                " asks",
                " for",
            ]
            sentences = [[*words, " ", STAMP, ".", " "] for _ in range(4)]
            return Reply(tokens=[token for sentence in sentences for token in sentence])
        # The last token is stamped too: when it reaches the client (with the verification, as the
        # final answer is held until then) says how long the verified answer followed the model.
        return Reply(
            tokens=[STAMP] * max(tokens - 4, 0) + ["\n\n**Final answer:**", " $\\boxed{", "7", "}$ ", STAMP]
        )

    return respond


SCENARIOS: dict[str, Callable[[argparse.Namespace], Responder]] = {
    "phi4-demo": lambda args: phi4_demo,
    "echo": lambda args: echo,
    "bench": lambda args: bench(args.bench_tokens),
}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="An Ollama-compatible stand-in with scripted phi4 answers.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=11434, help="0 picks a free port (printed on start)")
    parser.add_argument("--tokens-per-second", type=float, default=30.0, help="0: as fast as possible")
    parser.add_argument("--scenario", default="phi4-demo", choices=sorted(SCENARIOS))
    parser.add_argument("--bench-tokens", type=int, default=300, help="answer length for --scenario bench")
    parser.add_argument(
        "--max-pending", type=int, default=None, help="503 beyond this many requests in flight"
    )
    parser.add_argument("--models", default=",".join(DEFAULT_MODELS), help="comma-separated pulled models")
    args = parser.parse_args(argv)
    server = FakeOllama(
        host=args.host,
        port=args.port,
        models=[m for m in args.models.split(",") if m],
        tokens_per_second=args.tokens_per_second or None,
        max_pending=args.max_pending,
        responder=SCENARIOS[args.scenario](args),
    )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve_forever())


if __name__ == "__main__":
    main()
