"""Django admin for webhooks: subscriptions (made, changed, removed, paused and resumed through the
services; the secret shown once, when made) and their deliveries (read-only history)."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from common.admin import BadgeMedia, LongList, ReadOnlyAdmin, badge, badge_of, for_each, history_table
from common.errors import REFUSALS, Refused, refusal_text
from common.models import EventKind
from common.outcomes import Outcome
from hooks import services
from hooks.models import Delivery, DeliveryState, Subscription


class SubscriptionForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(choices=EventKind.choices, widget=forms.CheckboxSelectMultiple)
    # Not named `secret`: that is the model's own field, which no form may edit.
    own_secret = forms.CharField(label="Secret", required=False, widget=forms.PasswordInput(render_value=False),
                                 help_text="Leave empty to have one made. Shown once, when saved.")

    class Meta:
        model = Subscription
        fields = ("url", "events")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        checks = {"url": lambda: services.clean_url(data.get("url", "")),
                  "events": lambda: services.clean_events(data.get("events"))}
        for field, check in checks.items():
            try:
                check()
            except Refused as exc:
                self.add_error(field, exc.message)
        return data


class PausedFilter(admin.SimpleListFilter):
    title, parameter_name = "state", "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("paused", "Paused"), ("active", "Active")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("paused", "active"):
            return queryset.filter(active=self.value() == "active")
        return queryset


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    Media = BadgeMedia
    list_display = ("__str__", "state", "event_labels", "consecutive_failures", "last_delivery_at", "last_result")
    list_filter = (PausedFilter,)
    readonly_fields = ("state", "paused_reason", "paused_at", "consecutive_failures", "last_delivery_at",
                       "last_result", "created_by_name", "created_at")
    actions = ("resume", "pause")

    @admin.display(description="state")
    def state(self, obj: Subscription) -> str:
        return badge("Active", "green") if obj.active else badge("Paused", "red")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["url", "events", "own_secret"]
        return ["url", "events", *self.readonly_fields]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None:  # a secret is given when the webhook is made, and never shown or changed here
            form.base_fields.pop("own_secret", None)
        return form

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"events": list(EventKind.values)}

    def save_model(self, request: HttpRequest, obj: Subscription, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        try:
            if change:
                services.subscription_change(subscription_id=obj.pk, actor=request.user, url=data["url"],
                                             events=data["events"])
                return
            made, secret = services.subscription_add(url=data["url"], events=data["events"], actor=request.user,
                                                     secret=data.get("own_secret") or None)
        except REFUSALS as exc:  # changed since the form was checked (DNS): said, nothing saved
            messages.error(request, refusal_text(exc))
            return
        obj.pk, obj._state.adding = made.pk, False
        messages.warning(request, f"The secret of webhook {made.pk} is {secret} - copy it now: it is not shown "
                                  "again. Integrators check each event's signature with it (see the README).")

    def delete_model(self, request: HttpRequest, obj: Subscription) -> None:
        services.subscription_remove(subscription_id=obj.pk, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            services.subscription_remove(subscription_id=obj.pk, actor=request.user)

    @admin.action(description="Resume the selected paused webhooks", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(request, queryset, services.subscription_resume, "resumed: its waiting deliveries are sent now.")

    @admin.action(description="Pause the selected webhooks", permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet) -> None:
        _each(request, queryset, services.subscription_pause, "paused: its events wait until it is resumed.")


def _each(request: HttpRequest, queryset: QuerySet, change: Callable[..., object], done: str) -> None:
    """Make one change to each chosen subscription, saying for each what became of it."""

    def run(row: Subscription) -> Outcome:
        change(subscription_id=row.pk, actor=request.user)
        return Outcome.done(done)
    for_each(request, queryset, run)


@admin.register(Delivery)
class DeliveryAdmin(LongList, ReadOnlyAdmin):
    list_display = ("created_at", "kind", "subscription", "state_badge", "attempts", "last_status_code",
                    "last_latency_ms", "last_error")
    list_filter = ("state", "kind", "subscription")
    list_select_related = ("subscription",)
    sortable_by = ("created_at",)
    fields = ("subscription", "kind", "event_id_shown", "state_badge", "attempts", "created_at", "next_attempt_at",
              "give_up_at", "delivered_at", "last_status_code", "last_latency_ms", "last_error", "attempt_history")
    readonly_fields = fields

    @admin.display(description="state")
    def state_badge(self, obj: Delivery) -> str:
        return badge_of(DeliveryState(obj.state))

    @admin.display(description="event id")
    def event_id_shown(self, obj: Delivery) -> str:
        return str(obj.event.uuid)

    @admin.display(description="attempts")
    def attempt_history(self, obj: Delivery) -> str:
        return history_table(("at", "HTTP status", "latency (ms)", "error"),
                             [(f"{a.at:%Y-%m-%d %H:%M:%S}", a.status_code or "-", a.latency_ms or "-", a.error or "-")
                              for a in obj.attempt_log.all()])
