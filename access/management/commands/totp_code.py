"""`manage.py totp_code USERNAME`: the code USERNAME's authenticator app shows now, for trying the
demo without an app. On a development machine only (ALLOWED_HOSTS loopback alone): elsewhere the code
belongs on the person's phone, never on a console."""

import time
from typing import Any

from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Print the code a user's authenticator app shows now (a development machine only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.LOOPBACK_ONLY:
            raise CommandError("totp_code is for a development machine: ALLOWED_HOSTS names more than loopback.")
        totp = Authenticator.objects.filter(user__username=options["username"], type=Authenticator.Type.TOTP).first()
        if totp is None:
            raise CommandError(f"{options['username']} has no authenticator app enrolled.")
        secret = get_adapter().decrypt(totp.data["secret"])
        self.stdout.write(format_hotp_value(hotp_value(secret, int(time.time()) // settings.MFA_TOTP_PERIOD)))
