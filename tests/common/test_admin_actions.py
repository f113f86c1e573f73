"""Every Django admin action of ours, tried by an admin account that may only look: not offered, and
not run when posted anyway; offered to the Admin role."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.utils import timezone

from api import keys
from api.models import ApiKey
from common.models import AuditEvent
from hooks import services as hook_services
from hooks.models import Subscription
from orders import services as order_services
from orders.models import StockLevel
from sims import services
from sims.models import GeographicNumber, Replacement, Sim, SimEvent, Subscriber
from sims.models_replacements import ReplacementState
from tests.conftest import IMEI, iccid, member_of
from tests.sims.test_replace import run

pytestmark = pytest.mark.django_db

ACTIONS = [  # (changelist, action, the permission it needs)
    ("sims/sim", "suspend", "sims.provision_sim"), ("sims/sim", "reactivate", "sims.provision_sim"),
    ("sims/sim", "add_services", "sims.provision_sim"), ("sims/sim", "remove_services", "sims.provision_sim"),
    ("sims/sim", "query_gateway", "sims.provision_sim"), ("sims/sim", "terminate", "sims.terminate_sim"),
    ("sims/sim", "erase_subscriber", "sims.erase_subscriber"),
    ("sims/gatewayrequest", "settle_by_hand", "sims.settle_request"),
    ("sims/geographicnumber", "end_rest", "sims.add_geographicnumber"),
    ("orders/despatchorder", "refresh", "orders.place_order"), ("orders/despatchorder", "submit", "orders.place_order"),
    ("orders/stocklevel", "refresh_stock", "orders.place_order"),
    ("api/apikey", "revoke", "api.change_apikey"),
    ("hooks/subscription", "pause", "hooks.change_subscription"),
    ("hooks/subscription", "resume", "hooks.change_subscription"),
    ("sims/replacement", "resume", "sims.terminate_sim"), ("sims/replacement", "abandon", "sims.terminate_sim"),
]
OUR_APPS = ("common", "sims", "orders", "hooks", "api")


def test_the_walk_below_tries_every_admin_action_of_ours(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user  # a superuser: every action offered
    offered = {(f"{model._meta.app_label}/{model._meta.model_name}", action)
               for model, model_admin in admin.site._registry.items() if model._meta.app_label in OUR_APPS
               for action in model_admin.get_actions(request) if action != "delete_selected"}
    assert offered == {(changelist, action) for changelist, action, _ in ACTIONS}


def a_stopped_replacement(make_sim, boss, world) -> Replacement:
    old = make_sim(1, number="44113000001")
    old.subscriber = Subscriber.objects.create(name="Ada", address="1 Road", postcode="LS1 1AA",
                                               contact_number="447700900123")
    old.imei = IMEI
    old.save()
    started = services.sim_replace(sim_id=old.pk, new_sim_id=Sim.objects.get(iccid=iccid(5)).pk, actor=boss)
    world.fake.faults.fail_rate = 1.0
    stopped = run(world, started)
    world.fake.faults.fail_rate = 0.0
    assert stopped.state == ReplacementState.STOPPED
    return stopped


def a_row_the_action_would_change(changelist: str, action: str, make_sim, boss, world) -> int:
    if changelist == "api/apikey":
        return keys.key_create(name="shop", role="Observer", owner=boss, actor=boss)[0].pk
    if changelist == "hooks/subscription":
        made, _ = hook_services.subscription_add(url="https://127.0.0.1/hook", events=["stock.low"], actor=boss)
        if action == "resume":
            hook_services.subscription_pause(subscription_id=made.pk, actor=boss)
        return made.pk
    if changelist == "orders/stocklevel":
        order_services.stock_refresh()
        return StockLevel.objects.first().pk
    if changelist == "orders/despatchorder":
        return order_services.order_despatch(actor=boss, name="Jo Bloggs", company="", address="1 Road",
                                             postcode="LS1 1AA", contact_no="07700900123").pk
    if changelist == "sims/geographicnumber":  # a resting number
        rest = {"rests_since": timezone.now(), "rests_until": timezone.now() + timedelta(days=90)}
        GeographicNumber.objects.filter(number="44113000009").update(**rest)
        return GeographicNumber.objects.get(number="44113000009").pk
    if changelist == "sims/replacement":  # one stopped by aql's refusal: either action would move it
        return a_stopped_replacement(make_sim, boss, world).pk
    sim = make_sim(1, number="44113000001")
    return services.sim_query(sim_id=sim.pk, actor=boss).pk if changelist == "sims/gatewayrequest" else sim.pk


def what_actions_change(world) -> tuple:
    return (len(world.fake.calls), SimEvent.objects.count(), AuditEvent.objects.count(),
            ApiKey.objects.filter(revoked_at=None).count(), Subscription.objects.filter(active=True).count(),
            GeographicNumber.objects.resting().count())


@pytest.mark.parametrize("changelist, action, permission", ACTIONS, ids=[a for _, a, _ in ACTIONS])
def test_an_admin_action_runs_only_for_a_role_that_may_do_it(client, world, make_sim, settings, changelist, action,
                                                              permission):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    boss = member_of("Admin", "admin")
    boss.is_staff = True
    boss.save()
    viewer = member_of("Observer", "staff-viewer")  # in Django admin, with view permissions only (all of them)
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="use_admin"),
                                *Permission.objects.filter(codename__startswith="view_"))
    target = a_row_the_action_would_change(changelist, action, make_sim, boss, world)
    client.force_login(viewer)
    page = client.get(f"/admin/{changelist}/")
    assert page.status_code == 200 and f'value="{action}"' not in page.text  # seen, the action not offered...
    before = what_actions_change(world)
    client.post(f"/admin/{changelist}/", {"action": action, "_selected_action": [target], "reason": "asked"},
                follow=True)  # (a reason: the one input an action takes, ending a rest)
    assert what_actions_change(world) == before  # ...and not run if posted
    assert boss.has_perm(permission)
    client.force_login(boss)
    assert f'value="{action}"' in client.get(f"/admin/{changelist}/").text
