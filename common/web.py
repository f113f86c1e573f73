"""The staff pages' one refusal handler: a service's refusal becomes a message on the page the
agent was on, never an error page."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from common.errors import REFUSALS, refusal_text
from common.outcomes import Outcome

View = Callable[..., HttpResponse]


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
