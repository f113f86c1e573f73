"""API keys, and the first answer to each write sent with an Idempotency-Key."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models


class ApiKey(models.Model):
    """A key an integrator's system calls the API with: made and revoked by admins, shown once, kept
    only as a hash. It may do what its role may (one of the staff roles), on behalf of its owner:
    everything it does is recorded as the owner's, through the API, with the key's name."""

    name = models.CharField(max_length=60, help_text="What it is for, e.g. 'shop' or 'CRM'")
    prefix = models.CharField(max_length=16, unique=True, editable=False,
                              help_text="The key's first part: tells keys apart, is not secret")
    hashed = models.CharField(max_length=64, editable=False)  # sha256 of the whole key (never the key itself)
    role = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="+",
                             help_text="What the key may do: this role's permissions")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys",
                              help_text="Who its calls are recorded as")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotentReply(models.Model):
    """A write's first answer, kept a day under the client's Idempotency-Key: the same key with the
    same request gets it again (no second command to aql), with another request a refusal."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    idempotency_key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64)  # sha256 of method, path and body
    status = models.PositiveSmallIntegerField(null=True, blank=True)  # empty: the first is still being done
    body = models.JSONField(null=True, blank=True)
    location = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "idempotency_key"], name="one_reply_per_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.idempotency_key} ({self.status or 'being done'})"
