"""What running it keeps of its own: the seals of the audit trail (ops.seal) and each verification's result."""

from django.db import models


class Seal(models.Model):
    """One link of a table's hash chain: every row of `table` whose id is in (after_id, last_id] when it
    was sealed, each with a keyed tag of its canonical form (`entries`), and the running digest of the
    chain up to here (this link's entries chained to the previous link's digest)."""

    table = models.CharField(max_length=60, help_text="The sealed model, as app_label.ModelName")
    after_id = models.BigIntegerField(help_text="The previous link's last id (0 for the first)")
    first_id = models.BigIntegerField(help_text="The lowest id sealed here")
    last_id = models.BigIntegerField(help_text="Every id up to this one (and above after_id) is sealed here")
    count = models.IntegerField(help_text="How many rows were sealed")
    digest = models.CharField(max_length=64, help_text="The chain's running digest (HMAC-SHA256, hex)")
    key_id = models.CharField(max_length=16, help_text="Which key sealed it (a fingerprint, not the key)")
    entries = models.BinaryField(help_text="Each row's id and tags, compressed")
    sealed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # One link after each: two sealers at once (the worker and `manage.py audit seal`) cannot fork the
        # chain; the second's insert fails and it stops, with no lock on anything else.
        constraints = [models.UniqueConstraint(fields=["table", "after_id"], name="seal_one_link_after_each")]
        indexes = [models.Index(fields=["table", "-last_id"], name="seal_head")]

    def __str__(self) -> str:
        return f"{self.table} ({self.after_id}, {self.last_id}]: {self.count} rows"


class SealCheck(models.Model):
    """One verification of the sealed trail (`manage.py audit verify`, or the worker daily): when, whether
    every sealed row matched, the first that did not in words, and each table's chain head it saw (the
    next verification checks those links are still there: seals deleted to hide an edit are found)."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    matched = models.BooleanField()
    mismatches = models.IntegerField(default=0)
    sealed = models.BigIntegerField(default=0, help_text="Rows checked")
    unsealed = models.BigIntegerField(default=0, help_text="Rows written since the last seal (not yet sealed)")
    words = models.TextField(help_text="What was found, in words")
    heads = models.JSONField(default=dict, help_text="Each table's last link seen: {table: [last_id, digest]}")
    seconds = models.FloatField(default=0)

    class Meta:
        ordering = ["-at", "-id"]
        get_latest_by = "at"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {'matched' if self.matched else 'MISMATCH'}"
