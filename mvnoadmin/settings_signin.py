"""Settings for signing in: django-allauth's password sign-in, its second factor (access/) and single
sign-on through OpenID Connect (sso/). Read from the environment as mvnoadmin.settings is, which
imports every name here (kept apart: the settings file is long enough).
"""

import environ as _environ
from django.core.exceptions import ImproperlyConfigured as _Improperly

_env = _environ.Env()  # the environment, .env already read by mvnoadmin.settings

# Signing in is django-allauth's (access/ holds our part): a username and password, then a second
# factor for whoever has one (allauth.mfa: an authenticator app's code, a passkey or security key, or a
# recovery code). No sign-up: Admins make staff accounts. django-axes counts failures at both steps.
ACCOUNT_ADAPTER = "access.adapter.AccountAdapter"
ACCOUNT_FORMS = {"login": "access.forms.SignInForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = True  # the session lasts SESSION_IDLE_SECONDS idle, as before; no checkbox
ACCOUNT_LOGOUT_REDIRECT_URL = "login"
# django-axes counts failed sign-ins (in the database, so every process counts together): allauth's own
# count of them (in each process's cache) is off, or the two would disagree about who may try again.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
MFA_ADAPTER = "access.adapter.SecondFactorAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = _env.str("MFA_TOTP_ISSUER", default="mvnoadmin")
MFA_TOTP_PERIOD = 30  # seconds a code lasts (what every authenticator app assumes)
# The roles that must enrol a second factor before they can do anything else (their sign-in asks for it
# every time): Supervisor and Admin by default, "all" for every role. The others may enrol if they wish.
MFA_REQUIRED_ROLES = _env.list("MFA_REQUIRED_ROLES", default=["Supervisor", "Admin"])
# Making an API key, changing roles, ending a number's rest early and settling by hand ask for the
# second factor again when it was last given more than this many minutes ago.
MFA_RECHECK_MINUTES = _env.int("MFA_RECHECK_MINUTES", default=5)
ACCOUNT_REAUTHENTICATION_TIMEOUT = 60 * MFA_RECHECK_MINUTES  # allauth's own, before a factor is added or removed

# --- Single sign-on (sso/) -------------------------------------------------------
# OpenID Connect with any conforming provider (Entra ID, Google Workspace, Okta, Keycloak), through
# django-allauth. Off while OIDC_SERVER_URL is empty. The provider's groups (OIDC_GROUPS_CLAIM, read
# from the ID token and the userinfo answer) are mapped to our roles at every sign-in by the
# OIDC_ROLE_* lists (provider group names or ids); a person in none of them is refused. The redirect
# URI to register at the provider: https://HOST/accounts/oidc/sso/login/callback/ (README, "Production").
OIDC_SERVER_URL = _env.str("OIDC_SERVER_URL", default="")  # the issuer; /.well-known/openid-configuration is added
OIDC_CLIENT_ID = _env.str("OIDC_CLIENT_ID", default="")
OIDC_CLIENT_SECRET = _env.str("OIDC_CLIENT_SECRET", default="")
OIDC_NAME = _env.str("OIDC_NAME", default="single sign-on")  # the button says "Sign in with OIDC_NAME"
OIDC_SCOPES = _env.list("OIDC_SCOPES", default=["openid", "profile", "email"])  # Okta: add groups
OIDC_GROUPS_CLAIM = _env.str("OIDC_GROUPS_CLAIM", default="groups")  # Entra ID app roles: roles
OIDC_ROLE_GROUPS = {
    "Observer": _env.list("OIDC_ROLE_OBSERVER", default=[]),
    "Customer service": _env.list("OIDC_ROLE_CUSTOMER_SERVICE", default=[]),
    "Supervisor": _env.list("OIDC_ROLE_SUPERVISOR", default=[]),
    "Admin": _env.list("OIDC_ROLE_ADMIN", default=[]),
}
OIDC_DISABLED_CLAIM = _env.str("OIDC_DISABLED_CLAIM", default="")  # a claim that, when true, refuses and deactivates
# What the ID token's amr must name for the provider's sign-in to count as a second factor (RFC 8176).
OIDC_MFA_AMR = _env.list("OIDC_MFA_AMR", default=["mfa", "otp", "hwk", "swk", "fpt", "face", "iris", "retina", "sc"])
# PASSWORD_SIGN_IN=false: only single sign-on signs anyone in; every password is refused
# (common.auth.StaffBackend), Django admin's sign-in too. Needs OIDC_SERVER_URL.
PASSWORD_SIGN_IN = _env.bool("PASSWORD_SIGN_IN", default=True)
if OIDC_SERVER_URL and not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
    raise _Improperly("OIDC_SERVER_URL is set: set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too "
                               "(the client registered at the provider).")
if not PASSWORD_SIGN_IN and not OIDC_SERVER_URL:
    raise _Improperly("PASSWORD_SIGN_IN=false leaves no way to sign in: set OIDC_SERVER_URL "
                               "(single sign-on) or PASSWORD_SIGN_IN=true.")
# The provider is built from the OIDC_* settings above by the adapter (sso.adapter.SsoAdapter.list_apps),
# at each use: no SocialApp rows, no second place to configure it.
SOCIALACCOUNT_ADAPTER = "sso.adapter.SsoAdapter"
SOCIALACCOUNT_ONLY = False  # the password form stays ours (PASSWORD_SIGN_IN), not allauth's
SOCIALACCOUNT_LOGIN_ON_GET = False  # the sign-in page's button POSTs: no sign-in started by a link
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"  # the provider vouches for its people: no mail from us
SOCIALACCOUNT_EMAIL_REQUIRED = False
SOCIALACCOUNT_STORE_TOKENS = False  # we never call the provider's APIs for the user
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never joined to a password account by its address
