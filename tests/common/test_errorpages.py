"""Error pages in the site's own frame, in words, with a way back: an address that names nothing
(an unknown ICCID says so), a button's address opened as a page, a request Django cannot read, a
form sent with an expired token, and a server error (whose page needs no database and no request)."""

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from orders.services import order_despatch
from sims.lifecycle import Command
from sims.models import GatewayRequest
from sims.services import batch_start, sim_suspend
from tests.conftest import iccid

RECIPIENT = {"name": "Jo Bloggs", "company": "", "address": "1 Park Row, Leeds", "postcode": "LS1 5AB",
             "contact_no": "07700 900123"}


def in_the_site_frame(text: str) -> bool:
    """Our layout (its header and main), not Django's bare words."""
    return '<a class="brand" href="/">mvnoadmin</a>' in text and '<main id="main">' in text


@pytest.mark.django_db
def test_an_unknown_iccid_says_so_in_the_sites_frame_with_a_way_back(agent, world):
    response = agent.get("/sims/1111111111999999999/", HTTP_REFERER="http://testserver/sims/?q=9999")
    assert response.status_code == 404 and in_the_site_frame(response.text)
    assert "No SIM with that ICCID" in response.text
    assert 'href="/sims/?q=9999">Back to the page you came from</a>' in response.text


@pytest.mark.django_db
def test_an_address_that_names_nothing_is_a_page_with_the_dashboard_as_the_way_back(agent, world):
    response = agent.get("/no-such-page/", HTTP_REFERER="https://elsewhere.example/")  # not ours: not offered
    assert response.status_code == 404 and in_the_site_frame(response.text)
    assert "Nothing is at this address" in response.text and "elsewhere" not in response.text
    assert 'href="/">Back to the dashboard</a>' in response.text


@pytest.mark.django_db
def test_a_buttons_address_opened_as_a_page_answers_405_in_words_and_does_nothing(agent, world, make_sim, staff):
    active = make_sim(1, number="44113000001")
    journal = sim_suspend(sim_id=active.pk, actor=staff)
    batch = batch_start(sim_ids=[active.pk], command=Command.SUSPEND, actor=staff)
    order = order_despatch(actor=staff, **RECIPIENT)
    sent = GatewayRequest.objects.count()
    for path in (f"/sims/{iccid(5)}/reactivate/", f"/sims/{iccid(1)}/query/", f"/requests/{journal.pk}/check/",
                 f"/batches/{batch.pk}/retry/", f"/batches/{batch.pk}/cancel/",
                 f"/orders/{order.order_ref}/refresh/", f"/orders/{order.order_ref}/submit/"):
        response = agent.get(path, HTTP_REFERER=f"http://testserver/sims/{iccid(1)}/")
        assert response.status_code == 405, path
        assert response["Allow"] == "POST", path
        assert in_the_site_frame(response.text), path
        assert "only works as a button" in response.text and "Nothing was changed." in response.text, path
        assert f'href="/sims/{iccid(1)}/">Back to the page you came from</a>' in response.text, path
    assert GatewayRequest.objects.count() == sent and world.fake.count("reactivate") == 0


@pytest.mark.django_db
def test_a_request_django_cannot_read_is_a_400_page(agent, world):
    too_many = "&".join(f"f{n}=1" for n in range(1001))  # more fields than Django reads (DATA_UPLOAD_MAX_NUMBER_FIELDS)
    response = agent.get(f"/sims/?{too_many}")
    assert response.status_code == 400 and in_the_site_frame(response.text)
    assert "could not be read" in response.text and 'href="/">Back to the dashboard</a>' in response.text


@pytest.mark.django_db
def test_a_form_sent_with_an_expired_token_is_a_403_page_in_words(world, staff):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff)
    response = browser.post(f"/sims/{iccid(0)}/query/")
    assert response.status_code == 403 and in_the_site_frame(response.text)
    assert "Nothing was changed" in response.text and "CSRF verification failed" not in response.text
    assert world.fake.count("queryiccid") == 0


def test_the_500_page_needs_no_database_and_no_request_context():
    """Django renders it with an empty context, perhaps because the database is down: this test has
    no database (pytest-django refuses any query), and the page still comes in our frame."""
    response = server_error(RequestFactory().get("/sims/"))
    text = response.content.decode()
    assert response.status_code == 500 and in_the_site_frame(text)
    assert "went wrong on our side" in text and 'href="/">Back to the dashboard</a>' in text
