"""The provider's start and callback pages, at the paths and names allauth.urls gives them under
accounts/: oidc/sso/login/ and oidc/sso/login/callback/ (the redirect URI to register). Included
before allauth.urls wherever both are, so that ours (sso.views) answer those two paths. Beside
them, the re-check page for a second factor that is the provider's."""

from django.urls import path

from sso import views

urlpatterns = [
    path("oidc/<str:provider_id>/login/", views.start, name="openid_connect_login"),
    path("oidc/<str:provider_id>/login/callback/", views.callback, name="openid_connect_callback"),
    # The second factor asked again through the provider (access.decorators sends here).
    path("sso/recheck/", views.recheck, name="sso_recheck"),
]
