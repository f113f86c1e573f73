"""The staff pages' refusal handlers: a service's refusal becomes a message on the page the agent
was on, never an error page; an action the user has no permission for becomes a 403 page in
words, recorded in the audit trail. And the middleware that says which interface a request came
through (the staff site or Django admin)."""

import logging
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

import structlog
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render, resolve_url
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme

from common import audit
from common.errors import REFUSALS, refusal_text
from common.models import AuditAction, AuditEvent
from common.outcomes import Outcome
from common.roles import permission_words

View = Callable[..., HttpResponse]
RENEWED = "_renewed_at"  # in the session: when IdleSessionMiddleware last moved its expiry (epoch seconds)


def say(request: HttpRequest, outcome: Outcome) -> None:
    """Show an outcome as a message at its level."""
    messages.add_message(request, outcome.level, outcome.text)


def shows_refusals(back: str | Callable[[HttpRequest], str]) -> Callable[[View], View]:
    """Catch a refusal raised by the view, show it in words, and send the agent back: to the
    URL named `back` (reversed with the view's own arguments), or where `back(request)` says."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                return view(request, *args, **kwargs)
            except REFUSALS as exc:
                messages.error(request, refusal_text(exc))
                return redirect(back(request) if callable(back) else resolve_url(back, *args, **kwargs))

        return wrapped

    return decorate


def posted_next(default: str) -> Callable[[HttpRequest], str]:
    """Back to the page named in the form's `next` field, if it is one of ours; else to `default`."""

    def back(request: HttpRequest) -> str:
        url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
            url = resolve_url(default)  # only ever back to a page of ours
        return url

    return back


def forbidden(request: HttpRequest, permission: str) -> HttpResponse:
    """The 403 page for an action the user may not do, said in words and recorded."""
    what = permission_words(permission)
    AuditEvent.objects.create(actor=request.user if request.user.is_authenticated else None,
                              action=AuditAction.FORBIDDEN, subject=request.path[:200],
                              message=f"Refused: {request.method} {request.path} needs permission to {what}.")
    return render(request, "403.html", {"what": what}, status=403)


def requires(permission: str) -> Callable[[View], View]:
    """Let the view run only for a user holding `permission`; anyone else gets `forbidden`. The
    one place the staff site checks what a user may do: buttons are hidden too, but this decides."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.has_perm(permission):
                return forbidden(request, permission)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


class InterfaceMiddleware:
    """Everything a request records came through the staff site, Django admin or the API."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        interface = (audit.Interface.ADMIN if request.path.startswith("/admin/") else audit.Interface.API
                     if request.path.startswith("/api/") else audit.Interface.WEB)
        with audit.via(interface):
            return self.get_response(request)


class LogContextMiddleware:
    """Every line logged while a request is served names the signed-in user (the acting user) and
    what was asked (method and path). After AuthenticationMiddleware. A request without a session
    cookie (a health probe, a metrics scrape) is not looked up: it has no user, and /healthz must
    not touch the database."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ids = {"method": request.method, "path": request.path}
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            ids["user"] = request.user.get_username()
        with structlog.contextvars.bound_contextvars(**ids):
            return self.get_response(request)


class BadHostMiddleware:
    """A request for a host we do not serve gets a plain 400, even with DEBUG on: Django's debug
    page for it could be read by a page that points its own name at this machine (DNS rebinding).
    First in MIDDLEWARE."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request.get_host()
        except DisallowedHost as exc:
            logging.getLogger("django.security.DisallowedHost").error(str(exc))
            return HttpResponseBadRequest("Bad request: this site does not answer to that host name.",
                                          content_type="text/plain")
        return self.get_response(request)


class IdleSessionMiddleware:
    """A session ends after SESSION_COOKIE_AGE without the agent doing anything: a request renews it,
    except the pages' own refreshes (htmx polling), so a page left open does not keep a signed-in
    session alive for ever. Renewed (saved) only when its last renewal is SESSION_RENEW_EVERY old: a
    page view is not a database write (on SQLite, every click would take the worker's write lock), and
    the idle limit is kept to within that margin. After SessionMiddleware."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        polling = request.method == "GET" and request.headers.get("HX-Request") == "true"  # the pages' only htmx
        if not polling and request.user.is_authenticated:
            now = int(time.time())
            if now - request.session.get(RENEWED, 0) >= settings.SESSION_RENEW_EVERY:
                request.session[RENEWED] = now  # saved again, so its expiry moves on
        return response


def session_renewed(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Signing in saves the session anyway: its renewal starts now, not with the next page's save."""
    if request is not None and hasattr(request, "session"):
        request.session[RENEWED] = int(time.time())


@login_not_required
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on every page, admin's too: the one icon, without a sign-in."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))
