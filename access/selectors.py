"""Reads the account pages share."""

from typing import Any

from allauth.mfa.models import Authenticator
from django.db.models import QuerySet


def factors_of(*, user: Any) -> QuerySet[Authenticator]:
    """A user's enrolled factors, oldest first (recovery codes included: they are listed and renewed)."""
    return Authenticator.objects.filter(user_id=user.pk).order_by("created_at", "pk")
