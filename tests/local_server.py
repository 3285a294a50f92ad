"""A local HTTP server for tests: each request goes to ``serve``, and is logged.

Used by handler_events.PresignShim and the portal's stand-ins (portal_harness.py).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes = b""

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Reply:
        return cls(
            status,
            {"Content-Type": "application/json", **(headers or {})},
            json.dumps(payload).encode(),
        )

    @classmethod
    def html(cls, status: int, text: str) -> Reply:
        return cls(status, {"Content-Type": "text/html; charset=utf-8"}, text.encode())

    @classmethod
    def redirect(cls, location: str) -> Reply:
        return cls(302, {"Location": location})


@dataclass(frozen=True)
class Seen:
    """One request a server got, and the answer it gave (bodies are not kept)."""

    method: str
    path: str  # with the query string
    headers: Mapping[str, str]
    status: int
    reply_headers: Mapping[str, str]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 (random port) that hands each request to ``serve``."""

    def __init__(self) -> None:
        self.log: list[Seen] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items()}
                try:
                    reply = owner.serve(self.command, self.path, headers, body)
                except Exception as error:  # a harness bug shows as a 500 with its type
                    reply = Reply.json(500, {"harnessError": type(error).__name__})
                seen = Seen(self.command, self.path, headers, reply.status, reply.headers)
                owner.log.append(seen)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _any

            def log_message(self, *_: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def serve(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Reply:
        raise NotImplementedError

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
