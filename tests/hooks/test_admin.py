"""Webhooks in Django admin: the secret shown once, paused subscriptions shown with why, resumed."""

import pytest
from django.contrib.messages import get_messages

from hooks import services
from hooks.models import Subscription

pytestmark = pytest.mark.django_db


def test_adding_a_webhook_shows_its_secret_once_and_never_again(admin_client, settings):
    settings.WEBHOOKS_ALLOW_HTTP = settings.WEBHOOKS_ALLOW_PRIVATE = True
    response = admin_client.post("/admin/hooks/subscription/add/",
                                 {"url": "http://127.0.0.1:9/hook", "events": ["stock.low", "batch.finished"]},
                                 follow=True)
    subscription = Subscription.objects.get()
    said = " ".join(str(m) for m in get_messages(response.wsgi_request))
    assert subscription.secret in said and subscription.events == ["stock.low", "batch.finished"]
    page = admin_client.get(f"/admin/hooks/subscription/{subscription.pk}/change/").content.decode()
    assert subscription.secret not in page
    assert subscription.secret not in admin_client.get("/admin/hooks/subscription/").content.decode()


def test_a_private_address_is_refused_next_to_the_url(admin_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = admin_client.post("/admin/hooks/subscription/add/",
                                 {"url": "https://127.0.0.1/hook", "events": ["stock.low"]})
    assert "public addresses only" in str(response.context["adminform"].form.errors["url"])
    assert not Subscription.objects.exists()


def test_paused_webhooks_are_listed_with_why_and_resumed_by_an_action(admin_client, admin_user, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    subscription, _ = services.subscription_add(url="https://127.0.0.1/hook", events=["stock.low"], actor=admin_user)
    services.subscription_pause(subscription_id=subscription.pk, actor=admin_user, reason="Receiver gone.")
    listed = admin_client.get("/admin/hooks/subscription/?state=paused").content.decode()
    assert "Paused" in listed and "127.0.0.1" in listed
    assert "Receiver gone." in admin_client.get(f"/admin/hooks/subscription/{subscription.pk}/change/"
                                                ).content.decode()
    admin_client.post("/admin/hooks/subscription/", {"action": "resume", "_selected_action": [subscription.pk]})
    assert Subscription.objects.get().active
    assert admin_client.get("/admin/hooks/delivery/").status_code == 200
