"""A small OpenAI-compatible chat-completions server on 127.0.0.1 that answers from a script (for tests and bench)."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from codex_testing.fake_http import LoopbackServer

HOLD_LIMIT = 20.0  # seconds a held answer waits for the client to hang up; then it is sent (to a client that never gives up)


@dataclass(frozen=True)
class Answer:
    """One scripted response: ``content`` is the model's message (or the error message when ``status`` is not 200)."""

    content: str | None = '{"findings": []}'
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hold: bool = False  # answer only once the client has hung up (a hang, however slow the client is), or after HOLD_LIMIT
    usage: tuple[int, int] | None = None  # (prompt_tokens, completion_tokens) to report
    cached: int | None = None  # usage.prompt_tokens_details.cached_tokens to report
    drip: float = 0.0  # seconds between the bytes of the body, which takes HOLD_LIMIT s at least (a server that trickles its answer)
    raw: str | None = None  # the whole response body as is (not a chat completion), sent as JSON
    param: str | None = None  # an error's "param" (the option it names) and "code", as OpenAI sends them
    code: str | None = None


def findings(*items: tuple) -> Answer:
    """A well-formed answer with (rule_id, path, line, reason, quote[, confidence[, source]]) findings; confidence
    "high" and source "a test" unless given."""
    entries = [
        {
            "rule_id": r,
            "path": p,
            "line": n,
            "quote": quote,
            "source": rest[1] if len(rest) > 1 else "a test",
            "confidence": rest[0] if rest else "high",
            "reason": why,
        }
        for r, p, n, why, quote, *rest in items
    ]
    return Answer(json.dumps({"findings": entries}))


def in_order(*answers: Answer) -> Callable[[dict], Answer]:
    """Answer requests with ``answers`` in turn; the last one repeats."""
    served = iter(answers)
    last = answers[-1]

    def script(_request: dict) -> Answer:
        nonlocal last
        last = next(served, last)
        return last

    return script


class LlmServer(LoopbackServer):
    """``with LlmServer(script) as server:`` serves ``server.base_url``; ``server.requests`` are the bodies received,
    ``server.authorizations`` their Authorization headers and ``server.paths`` their paths (with the query)."""

    def __init__(self, script: Callable[[dict], Answer]):
        self.script = script
        self.requests: list[dict] = []
        self.authorizations: list[str | None] = []
        self.paths: list[str] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()  # set on exit: held answers are given up
        super().__init__(self._handler())

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        super().__exit__(*exc)

    @property
    def base_url(self) -> str:
        return f"{self.origin}/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with server._lock:
                    server.requests.append(body)
                    server.authorizations.append(self.headers.get("Authorization"))
                    server.paths.append(self.path)
                    answer = server.script(body)
                if answer.hold and not self._held():
                    return
                if answer.status == 200:
                    payload: dict = {
                        "id": "chatcmpl-test",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model"),
                        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": answer.content}}],
                    }
                    if answer.usage:
                        payload["usage"] = {"prompt_tokens": answer.usage[0], "completion_tokens": answer.usage[1], "total_tokens": sum(answer.usage)}
                        if answer.cached is not None:
                            payload["usage"]["prompt_tokens_details"] = {"cached_tokens": answer.cached}
                else:
                    payload = {"error": {"message": answer.content or "error", "type": "test_error", "param": answer.param, "code": answer.code}}
                data = answer.raw.encode() if answer.raw is not None else json.dumps(payload).encode()
                if answer.drip:  # leading blanks (still JSON) keep the last byte HOLD_LIMIT s away at least
                    data = b" " * int(HOLD_LIMIT / answer.drip) + data
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if answer.drip:
                        for byte in data:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(answer.drip)
                    else:
                        self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (the hang case)
                    pass

            def _held(self) -> bool:
                """Wait until the client hangs up (False), the server closes (False) or HOLD_LIMIT passes (True)."""
                deadline = time.monotonic() + HOLD_LIMIT
                while time.monotonic() < deadline:
                    if server._closing.wait(0.02):
                        return False
                    if select.select([self.connection], [], [], 0)[0] and not self.connection.recv(1, socket.MSG_PEEK):
                        return False
                return True

            def log_message(self, *args: object) -> None:
                pass

        return Handler


def refused_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
