"""System checks on the gateway configuration (run by `manage.py check` and at start-up)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

LOOPBACK = {"localhost", "127.0.0.1", "::1"}


@register()
def gateway_urls_are_encrypted(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """aql documents the despatch endpoint as plain http: our password would cross the internet in clear."""
    found = []
    for name in ("AQL_USIM_URL", "AQL_DESPATCH_URL"):
        url = urlsplit(getattr(settings, name))
        if url.scheme != "https" and url.hostname not in LOOPBACK:
            found.append(Warning(
                f"{name} is {url.scheme}://{url.hostname}: the aql account password would travel unencrypted.",
                hint=f"Set {name} to an https:// address (aql's spec documents http for despatch; ask aql "
                     "for https) before using real credentials.",
                id="common.W001",
            ))
    return found
