"""Plumbing shared by the fake GitHub and GitLab servers: a threaded stdlib server on 127.0.0.1 with JSON routes."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.M)


class Reply(Exception):
    """Raised by a route to answer with a status, a JSON body and headers."""

    def __init__(self, status: int, body: object, headers: dict[str, str] | None = None):
        self.status, self.body, self.headers = status, body, headers or {}


def diff_lines(diff_text: str) -> dict[str, dict[int, int | None]]:
    """Right-side lines of each file's hunks → old line (context) or None (added); an independent hunk reader."""
    result: dict[str, dict[int, int | None]] = {}
    for part in diff_text.split("diff --git ")[1:]:
        path = re.search(r"^\+\+\+ b/(.*)$", part, re.M)
        if not path:
            continue
        lines = result.setdefault(path.group(1), {})
        body = part.splitlines()
        for i, text in enumerate(body):
            hunk = _HUNK.match(text)
            if not hunk:
                continue
            old, new = int(hunk.group(1)), int(hunk.group(3))
            for row in body[i + 1 :]:
                if row.startswith("@@") or row[:1] not in ("+", "-", " "):
                    break
                if row.startswith("+"):
                    lines[new] = None
                    new += 1
                elif row.startswith("-"):
                    old += 1
                else:
                    lines[new] = old
                    old, new = old + 1, new + 1
    return result


class LoopbackServer:
    """A threaded HTTP server on 127.0.0.1 (a free port) that serves while used as a context manager."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class FakeServer(LoopbackServer):
    """Subclasses set ``routes``: (method, path regex, method name); a handler returns JSON or (status, JSON, headers)."""

    page_size = 2
    routes: ClassVar[list[tuple[str, str, str]]] = []

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.rate_limit_pending = 0
        self.rate_limited = 0
        self.outage = 0  # a status (e.g. 502) every request gets while set
        # keyed by "METHOD /path-prefix": (status, headers) the next such requests get, not applied
        self.refuse_next: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.lose_answers: dict[str, int] = {}  # likewise: how many of the next such requests are applied, then answered 502 (a proxy's timeout)
        self.lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, body, headers = fake.dispatch(self.command, self.path, dict(self.headers), raw)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        super().__init__(Handler)
        self.url = self.origin

    def dispatch(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> tuple[int, object, dict[str, str]]:
        parts = urlsplit(target)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.requests.append((method, parts.path, headers))
            try:
                if self.outage:
                    raise Reply(self.outage, {"message": "Bad Gateway"})
                self.authenticate(headers)
                if self.rate_limit_pending:
                    self.rate_limit_pending -= 1
                    self.rate_limited += 1
                    raise self.rate_limit_reply()
                request = f"{method} {parts.path}"
                refuse = next((k for k, answers in self.refuse_next.items() if answers and request.startswith(k)), None)
                if refuse is not None:
                    status, headers = self.refuse_next[refuse].pop(0)
                    raise Reply(status, {"message": "refused unprocessed"}, headers)
                answer = self.route(method, parts.path, query, json.loads(raw) if raw else {})
                lose = next((k for k, n in self.lose_answers.items() if n and request.startswith(k)), None)
                if lose is not None and answer[0] < 300:
                    self.lose_answers[lose] -= 1
                    raise Reply(502, {"message": "Bad Gateway"})  # applied: only the answer is lost
                return answer
            except Reply as reply:
                return reply.status, reply.body, reply.headers

    def route(self, method: str, path: str, query: dict[str, str], body: object) -> tuple[int, object, dict[str, str]]:
        for route_method, pattern, name in self.routes:
            match = re.fullmatch(pattern, path)
            if match and route_method == method:
                result = getattr(self, name)(match, query, body)
                return (200, result, {}) if not isinstance(result, tuple) else result
        raise Reply(404, {"message": "Not Found"})

    def authenticate(self, headers: dict[str, str]) -> None:
        raise NotImplementedError

    def rate_limit_reply(self) -> Reply:
        raise NotImplementedError

    def page(self, path: str, items: list, query: dict[str, str]) -> tuple[int, list, dict[str, str]]:
        """One page of ``items``, at most ``page_size`` long whatever ``per_page`` asks, with a Link header."""
        size = min(int(query.get("per_page", self.page_size)), self.page_size)
        number = int(query.get("page", 1))
        chunk = items[(number - 1) * size : number * size]
        headers = {}
        if number * size < len(items):
            following = urlencode({**query, "page": number + 1, "per_page": size})
            headers = {"Link": f'<{self.url}{path}?{following}>; rel="next"', "X-Next-Page": str(number + 1)}
        return 200, chunk, headers
