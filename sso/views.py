"""The provider's start and callback pages: django-allauth's, except that a provider that does not
answer (its discovery document or token endpoint unreachable, or answering nonsense) is said in
words on our page instead of a server error. allauth calls the provider with requests, whose
errors are all OSErrors (RequestException derives from IOError): caught as such, since only aql/
imports requests here."""

from allauth.account.internal.decorators import login_not_required
from allauth.socialaccount.providers.openid_connect import views as allauth_views
from django.http import HttpRequest, HttpResponse

from sso.adapter import did_not_complete


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
