"""A real HTTP receiver for webhook tests: ``http.server`` in a thread on 127.0.0.1:0.

It records every request (path, headers, body) and answers 500 to the first ``fail_first``
requests, or holds requests until released (``hang``) to make the sender time out.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    fail_first: int = 0
    status: int = 204
    hang: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """Start a receiver; stop it (and release hung requests) on exit."""
    box: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            rec = box["r"]
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with rec.lock:
                rec.requests.append(Received(self.path, dict(self.headers.items()), body))
                failing = len(rec.requests) <= rec.fail_first
            if rec.hang:
                rec.release.wait(10)
            code = 500 if failing else rec.status
            self.send_response(code)
            text = b"receiver says no" if failing else b""
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    box["r"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield box["r"]
    finally:
        box["r"].release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
