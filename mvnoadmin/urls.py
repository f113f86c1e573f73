"""URL configuration: sign-in, Django admin, the API, and each app's pages (its own urls.py, namespaced)."""

from allauth.account import views as allauth_views
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, re_path

from access import views as access_views
from api.v1 import api
from common.urls import strict_converter
from common.web import favicon
from ops import connection

# Error pages in the site's frame, with a way back (500 and 403: templates Django renders itself).
handler400 = "common.errorpages.bad_request"
handler404 = "common.errorpages.not_found"

strict_converter("iccid", r"[0-9]{19,20}")  # an ICCID: 19 or 20 digits
strict_converter("order_ref", r"[A-Z0-9-]{1,20}")  # our order references: capitals, digits and dashes

# The API signs its calls with keys, not sessions: not behind the sign-in page (its docs are).
api_urls = api.urls
for pattern in api_urls[0]:
    login_not_required(pattern.callback)

urlpatterns = [
    # Our own Admin pages, behind Django admin's gate (the Admin role), before its catch-all.
    path("admin/aql-connection/", admin.site.admin_view(connection.aql_connection), name="aql_connection"),
    path("admin/", admin.site.urls),
    path("api/v1/", api_urls),
    # Browsers ask for it on every page, admin's too: the one icon, without a sign-in.
    path("favicon.ico", favicon, name="favicon"),
    # Signing in is allauth's (password, then a second factor), at the address staff know; its second
    # step goes through ours first (django-axes in front of it), then the rest of allauth's pages.
    path("login/", allauth_views.login, name="login"),
    path("accounts/2fa/authenticate/", access_views.authenticate, name="mfa_authenticate"),
    # allauth's passkey removal never asks whether it is the last factor a role requires: ours does.
    path("accounts/2fa/webauthn/keys/<int:pk>/remove/", access_views.remove_passkey, name="mfa_remove_webauthn"),
    path("accounts/", include("sso.urls")),  # single sign-on: the provider's start and callback (before allauth.urls)
    # allauth's pages we do not offer: no sign-up, no e-mail addresses or passwords reset by e-mail
    # (Admins make accounts and set passwords), no password for an account single sign-on made (it
    # would outlive the provider's say), no linking of other accounts, no codes by e-mail.
    re_path(r"^accounts/(signup|email|confirm-email|password/(set|reset)|login/code|reauthenticate/code"
            r"|3rdparty/$|3rdparty/signup|social)", access_views.closed),
    path("accounts/", include("allauth.urls")),
    path("", include("access.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Each app's pages under its namespace ("sims:sim_detail"); the apps' own paths stay as they were.
    path("", include("ops.urls")),
    path("", include("dashboard.urls")),
    path("", include("sims.urls")),
    path("", include("orders.urls")),
    path("", include("notices.urls")),
    path("", include("reports.urls")),
]
