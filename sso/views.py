"""The provider's start and callback pages: django-allauth's, except that a provider that does not
answer (its discovery document or token endpoint unreachable, or answering nonsense) is said in
words on our page instead of a server error. allauth calls the provider with requests, whose
errors are all OSErrors (RequestException derives from IOError): caught as such, since only aql/
imports requests here. And the re-check page for a second factor that is the provider's."""

from allauth.account.internal.decorators import login_not_required
from allauth.account.internal.flows.reauthentication import resume_request
from allauth.socialaccount.providers.openid_connect import views as allauth_views
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from access import policy
from sso import recheck as sso_recheck
from sso.adapter import PROVIDER_ID, configured, did_not_complete


@login_not_required
def start(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        return allauth_views.login(request, provider_id)
    except OSError as exc:
        return did_not_complete(request, error="unreachable", exception=exc)


@login_not_required
def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        return allauth_views.callback(request, provider_id)
    except OSError as exc:
        return did_not_complete(request, error="unreachable", exception=exc)


def recheck(request: HttpRequest) -> HttpResponse:
    """Where access.decorators sends someone whose second factor is the provider's, with the action
    they sent kept (`next`): a button to sign in at the provider again (sso.recheck). Back here with
    the factor counted, the kept action is sent on, as allauth does after its own re-check."""
    if not configured():
        raise Http404("Single sign-on is not set up here.")
    if policy.second_factor_recent(request):
        return resume_request(request) or HttpResponseRedirect("/")
    return render(request, "sso/recheck.html", {
        "provider": settings.OIDC_NAME,
        "start": sso_recheck.start_url(provider_id=PROVIDER_ID, back=request.get_full_path()),
    })
