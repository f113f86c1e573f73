"""A role that must have a second factor does nothing else until it has one: every page, admin page,
form and htmx request of a session without one is turned to enrolling (or to giving the factor, when
one is enrolled but this session has not given it). The API (bearer keys) has no session: untouched."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import urlencode

from access import policy
from access.decorators import recheck_url

View = Callable[[HttpRequest], HttpResponse]

# What such a user may still reach: enrolling itself (allauth's pages, our account page), signing out,
# and what those pages load. Everything else waits for the second factor.
OPEN_PREFIXES = ("/accounts/", "/account/", "/logout/", "/static/", "/favicon.ico")


class SecondFactorMiddleware:
    """After AuthenticationMiddleware and allauth's AccountMiddleware."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Cheapest first: a session that gave the factor costs no query (pages pin their query counts).
        api_call = request.path.startswith("/api/") and "Authorization" in request.headers  # a key acts, not a session
        if api_call or not request.user.is_authenticated:
            return self.get_response(request)
        if request.path.startswith(OPEN_PREFIXES):
            # The page's header asks only if it shows (base.html: what a held user cannot reach is not drawn).
            request.second_factor_held = SimpleLazyObject(  # type: ignore[attr-defined]
                lambda: not policy.second_factor_given(request) and policy.must_have_second_factor(request.user))
            return self.get_response(request)
        if policy.second_factor_given(request) or not policy.must_have_second_factor(request.user):
            return self.get_response(request)
        enrolled = policy.has_second_factor(request.user)
        target = recheck_url(request.user) if enrolled else reverse("access:account")
        if request.method in ("GET", "HEAD") and request.headers.get("HX-Request") != "true":
            return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        # A form sent or an htmx request: refused in words, and htmx told to go where the factor is set up.
        body = render_to_string("access/second_factor_first.html", {"target": target, "enrolled": enrolled},
                                request=request)
        response = HttpResponse(body, status=403)
        if request.headers.get("HX-Request") == "true":
            response["HX-Redirect"] = target
        return response
