"""The provider's start and callback pages (django-allauth's), at the paths allauth.urls gives them
under accounts/: oidc/sso/login/ and oidc/sso/login/callback/ (the redirect URI to register). Its
error pages are ours (sso.adapter.SsoAdapter.on_authentication_error). When password sign-in moves
to allauth too, `include("allauth.urls")` at accounts/ serves the same two paths."""

from allauth.socialaccount.providers.openid_connect.urls import urlpatterns

__all__ = ["urlpatterns"]
