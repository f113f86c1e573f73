"""Email: every notice due by now for a person goes in one message (their immediate ones and the
digests whose hour or day has ended, together), never one message a notice. A topic with many lines
gives its first few and how many more, with the link to the list: a flood is a line.

Each person's due notices are claimed (emailed_at set) in one statement before the message is sent,
so two workers never send the same notice; if the server refuses, the claim is let go and the next
pass tries again. A worker killed between claim and send loses that one message (never sends twice).
"""

import logging
import smtplib
from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from notices.models import Notice, Topic

log = logging.getLogger(__name__)
LINES_PER_TOPIC = 10  # then "and N more": a thousand drifts are one line more, not a thousand
PEOPLE_PER_PASS = 200


def absolute(path: str) -> str:
    """The site's path as a link to click in an email (SITE_URL: the address staff reach the site by)."""
    return settings.SITE_URL.rstrip("/") + path


def notices_send_due(*, now: datetime | None = None) -> int:
    """Send each person, in one email, every notice of theirs due by `now`. Returns how many emails went."""
    now = now or timezone.now()
    due = Notice.objects.filter(emailed_at__isnull=True, email_due_at__lte=now)
    people = list(due.order_by().values_list("user_id", flat=True).distinct()[:PEOPLE_PER_PASS])
    if not people:
        return 0
    addresses = dict(get_user_model().objects.filter(pk__in=people, is_active=True).values_list("pk", "email"))
    sent = 0
    connection = get_connection()
    try:
        connection.open()  # one connection to the server for the whole pass
    except (smtplib.SMTPException, OSError) as exc:
        log.warning("notices: the email server cannot be reached (%s); emails wait for the next pass", exc)
        return 0
    try:
        for user_id in people:
            with transaction.atomic():  # the claim: a second worker's update finds these already taken
                claimed = due.filter(user_id=user_id).update(emailed_at=now)
            if not claimed:
                continue
            mine = Notice.objects.filter(user_id=user_id, emailed_at=now)
            if not addresses.get(user_id):  # no address (or no longer active): it stays in the site only
                continue
            message = _message(list(mine.order_by("topic", "-created_at", "-id")
                                    .values_list("topic", "title", "link")), addresses[user_id])
            message.connection = connection
            try:
                message.send()
                sent += 1
            except (smtplib.SMTPException, OSError) as exc:
                log.warning("notices: the email server refused a digest (%s); it is tried again next pass", exc)
                mine.update(emailed_at=None)
                break  # the server is down or refusing: the rest wait for the next pass too
    finally:
        connection.close()
    return sent


def _message(rows: list[tuple[str, str, str]], address: str) -> EmailMessage:
    by_topic: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for topic, title, link in rows:
        by_topic[topic].append((title, absolute(link)))
    sections = [{"label": Topic(topic).label, "count": len(lines), "lines": lines[:LINES_PER_TOPIC],
                 "more": max(0, len(lines) - LINES_PER_TOPIC)} for topic, lines in by_topic.items()]
    subject = (f"mvnoadmin: {rows[0][1]}" if len(rows) == 1 else f"mvnoadmin: {len(rows):,} notifications")
    body = render_to_string("notices/email.txt", {
        "sections": sections, "list_url": absolute(reverse("notices:notice_list")),
        "preferences_url": absolute(reverse("notices:preferences"))})
    return EmailMessage(subject=subject[:200], body=body, to=[address])
