"""Error pages in the site's own frame (templates/base.html), in words, each with a way back: to
the page the agent came from when it is one of ours, else to the dashboard. Django's handlers
give bare words ("Not Found") or, for a method an address does not take, an empty page.

The 500 page is Django's own handler with templates/500.html: rendered with no request and an
empty context, perhaps with the database down, so it asks for neither. The 403 page of a
missing permission is `common.web.forbidden`; a form sent with an expired token gets
templates/403_csrf.html, which Django's CSRF view renders the same way as 500."""

from urllib.parse import urlsplit

from django.core.exceptions import DisallowedHost
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from common.web import View


class Missing(Http404):
    """Not found, said in staff's words: the 404 page shows this message (Django's own are for developers)."""


def came_from(request: HttpRequest) -> str | None:
    """The page of ours the agent came from (the Referer), unless it is this very address."""
    referer = request.headers.get("Referer", "")
    try:
        ours = url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()})
    except DisallowedHost:
        return None
    here = urlsplit(referer)
    back = here.path + (f"?{here.query}" if here.query else "")  # the path alone: it is our own site
    return back if ours and back != request.get_full_path() else None


def _page(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    return render(request, "error.html", {"title": title, "text": text, "back": came_from(request),
                                          "home": reverse("dashboard:home")}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400: a request Django refused to read (too many fields, a suspicious one)."""
    return _page(request, 400, "Bad request", "This request could not be read, so nothing was done. "
                 "If you came from a page of ours, go back and try again.")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: our own words when a view said what is missing, else plain ones."""
    said = str(exception) if isinstance(exception, Missing) else ""
    return _page(request, 404, "Not found", said or "Nothing is at this address: it may be mistyped, "
                 "or what it named is no longer here.")


class NotAllowedPageMiddleware:
    """An address that takes only a button's POST (require_POST), opened as a page: Django answers
    405 with an empty body, a blank page. Give it words and a way back; Django has no handler405.
    A 405 with a body of its own (the API's problem JSON) is left alone."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed) or response.content:
            return response
        page = _page(request, 405, "Not a page", "This address only works as a button on its page, "
                     "not opened by itself. Nothing was changed.")
        page["Allow"] = response["Allow"]
        return page
