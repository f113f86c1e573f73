"""The real OpenID Connect provider for these tests (tests/sso/provider.py; the browser tests use it too)."""

from tests.sso.provider import oidc_provider, provider

__all__ = ["oidc_provider", "provider"]
