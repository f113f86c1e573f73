"""Notifications: each person's preferences, the notices the worker made for them, and where the
worker has read the outbox up to."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Topic(models.TextChoices):
    """What a person can ask to hear about: one vocabulary for the preferences, the worker and the pages."""

    ATTENTION = "attention", "Requests needing attention"
    UNKNOWN = "unknown", "Outcomes still unknown after a while"
    BATCH = "batch", "Batches with failures, and large batches finished"
    STOCK = "stock", "Stock below its threshold, or running out soon"
    DRIFT = "drift", "Drift found (aql's record differed from ours)"
    REPLACEMENT = "replacement", "Replacements stopped, or waiting too long"
    WEBHOOK = "webhook", "Webhook subscriptions paused"


class Channel(models.TextChoices):
    """How: never, in the site only, or in the site and by email (at once, or gathered in a digest)."""

    OFF = "off", "Not at all"
    SITE = "site", "In the site only"
    IMMEDIATE = "immediate", "In the site, and by email at once"
    HOURLY = "hourly", "In the site, and in an hourly email"
    DAILY = "daily", "In the site, and in a daily email"


class Preference(models.Model):
    """A person's choice for one topic; without a row, their role's default (notices.defaults)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=20, choices=Topic.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "topic"], name="preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.topic}: {self.channel}"


class Notice(models.Model):
    """One thing one person is told about. `key` names what it is about (an outbox event, a request
    needing attention, a paused subscription): unique per person, so two workers or a restart never
    tell anyone twice. Title and link carry no personal details: the page behind the link shows them
    to whoever may see them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    topic = models.CharField(max_length=20, choices=Topic.choices)
    key = models.CharField(max_length=120, help_text="What it is about, e.g. event:UUID or request:42:attention")
    title = models.CharField(max_length=300)
    link = models.CharField(max_length=300, help_text="The site's path of what it is about")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    # When it goes by email (at once, or the end of its digest's hour or day); empty: not by email.
    email_due_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notice_once")]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="notice_recent"),  # the list page
            models.Index(fields=["user"], condition=Q(read_at__isnull=True), name="notice_unread"),  # the count
            models.Index(fields=["key"], name="notice_key"),  # "told already?" for standing conditions
            models.Index(fields=["created_at"], name="notice_created"),  # the worker's pruning
            models.Index(fields=["email_due_at"], condition=Q(emailed_at__isnull=True, email_due_at__isnull=False),
                         name="notice_mail_due"),  # the worker's "which emails are due"
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


class Cursor(models.Model):
    """How far the worker has read a source (the outbox, by id): its high-water mark."""

    name = models.CharField(max_length=40, unique=True)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.last_id}"
