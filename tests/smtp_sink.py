"""A real SMTP server on loopback (aiosmtpd) that keeps what arrives, for the tests and
the notification benchmark.

``hold`` makes the server stall every DATA until ``unhold()`` and then refuse it (451), as
a server does that never got to accept a message: the client may die meanwhile.
"""
from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):
        sink = self.sink
        if sink.hold:
            sink.holding.set()
            while not sink.release.is_set():
                await asyncio.sleep(0.02)
            return "451 try again later"
        if sink.parse:
            msg = email.message_from_bytes(envelope.content, policy=default)
        else:
            msg = envelope.content
        with sink.lock:
            sink.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


class SmtpSink:
    """``with SmtpSink() as sink:`` a server on 127.0.0.1:``sink.port``."""

    def __init__(self, port: int | None = None, parse: bool = True):
        self.port = port or free_port()
        self.parse = parse
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.lock = threading.Lock()
        self.hold = False
        self.holding = threading.Event()
        self.release = threading.Event()
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def unhold(self) -> None:
        """Refuse what is held; accept what comes next."""
        self.hold = False
        self.release.set()

    def __exit__(self, *exc) -> None:
        self.unhold()
        self.controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for rcpts, m in self.messages if address in rcpts]

    def recipients(self) -> list[str]:
        with self.lock:
            return sorted(r for rcpts, _ in self.messages for r in rcpts)

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if len(self.messages) >= count:
                    return
            time.sleep(0.02)


def serve_ids(port: int, out_path: str) -> None:
    """Serve until killed, appending each message's X-SLM-Mail-Id to ``out_path`` (one a
    line): the benchmark runs the server in a process of its own, as a real one would be."""
    import re
    import signal

    pattern = re.compile(rb"^X-SLM-Mail-Id: (\d+)", re.MULTILINE)
    out = open(out_path, "ab", buffering=0)  # noqa: SIM115 (lives as long as the server)

    class Ids:
        async def handle_DATA(self, server, session, envelope):
            found = pattern.search(envelope.content)
            out.write((found.group(1) if found else b"?") + b"\n")
            return "250 OK"

    controller = Controller(Ids(), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    import sys

    serve_ids(int(sys.argv[1]), sys.argv[2])
