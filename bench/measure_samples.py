"""What bench/measure.py opens and searches for: real rows of the seeded database, and its two accounts."""

from dataclasses import dataclass

from bench.env import database_url


@dataclass
class Samples:
    sim: "object"  # an active SIM with a number and a subscriber
    unused_iccid: str
    in_flight_iccid: str
    unknown_request: int | None
    person: str
    order_ref: str
    sim_count: int


def samples() -> Samples:
    """Rows to search for and open, from the middle of the tables (not the first or last made)."""
    from orders.models import DespatchOrder
    from sims.models import GatewayRequest, Sim

    count = Sim.objects.count()
    middle = middle_pk(Sim) or 0
    sim = (Sim.objects.select_related("number", "subscriber")
           .filter(pk__gte=middle, state="active", number__isnull=False, subscriber__isnull=False).order_by("pk")
           .first())
    unused = Sim.objects.filter(pk__gte=middle, state="unused").order_by("pk").values_list("iccid", flat=True).first()
    in_flight = (GatewayRequest.objects.filter(state="pending").order_by("-created_at")
                 .values_list("sim__iccid", flat=True).first())
    unknown = (GatewayRequest.objects.filter(state="unknown").order_by("-created_at")
               .values_list("pk", flat=True).first())
    person = (GatewayRequest.objects.exclude(actor_name="system").order_by("-created_at")
              .values_list("actor_name", flat=True).first())
    order = DespatchOrder.objects.filter(state="despatched").order_by("-created_at").first()
    if None in (sim, unused, in_flight, person, order):
        raise SystemExit(f"{database_url()} does not look seeded: run bench/seed.py first")
    return Samples(sim, unused, in_flight, unknown, person, order.order_ref, count)


def national(number: str) -> str:
    """441134960123 -> '0113 496 0123'; 442079460123 -> '020 7946 0123' (as staff type them)."""
    d = "0" + number[2:]
    return f"{d[:3]} {d[3:7]} {d[7:]}" if d[1] == "2" else f"{d[:4]} {d[4:7]} {d[7:]}"


def user(username: str, *, role: str | None = None, superuser: bool = False):
    """A benchmark account: a Supervisor for the staff pages, a superuser for Django admin."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    account, made = get_user_model().objects.get_or_create(
        username=username, defaults={"is_staff": superuser, "is_superuser": superuser})
    if made:
        account.set_unusable_password()
        account.save()
        if role:
            account.groups.add(Group.objects.get(name=role))
    return account


def signed_in(account):
    """A test client signed in as `account`, with the second factor given where its role must have one
    (as a real sign-in records it): else a Supervisor's every page is the redirect to enrol."""
    from allauth.account.internal.flows.login import record_authentication
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.signals import user_logged_in
    from django.test import Client

    def given(sender, request, user, **kwargs) -> None:
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        totp = totp or TOTP.activate(user, generate_totp_secret()).instance
        record_authentication(request, user, "password", username=user.get_username())
        record_authentication(request, user, "mfa", id=totp.pk, type=totp.type)

    client = Client(HTTP_HOST="localhost")  # a host the settings allow
    user_logged_in.connect(given, dispatch_uid="bench-second-factor")
    try:
        client.force_login(account)
    finally:
        user_logged_in.disconnect(dispatch_uid="bench-second-factor")
    return client


def middle_pk(model) -> int | None:
    """The id of a row halfway through the table, by id (none of the first or last made)."""
    from django.db.models import Max, Min

    ends = model._default_manager.aggregate(low=Min("pk"), high=Max("pk"))
    if ends["low"] is None:
        return None
    return model._default_manager.filter(pk__gte=(ends["low"] + ends["high"]) // 2).order_by("pk").values_list(
        "pk", flat=True).first()
