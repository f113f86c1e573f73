"""Masking a secret wherever it could be printed: as typed, and URL- or form-encoded."""

from urllib.parse import quote, quote_plus

MASK = "********"  # what stands where the secret was: the same in every log line and error page


def redact(text: str, secret: str, mask: str = MASK) -> str:
    """`text` with `secret` masked, as typed and as it looks inside a URL or a form body."""
    if secret:
        for form in {secret, quote_plus(secret), quote(secret, safe="")}:
            text = text.replace(form, mask)
    return text
