"""`manage.py demo_setup`: the demo's SIMs and numbers (the simulator's account), and a login.

Idempotent: running it again adds nothing twice and gives the login a fresh password.
"""

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from aql.fake import Account
from sims import services


class Command(BaseCommand):
    help = "Create or reset the demo administrator and print where and how to sign in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, **options: Any) -> None:
        account = Account()  # the simulator's default account: its ICCIDs and numbers
        services.sim_add(iccids=list(account.iccids())[:50])
        services.number_add(numbers=account.geo_numbers[:50])
        password = secrets.token_urlsafe(9)
        user, _ = get_user_model().objects.get_or_create(username=options["username"])
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(
            f"\nmvnoadmin demo: {options['url']}\n"
            f"  sign in as {user.username} / {password}\n"
            "  (Ctrl-C stops the web server and the simulator)\n"
        )
