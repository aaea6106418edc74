"""Real local servers the channel tests talk to: an HTTP server that records posts and answers as scripted.

It stands in for the SMS provider (Twilio's API) and for a site system's
webhook receiver; the SMTP server is aiosmtpd's, started in `test_email.py`.
Everything listens on 127.0.0.1 at a port the system picks, and stops when the
test ends.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False
    """Answer nothing until the server stops (a receiver that times out)."""


@dataclass
class RecordingServer:
    url: str
    received: list[Received]
    answers: list[Answer]
    """Answered in order; the last one is repeated."""
    judge: Callable[[Received], Answer] | None = None
    """When set, decides each answer from the request instead of `answers`."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def recording_server() -> Iterator[RecordingServer]:
    stop = threading.Event()
    state = RecordingServer(url="", received=[], answers=[Answer()])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Received("POST", self.path, dict(self.headers.items()), self.rfile.read(length))
            state.received.append(request)
            if state.judge is not None:
                answer = state.judge(request)
            else:
                answer = state.answers.pop(0) if len(state.answers) > 1 else state.answers[0]
            if answer.hang:
                stop.wait(10)
                return
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
