"""Serving `FakeAql` over HTTP: from a thread in the tests, or in the foreground (``aqlsim``)."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable
from socketserver import TCPServer, ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from aql.fake.core import FakeAql
from aql.redact import redact

PASSWORD_PARAM_RE = re.compile(r"(password=)[^&\s\"']*", re.IGNORECASE)


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server, one thread per request, so a hung reply holds up nobody else."""

    daemon_threads = True
    block_on_close = False  # server_close() does not wait for hung replies

    def server_bind(self) -> None:
        """As WSGIServer's, without the reverse DNS lookup (socket.getfqdn) that can stall."""
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _LoggingHandler(WSGIRequestHandler):
    """Logs one line per request to stderr, never with the password in it."""

    def log_message(self, format: str, *args: Any) -> None:
        app = self.server.get_app()  # type: ignore[attr-defined]
        password = app.account.password if isinstance(app, FakeAql) else ""
        line = redact(PASSWORD_PARAM_RE.sub(r"\1***", format % args), password, "***")
        sys.stderr.write(f"{self.address_string()} - [{self.log_date_time_string()}] {line}\n")


class _QuietHandler(_LoggingHandler):
    """Logs nothing (tests)."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _make_server(app: FakeAql, host: str, port: int, *, quiet: bool) -> ThreadingWSGIServer:
    server = ThreadingWSGIServer((host, port), _QuietHandler if quiet else _LoggingHandler)
    server.set_app(app)
    return server


def start_in_thread(app: FakeAql, host: str = "127.0.0.1", port: int = 0) -> tuple[ThreadingWSGIServer, str]:
    """Serve `app` from a daemon thread (port 0: any free port). Returns the server and base URL.

    Stop it with ``server.shutdown(); server.server_close()``.
    """
    server = _make_server(app, host, port, quiet=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="aqlsim", daemon=True
    )
    thread.start()
    return server, server.base_url


def serve(app: FakeAql, host: str, port: int, *, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve `app` until interrupted, logging each request. `on_ready` gets the base URL once bound."""
    server = _make_server(app, host, port, quiet=False)
    try:
        if on_ready is not None:
            on_ready(server.base_url)
        server.serve_forever()
    finally:
        server.server_close()
