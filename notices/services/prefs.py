"""A person's preferences (their role's defaults unless they chose otherwise), and marking notices read."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from common.errors import Refused
from notices.defaults import default_channel, role_of, topics_for
from notices.models import Channel, Notice, Preference, Topic

BY_EMAIL = (Channel.IMMEDIATE, Channel.HOURLY, Channel.DAILY)


def user_role(user: AbstractBaseUser) -> str | None:
    """The user's highest role, from their groups (prefetched by the caller when it has many users)."""
    return role_of({g.name for g in user.groups.all()}, superuser=user.is_superuser)


def preferences_for(*, user: AbstractBaseUser) -> dict[Topic, Channel]:
    """What `user` hears about and how, topic by topic (only the topics their role may hear about): their
    own choice where they made one, their role's default otherwise. Two queries."""
    role = user_role(user)
    chosen = dict(Preference.objects.filter(user=user).values_list("topic", "channel"))
    return {topic: Channel(chosen.get(topic, default_channel(role, topic))) for topic in topics_for(role)}


def preferences_save(*, user: AbstractBaseUser, choices: dict[str, str]) -> None:
    """Keep `user`'s choice for each topic. A topic their role may not hear about, or a channel that is not
    one, is refused and nothing changes."""
    allowed = topics_for(user_role(user))
    for topic, channel in choices.items():
        if topic not in allowed:
            raise Refused("Your role is not told about that.", field=topic)
        if channel not in Channel.values:
            raise Refused("Choose one of the ways offered.", field=topic)
    with transaction.atomic():
        Preference.objects.filter(user=user).delete()
        Preference.objects.bulk_create([Preference(user=user, topic=t, channel=c) for t, c in choices.items()])


def notice_mark_read(*, user: AbstractBaseUser, notice_id: int | None = None) -> int:
    """Mark one of `user`'s notices read, or all of them (`notice_id` None). Returns how many changed;
    someone else's notice is left alone (0)."""
    unread = Notice.objects.filter(user=user, read_at__isnull=True)
    if notice_id is not None:
        unread = unread.filter(pk=notice_id)
    return unread.update(read_at=timezone.now())


def email_due(channel: Channel, now: datetime) -> datetime | None:
    """When a notice in `channel` goes by email: now, at the end of this hour (the hourly digest), at the
    next NOTIFY_DAILY_AT o'clock, local time (the daily one), or never."""
    if channel == Channel.IMMEDIATE:
        return now
    local = timezone.localtime(now)
    if channel == Channel.HOURLY:
        return local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if channel == Channel.DAILY:
        at = local.replace(hour=settings.NOTIFY_DAILY_AT, minute=0, second=0, microsecond=0)
        return at if at > local else at + timedelta(days=1)
    return None
