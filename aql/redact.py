"""Masking a secret wherever it could be printed: as typed, and URL- or form-encoded."""

from urllib.parse import quote, quote_plus


def redact(text: str, secret: str, mask: str = "********") -> str:
    """`text` with `secret` masked, as typed and as it looks inside a URL or a form body."""
    if secret:
        for form in {secret, quote_plus(secret), quote(secret, safe="")}:
            text = text.replace(form, mask)
    return text
