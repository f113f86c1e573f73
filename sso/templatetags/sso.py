"""The sign-in page's choices: the password form (unless PASSWORD_SIGN_IN is off) and the single
sign-on button (when OIDC_SERVER_URL is set)."""

from django import template
from django.conf import settings
from django.urls import reverse

from sso.adapter import PROVIDER_ID, configured

register = template.Library()


@register.simple_tag
def sign_in_options() -> dict[str, object]:
    """{"passwords": bool, "sso_name": the provider's name or "", "sso_url": where its button posts}."""
    sso = configured()
    return {"passwords": settings.PASSWORD_SIGN_IN,
            "sso_name": settings.OIDC_NAME if sso else "",
            "sso_url": reverse("openid_connect_login", kwargs={"provider_id": PROVIDER_ID}) if sso else ""}
