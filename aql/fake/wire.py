"""Reading requests and writing replies: what the endpoints and the control API share."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus
from wsgiref.types import WSGIEnvironment


@dataclass
class _Reply:
    status: str
    content_type: str
    body: bytes


def _read_body(environ: WSGIEnvironment) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _read_form(environ: WSGIEnvironment) -> dict[str, str] | None:
    """The query string and form body merged (the body wins); None if not UTF-8 form data."""
    try:
        # PEP 3333 hands the query string over as Latin-1; the bytes underneath are UTF-8.
        query = environ.get("QUERY_STRING", "").encode("latin-1").decode("utf-8")
        body = _read_body(environ).decode("utf-8")
        params = dict(parse_qsl(query, keep_blank_values=True, errors="strict"))
        params.update(parse_qsl(body, keep_blank_values=True, errors="strict"))
    except (UnicodeError, ValueError):
        return None
    return params


def _without_password(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if key.lower() != "password"}


def _redact_query(query_string: str) -> str:
    """The query string with any password's value replaced by ***."""
    pieces = []
    for piece in query_string.split("&") if query_string else []:
        key = unquote_plus(piece.partition("=")[0], errors="replace")
        pieces.append("password=***" if key.lower() == "password" else piece)
    return "&".join(pieces)


def _json_reply(status: str, data: dict[str, Any]) -> _Reply:
    return _Reply(status, "application/json", json.dumps(data).encode("utf-8"))
