"""`manage.py demo_setup`: the demo world (SIMs in every state, requests, orders, stock) and a login.

The world is made through the same services staff use, against the running aql simulator
(see `demo.world`), so it needs a fresh database beside a fresh simulator: `bin/demo` gives it
both. Run again on a database that already has a world, it leaves the world alone and only
gives the login a fresh password.
"""

import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from api import keys
from api.models import ApiKey
from common.roles import SYSTEM_USERNAME
from demo import world as demo
from sims.models import GatewayRequest


class Command(BaseCommand):
    help = "Seed the demo world through the aql simulator, reset the demo administrator and print the login."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, **options: Any) -> None:
        # It makes a superuser with a printed password: only on a machine that serves loopback alone.
        if not settings.LOOPBACK_ONLY:
            raise CommandError("demo_setup is for a development machine: ALLOWED_HOSTS names more than loopback.")
        if options["username"] == SYSTEM_USERNAME:
            raise CommandError(f"{SYSTEM_USERNAME!r} is the system account: it never signs in.")
        user, _ = get_user_model().objects.get_or_create(username=options["username"])
        if GatewayRequest.objects.exists():
            self.stdout.write("The database already holds a demo world: left as it is.")
        else:
            try:
                world = demo.seed_world(admin=user, say=self.stdout.write)
            except demo.DemoError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"Demo world ready in {world['seconds']:.1f} s. {demo.describe(world)}")
        password = secrets.token_urlsafe(9)
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        # An API key for trying the API (README: The API for integrators), made afresh each start.
        for old in ApiKey.objects.filter(owner=user, name="demo", revoked_at__isnull=True):
            keys.key_revoke(key_id=old.pk, actor=user)
        _, key = keys.key_create(name="demo", role="Supervisor", owner=user, actor=user)
        # The login stays the last thing printed: it is what the newcomer looks for.
        self.stdout.write(
            f"\nmvnoadmin demo: {options['url']}\n"
            f"  API: curl -H 'Authorization: Bearer {key}' {options['url']}api/v1/sims\n"
            f"  sign in as {user.username} / {password}\n"
            "  (Ctrl-C stops the web server and the simulator)\n"
        )
