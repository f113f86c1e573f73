"""`manage.py demo_setup`: the demo world (SIMs in every state, requests, orders, stock) and a login per role.

The world is made through the same services staff use, against the running aql simulator
(see `demo.world`), so it needs a fresh database beside a fresh simulator: `bin/demo` gives it
both. Run again on a database that already has a world, it leaves the world alone and only
gives the logins fresh passwords. `--banner FILE` writes the logins there instead of printing them:
`bin/demo` prints the file once the web server answers, so they are the last thing on the console.
"""

import secrets
import string
from datetime import timedelta
from pathlib import Path
from typing import Any

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.services import totp_enrol
from api import keys
from api.models import ApiKey
from common.roles import SYSTEM_USERNAME
from demo import world as demo
from reports.days import today
from reports.services import rollup_rebuild
from sims.models import GatewayRequest


class Command(BaseCommand):
    help = "Seed the demo world through the aql simulator, give each demo login a fresh password and print them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000/")
        parser.add_argument("--username", default="admin")
        parser.add_argument("--banner", type=Path, help="write the logins to this file instead of printing them")

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
            # The reports' last 90 days counted now (the worker counts today again every ten minutes).
            rollup_rebuild(since=today() - timedelta(days=89))
            self.stdout.write(f"Demo world ready in {world['seconds']:.1f} s. {demo.describe(world)}")
        user.is_staff = user.is_superuser = True
        user.email = user.email or f"{user.username}@example.org"  # its notification emails go to var/demo-mail/
        logins = [(user, "Admin: everything, and Django admin")] + [
            (staff, role) for username, *_, role in demo.STAFF
            for staff in get_user_model().objects.filter(username=username)]
        signs_in = ""
        for person, role in logins:  # a fresh password each start, printed below: the demo runs on loopback only
            password = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(12))
            person.set_password(password)
            person.save()
            signs_in += f"  sign in as {person.username} / {password}  ({role})\n"
        # Supervisors and Admins sign in with a second factor (the production default): the demo's come
        # enrolled afresh each start, with an authenticator app's secret and recovery codes to type.
        second = ""
        for person, role in logins:
            if person.is_superuser or role == "Supervisor":
                Authenticator.objects.filter(user=person).delete()
                secret, codes = totp_enrol(user=person, actor=user)
                second += f"    {person.username}: recovery code {codes[0]}  (authenticator app secret {secret})\n"
        # An API key for trying the API (README: The API for integrators), made afresh each start.
        for old in ApiKey.objects.filter(owner=user, name="demo", revoked_at__isnull=True):
            keys.key_revoke(key_id=old.pk, actor=user)
        _, key = keys.key_create(name="demo", role="Supervisor", owner=user, actor=user)
        # The logins stay the last thing printed: they are what the newcomer looks for.
        banner = (f"\nmvnoadmin demo: {options['url']}\n{signs_in}"
                  "  second factor (admin, priya): a recovery code, or the code .venv/bin/python manage.py "
                  "totp_code USERNAME shows\n"
                  f"{second}"
                  "  production default: Supervisors and Admins must enrol a second factor\n"
                  f"  API: curl -H 'Authorization: Bearer {key}' {options['url']}api/v1/sims\n"
                  "  (Ctrl-C stops the web server, the worker and the simulator)\n")
        if options["banner"]:
            options["banner"].write_text(banner)
        else:
            self.stdout.write(banner)
