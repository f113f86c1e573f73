"""The one way out to aql: a requests session that always has a timeout, and three failures.
Webhooks go out the same way (`post_json`): the same session class, no redirects, no retries.

Every call POSTs a form, so credentials travel in the body, never in a URL (URLs end up in
proxies' and servers' logs). Nothing is retried here: resending a command could make aql act
twice, so whether to try again is the caller's decision, made with `aql.codes` advice.
"""

import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext, suppress
from typing import Any
from urllib.parse import urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.connection

from aql.codes import Code


class GatewayError(Exception):
    """Something went wrong talking to aql."""


class GatewayRejected(GatewayError):
    """aql answered and refused: it did not act. Carries every code it gave, with meanings."""

    def __init__(self, codes: Sequence[Code], body: str = "") -> None:
        self.codes = tuple(codes)
        self.body = body
        super().__init__("; ".join(str(c) for c in self.codes))

    @property
    def numbers(self) -> tuple[int, ...]:
        return tuple(c.code for c in self.codes)


class GatewayUnreachable(GatewayError):
    """No answer came back (refused, timed out, HTTP error status). Whether aql acted is unknown.
    `http_status` is the status of an HTTP answer that was not aql's (none when no answer came)."""

    def __init__(self, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class GatewayReplyUnreadable(GatewayError):
    """aql answered with something we cannot read. Whether it acted is unknown. Keeps the body."""

    def __init__(self, reason: str, body: str) -> None:
        self.reason = reason
        self.body = body[:2000]
        super().__init__(f"{reason}: {self.body[:200]!r}")


class GatewaySession(requests.Session):
    """Every request gets the configured timeout, whatever the caller forgot to pass, and is made
    inside `gate()` when one is given (a caller's limit on calls at once)."""

    def __init__(self, timeout: float, gate: Callable[[], AbstractContextManager] = nullcontext) -> None:
        super().__init__()
        self.timeout, self.gate = timeout, gate
        self.headers["User-Agent"] = "mvnoadmin"

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        with self.gate():
            return super().request(method, url, *args, **kwargs)


class GatewayClient:
    """What both of aql's endpoint clients hold: one account's credentials and one reused connection."""

    def __init__(self, *, url: str, username: str, password: str, timeout: float,
                 session: requests.Session | None = None) -> None:
        self.url = url
        self.username = username
        self._password = password
        self.session = session or GatewaySession(timeout)

    def __repr__(self) -> str:  # never the password
        return f"{type(self).__name__}(url={self.url!r}, username={self.username!r})"


def post_form(session: requests.Session, url: str, fields: Mapping[str, str]) -> str:
    """POST `fields` as a form and return the reply's text, or raise GatewayUnreachable."""
    try:
        # No redirects: following one would resend the credentials to wherever it points
        # (307/308), or drop them after they had already gone (301/302 turn POST into GET).
        response = session.post(url, data=fields, allow_redirects=False)
    except requests.Timeout as exc:
        raise GatewayUnreachable(f"aql did not answer {url} in time ({type(exc).__name__})") from exc
    except requests.RequestException as exc:
        raise GatewayUnreachable(f"could not reach aql at {url} ({type(exc).__name__})") from exc
    if response.status_code != 200:
        raise GatewayUnreachable(f"aql answered HTTP {response.status_code} from {url}", response.status_code)
    # aql declares no charset; requests would guess Latin-1 for text/plain.
    return response.content.decode("utf-8", errors="replace")


class PeerRefused(OSError):
    """The connection reached an address the caller's rule refuses (a webhook into our network)."""


class Guarded(requests.adapters.HTTPAdapter):
    """Connections checked where it counts, on the socket itself: its peer's address must pass
    `refused` (else the connection is closed before a byte is sent), whatever DNS said to an
    earlier check (a name may answer a public address to the check and a private one to the
    connection: DNS rebinding). And each connection is cut `deadline` seconds after it was made,
    however slowly the other side trickles its answer: a timeout alone bounds each read, not the
    whole exchange. Meant for a session whose connections are not kept (Connection: close)."""

    def __init__(self, refused: Callable[[str], bool], deadline: float) -> None:
        self.refused, self.deadline = refused, deadline
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        refused, deadline = self.refused, self.deadline

        def checked(sock: socket.socket) -> socket.socket:
            if refused(sock.getpeername()[0]):
                sock.close()
                raise PeerRefused("the address it answered from is refused")
            cut = threading.Timer(deadline, _cut, (sock,))
            cut.daemon = True
            cut.start()
            return sock

        class Http(urllib3.connection.HTTPConnection):
            def _new_conn(self) -> socket.socket:
                return checked(super()._new_conn())

        class Https(urllib3.connection.HTTPSConnection):
            def _new_conn(self) -> socket.socket:
                return checked(super()._new_conn())

        self.poolmanager.pool_classes_by_scheme = {
            "http": type("HttpPool", (urllib3.HTTPConnectionPool,), {"ConnectionCls": Http}),
            "https": type("HttpsPool", (urllib3.HTTPSConnectionPool,), {"ConnectionCls": Https})}


def _cut(sock: socket.socket) -> None:
    with suppress(OSError):  # closed already (its exchange over): nothing to cut
        sock.shutdown(socket.SHUT_RDWR)


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether `kind` is somewhere under `exc` (requests wraps urllib3's errors, which wrap the socket's)."""
    seen, todo = set(), [exc]
    while todo:
        found = todo.pop()
        if id(found) in seen:
            continue
        seen.add(id(found))
        if isinstance(found, kind):
            return True
        todo += [e for e in (found.__cause__, found.__context__, getattr(found, "reason", None), *found.args)
                 if isinstance(e, BaseException)]
    return False


def guarded_session(timeout: float, refused: Callable[[str], bool], deadline: float) -> GatewaySession:
    """A session for integrators' URLs: the forced timeout, the peer's address checked on each
    connection, each exchange cut after `deadline` seconds (see Guarded)."""
    session = GatewaySession(timeout)
    session.headers["Connection"] = "close"
    session.deadline = deadline  # type: ignore[attr-defined]  (post_json reads it)
    adapter = Guarded(refused, deadline)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def post_json(session: requests.Session, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, float]:
    """POST `body` (JSON) with `headers` to `url` (an integrator's webhook), and return the HTTP
    status and the seconds it took; the reply's body is not read. Raise GatewayUnreachable when no
    answer came. Errors name the host only: an integrator's URL may carry a token of its own."""
    host = urlsplit(url).hostname or "?"
    started = time.monotonic()
    try:
        # No redirects: a signed event goes to the address subscribed, never where a reply points
        # (which could be inside our network, past the address check).
        with session.post(url, data=body, headers={"Content-Type": "application/json", **headers},
                          allow_redirects=False, stream=True) as response:
            took = time.monotonic() - started
            # A guarded session cuts the connection at its deadline: what was read by then is no answer.
            if (deadline := getattr(session, "deadline", None)) and took >= deadline:
                raise GatewayUnreachable(f"{host} took more than {deadline:g} s to answer: cut off")
            return response.status_code, took
    except requests.Timeout as exc:
        raise GatewayUnreachable(f"{host} did not answer in time ({type(exc).__name__})") from exc
    except requests.RequestException as exc:
        if _caused_by(exc, PeerRefused):
            raise GatewayUnreachable(f"{host} answered from a private, loopback, link-local or reserved "
                                     "address: not sent") from exc
        # The cut can land before the status line was read (a slow peer, a busy machine): still the cut.
        if (deadline := getattr(session, "deadline", None)) and time.monotonic() - started >= deadline:
            raise GatewayUnreachable(f"{host} took more than {deadline:g} s to answer: cut off") from exc
        raise GatewayUnreachable(f"could not reach {host} ({type(exc).__name__})") from exc
