"""Real local servers the channel tests talk to: an HTTP server that records posts and answers as scripted.

It stands in for the SMS provider (Twilio's API) and for a site system's
webhook receiver. The SMTP server is aiosmtpd's, with `Mailbox` keeping what
it accepts; `SmtpServer` stops and starts it again on the same port (a mail
server that is down for a while).
Everything listens on 127.0.0.1 at a port the system picks, and stops when the
test ends.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


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


class Mailbox:
    """aiosmtpd handler: keeps what it accepts; refuses or defers the recipients it is told to.

    With `hold_quit` set it answers nothing to QUIT until it is cleared: the
    client has had its message accepted (250) and waits, as a worker does
    between sending and marking.
    """

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: set[str] = set()
        self.defer: set[str] = set()
        self.hold_quit = False

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        if address in self.defer:
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):
        while self.hold_quit:
            await asyncio.sleep(0.05)
        return "221 Bye"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 at a fixed port, which can be stopped and started again (the same `Mailbox`)."""

    def __init__(self, handler: Mailbox | None = None) -> None:
        self.handler = handler or Mailbox()
        self.port = free_port()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
