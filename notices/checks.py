"""A deployment check: the links in notification emails must lead to the site, not to this machine."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Tags, Warning, register

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@register(Tags.security, deploy=True)
def site_url_names_the_site(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """SITE_URL left at its default (this machine) in production: every email's link would be dead."""
    url = urlsplit(settings.SITE_URL)
    if settings.LOOPBACK_ONLY or (url.scheme == "https" and url.hostname not in LOOPBACK):
        return []
    return [Warning(f"SITE_URL is {settings.SITE_URL}: the links in notification emails would not reach the site.",
                    hint="Set SITE_URL to the https:// address staff reach the site by, e.g. "
                         "https://backoffice.example.com.", id="notices.W001")]
