"""Despatch orders (a SIM posted to a customer) and stock levels, from aql's despatch API.

States change only in `orders.services`.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.audit import ERASED, forget_admin_history
from common.models import Event
from orders.lifecycle import OPEN, OrderState
from sims.models import Sim


def new_order_ref() -> str:
    """Our reference for an order: unique, and only letters, digits and a dash, so safe to send."""
    return "MVN-" + secrets.token_hex(5).upper()


class DespatchOrderQuerySet(models.QuerySet):
    def erase_recipients(self) -> int:
        """Erase these orders' recipients, here and in Django admin's history of them."""
        forget_admin_history(self.model, list(self.values_list("pk", flat=True)))
        return self.update(name=ERASED, company=ERASED, address=ERASED, postcode="", contact_no="")


class DespatchOrder(models.Model):
    """A SIM to be posted to a customer by aql, and what became of it."""

    order_ref = models.CharField("order reference", max_length=20, unique=True, default=new_order_ref,
                                 editable=False)
    name = models.CharField(max_length=100)
    company = models.CharField(max_length=100, blank=True)
    address = models.CharField(max_length=200)
    postcode = models.CharField(max_length=10)
    contact_no = models.CharField("contact number", max_length=16)
    state = models.CharField(max_length=12, choices=OrderState.choices, default=OrderState.DRAFT, editable=False,
                             db_index=True)
    reason = models.TextField(blank=True, editable=False, help_text="Why it failed, or aql's last word")
    iccid = models.CharField("ICCID", max_length=20, blank=True, editable=False)
    sim = models.OneToOneField(Sim, null=True, blank=True, on_delete=models.SET_NULL, related_name="order",
                               editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)
    created_by_name = models.CharField("created by", max_length=150, default="system", editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    settled_at = models.DateTimeField(null=True, blank=True, editable=False,
                                      help_text="When we saw it despatched or cancelled")
    next_check_at = models.DateTimeField(null=True, blank=True, editable=False)
    misses = models.PositiveSmallIntegerField(default=0, editable=False,
                                              help_text="Checks in a row in which aql had no record of it")
    # The last check that counted as a miss: one closer to it than AQL_ORDER_CHECK_INTERVAL
    # (a click on Refresh) does not count again.
    last_miss_at = models.DateTimeField(null=True, blank=True, editable=False)
    replaces = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="replaced_by", editable=False,
                                    help_text="The order aql never placed that this one places again")

    objects = DespatchOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_check_at"], name="order_due"),
                   # The orders page by state, newest first: a walk of this, never a sort of them all.
                   models.Index(fields=["state", "-created_at", "-id"], name="order_state_recent"),
                   # The dashboard's oldest open orders: PostgreSQL walked every order by date to find them.
                   models.Index(fields=["created_at", "id"], condition=Q(state__in=OPEN), name="order_open_oldest"),
                   # Admin's search by a whole postcode or ICCID: with the reference's and the name's own
                   # indexes, each part of its OR is an index (it read every order: 20-34 ms at 35,000).
                   models.Index(fields=["postcode"], name="order_postcode"),
                   models.Index(fields=["iccid"], name="order_iccid")]
        permissions = [("place_order", "Can place, send and refresh despatch orders, and check stock")]

    def __str__(self) -> str:
        return self.order_ref

    @property
    def colour(self) -> str:
        return OrderState(self.state).colour


class Product(models.Model):
    """A product code (a batch of SIMs) on our account, with the level below which staff are warned."""

    code = models.CharField(max_length=40, unique=True)
    low_stock_threshold = models.PositiveIntegerField(null=True, blank=True,
                                                      help_text="Warn when stock falls below this")

    def __str__(self) -> str:
        return self.code


class StockLevel(models.Model):
    """One product code's stock as aql reported it at one check: the history is all the rows."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="levels")
    quantity = models.PositiveIntegerField()
    low = models.BooleanField(default=False, help_text="Below the product's threshold at the time")
    checked_at = models.DateTimeField(db_index=True)
    # The product's sparkline of the week to this snapshot, kept with its newest one when it is taken
    # (orders.services.keep_trends): no page works it out. None on older snapshots.
    trend = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-checked_at", "product__code"]
        indexes = [models.Index(fields=["product", "-checked_at"], name="stock_history"),
                   # Admin's filter "low": the few low snapshots newest first, not every snapshot sorted.
                   models.Index(fields=["-checked_at"], condition=Q(low=True), name="stock_low_recent")]

    def __str__(self) -> str:
        return f"{self.product.code}: {self.quantity}"


class OrderEvent(Event):
    """An order's audit trail, like a SIM's: who did what to it, through which interface, and the
    state it moved from and to."""

    order = models.ForeignKey(DespatchOrder, on_delete=models.CASCADE, related_name="events")
    state_before = models.CharField(max_length=12, choices=OrderState.choices, blank=True)
    state_after = models.CharField(max_length=12, choices=OrderState.choices)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.order_id} {self.state_before or '-'} -> {self.state_after}"
