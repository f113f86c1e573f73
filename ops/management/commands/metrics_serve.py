"""Serve this machine's process counters for Prometheus, on a machine that runs a worker cluster
but no web processes (the web's /metrics serves them where both run): `manage.py metrics_serve
--port 9101`, started by deploy/worker when WORKER_METRICS_PORT is set. The same access rule as
/metrics (METRICS_TOKEN, METRICS_ALLOW). The deployment's figures (requests in flight, stock...)
are the web's: they come from the one database."""

from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from ops.metrics import guarded_app


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow scraper does not hold up the next


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # a scrape a minute is no news
        pass


class Command(BaseCommand):
    help = "Serve this machine's metrics (a worker cluster's calls to aql) to Prometheus until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=9101)
        parser.add_argument("--bind", default="0.0.0.0", help="the address to listen on (default: every one)")  # noqa: S104

    def handle(self, *args: Any, port: int, bind: str, **options: Any) -> None:
        app = guarded_app(token=settings.METRICS_TOKEN, allow=settings.METRICS_ALLOW)
        with make_server(bind, port, app, server_class=_Server, handler_class=_Quiet) as server:
            self.stdout.write(f"Serving this machine's metrics on {bind}:{port}")
            server.serve_forever()
