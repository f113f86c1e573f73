"""Django admin's shared rule (common.admin.KeepsHistory): records with history are never deleted,
not even by a superuser: no "Delete selected", no delete button, 403 on the delete URL."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model

from common.models import AuditEvent
from orders import services as order_services
from orders.models import DespatchOrder, Product, StockLevel
from sims import services
from sims.models import GatewayRequest, GeographicNumber, Sim, SimEvent, Subscriber
from tests.orders.test_orders import RECIPIENT

pytestmark = pytest.mark.django_db

OURS = ("common", "sims", "orders")


def test_no_admin_of_ours_offers_delete_selected(rf, admin_user):
    request = rf.get("/admin/")
    request.user = admin_user  # a superuser: every permission
    ours = {model: model_admin for model, model_admin in admin.site._registry.items()
            if model._meta.app_label in OURS or model is get_user_model()}
    assert {Sim, GeographicNumber, GatewayRequest, DespatchOrder, Product, StockLevel} <= set(ours)
    assert [model._meta.label for model, model_admin in ours.items()
            if "delete_selected" in model_admin.get_actions(request)] == []


def test_records_with_history_refuse_deletion_even_to_a_superuser(world, make_sim, admin_client, admin_user):
    sim = make_sim(1, number="44113000001")
    services.sim_number_change(sim_id=sim.pk, actor=admin_user, number="44113000002")  # 44113000001 has a past
    sim.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                               contact_number="447700900123")
    sim.save()
    world.fake.account.stock = {"AQL-123": 0}
    draft = order_services.order_despatch(actor=None, **RECIPIENT)  # even a draft has a trail
    order_services.stock_refresh()
    rows = {
        "sims/sim": sim, "sims/geographicnumber": GeographicNumber.objects.get(number="44113000002"),
        "sims/subscriber": sim.subscriber, "sims/gatewayrequest": GatewayRequest.objects.first(),
        "sims/simevent": SimEvent.objects.first(), "common/auditevent": AuditEvent.objects.first(),
        "orders/despatchorder": draft, "orders/product": Product.objects.first(),
        "orders/stocklevel": StockLevel.objects.first(), "auth/user": admin_user,
    }
    refused = {url: admin_client.post(f"/admin/{url}/{row.pk}/delete/", {"post": "yes"}).status_code
               for url, row in rows.items()}
    assert refused == dict.fromkeys(rows, 403)
    assert not any("deletelink" in admin_client.get(f"/admin/{url}/{row.pk}/change/").text
                   for url, row in rows.items())
    assert all(type(row).objects.filter(pk=row.pk).exists() for row in rows.values())


def test_the_long_lists_select_box_is_the_markup_djangos_own_widget_draws(make_sim):
    # Written out for speed: the "select all" script and the actions form depend on its name and class.
    sim = make_sim(1)
    long_lists = [model_admin for model_admin in admin.site._registry.values() if hasattr(model_admin, "exact_search")]
    assert long_lists
    for model_admin in long_lists:
        assert model_admin.action_checkbox(sim) == admin.ModelAdmin.action_checkbox(model_admin, sim)


def test_the_sim_events_action_filter_offers_only_what_a_sims_trail_records(make_sim, admin_client):
    sim = make_sim(1)
    SimEvent.objects.create(sim=sim, action="queried", message="Asked aql.")
    page = admin_client.get("/admin/sims/simevent/").content.decode()
    assert "?action__exact=queried" in page and "Asked aql" in page
    assert "action__exact=signed_in" not in page and "Numbers added" not in page
    assert admin_client.get("/admin/sims/simevent/?action__exact=queried").context["cl"].result_count == 1
