"""What the notification pages read: a person's notices a page at a time, and their unread count."""

from django.contrib.auth.models import AbstractBaseUser

from common.paging import Page, seek
from notices.models import Notice

COUNT_AT_MOST = 100  # the header says "99+" beyond: counting a flood of unread notices is not worth it


def notice_page(*, user: AbstractBaseUser, unread_only: bool, cursor: str) -> Page:
    """`user`'s notices, newest first, a page at a time by seeking on the notice_recent index."""
    qs = Notice.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return seek(qs, ("-created_at", "-id"), cursor)


def unread_count(*, user: AbstractBaseUser) -> int:
    """How many of `user`'s notices are unread, up to COUNT_AT_MOST: one query on the notice_unread index."""
    return Notice.objects.filter(user=user, read_at__isnull=True).order_by()[:COUNT_AT_MOST].count()
