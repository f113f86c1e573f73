"""How a delivery is signed: as the Standard Webhooks specification says (standardwebhooks.com),
so an integrator checks it with that specification's own libraries in any language.

The secret is `whsec_` and the base64 of the key's bytes; each delivery carries `webhook-id` (the
event's id, the same on every retry), `webhook-timestamp` (Unix seconds of this attempt) and
`webhook-signature`: `v1,` and the base64 HMAC-SHA256, keyed with the key's bytes, of
`<id>.<timestamp>.<body>`."""

import base64
import binascii
import hashlib
import hmac
import secrets

from common.errors import Refused

PREFIX = "whsec_"
ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "webhook-id", "webhook-timestamp", "webhook-signature"
KEY_BYTES = (24, 64)  # the specification's advice for a key's length
PLAIN_AT_MOST = 100  # bytes of a secret given in plain text (the rule before whsec_): its whsec_ form fits


def secret_of(key: bytes) -> str:
    """The `whsec_` form of a key: what is kept, and shown to the integrator once."""
    return PREFIX + base64.b64encode(key).decode()


def key_of(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX), validate=True)


def secret_clean(given: str | None) -> str:
    """The secret to keep, in its `whsec_` form: made when not given; a `whsec_` secret as given; a
    plain one (24 to 100 printable characters, as before) with its own bytes as the key."""
    if given is None or given == "":
        return secret_of(secrets.token_bytes(32))
    if given.startswith(PREFIX):
        try:
            size = len(key_of(given))
        except (binascii.Error, ValueError):
            size = 0
        if not KEY_BYTES[0] <= size <= KEY_BYTES[1]:
            raise Refused(f"A {PREFIX} secret is {PREFIX} and the base64 of {KEY_BYTES[0]} to {KEY_BYTES[1]} "
                          "random bytes (or leave it out: one is made).", "secret")
        return given
    if (not 24 <= len(given) <= 100 or not given.isprintable() or given != given.strip()
            or len(given.encode()) > PLAIN_AT_MOST):
        raise Refused("A secret is 24 to 100 printable characters, without spaces at either end, or a "
                      f"{PREFIX} secret (or leave it out: one is made).", "secret")
    return secret_of(given.encode())


def signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,` and the base64 HMAC-SHA256, keyed with the secret's bytes, of "<id>.<timestamp>.<body>"."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key_of(secret), signed, hashlib.sha256).digest()).decode()


def signed_headers(secret: str, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers a delivery carries to be verified."""
    return {ID_HEADER: msg_id, TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature(secret, msg_id, timestamp, body)}
