"""An order's contact number: read however typed, kept and sent in aql's form, shown as staff read it."""

import pytest

from orders import services
from tests.conftest import member_of

pytestmark = pytest.mark.django_db

RECIPIENT = {"name": "Jo Bloggs", "company": "", "address": "1 Road", "postcode": "LS1 1AA"}


@pytest.mark.parametrize("typed", ["07700 900355", "+44 (0)7700 900355", "447700900355", "07700-900-355"])
def test_a_contact_number_is_kept_in_aqls_form_however_it_is_typed(db, staff, typed):
    assert services.order_create(actor=staff, **RECIPIENT, contact_no=typed).contact_no == "447700900355"


def test_the_order_page_shows_the_contact_number_nationally_and_masks_it_for_an_observer(world, client, staff):
    order = services.order_despatch(actor=staff, **RECIPIENT, contact_no="+44 7700 900355")
    client.force_login(staff)
    assert "07700 900355" in client.get(f"/orders/{order.order_ref}/").text
    client.force_login(member_of("Observer", "watcher"))
    page = client.get(f"/orders/{order.order_ref}/").text
    assert "•••••••••355" in page and "07700" not in page and "447700900355" not in page


def test_django_admin_shows_a_sent_orders_contact_number_nationally_and_offers_no_field_for_it(world, admin_client,
                                                                                               staff):
    order = services.order_despatch(actor=staff, **RECIPIENT, contact_no="07700900355")
    page = admin_client.get(f"/admin/orders/despatchorder/{order.pk}/change/").text
    assert "07700 900355" in page and 'name="contact_no"' not in page


def test_django_admin_reads_a_drafts_contact_number_however_typed(admin_client, staff):
    order = services.order_create(actor=staff, **RECIPIENT, contact_no="07700900355")
    assert 'name="contact_no"' in admin_client.get(f"/admin/orders/despatchorder/{order.pk}/change/").text
    admin_client.post(f"/admin/orders/despatchorder/{order.pk}/change/",
                      {**RECIPIENT, "contact_no": "+44 (0)7700 900 123"})
    order.refresh_from_db()
    assert order.contact_no == "447700900123"
