"""API keys in Django admin: made here (the key shown once, then only its hash is kept), revoked
here, never edited or deleted (the audit trail names them)."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator

from access.decorators import second_factor_recent
from api import keys
from api.models import ApiKey
from common.admin import KeepsHistory, for_each
from common.outcomes import Outcome
from common.roles import SYSTEM_USERNAME


class KeyForm(forms.ModelForm):
    role = forms.ModelChoiceField(Group.objects.filter(name__in=keys.ROLES), help_text="What the key may do")

    class Meta:
        model = ApiKey
        fields = ["name", "owner", "role"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # only those who may own a key are offered (keys.owner_refusal)
        self.fields["owner"].queryset = self.fields["owner"].queryset.filter(is_active=True).exclude(
            username=SYSTEM_USERNAME)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("owner") and (why := keys.owner_refusal(data["owner"])):
            self.add_error("owner", why)
        elif data.get("owner") and data.get("role") and (why := keys.role_refusal(data["owner"], data["role"])):
            self.add_error("role", why)
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(KeepsHistory, admin.ModelAdmin):
    list_display = ["name", "prefix", "owner", "role", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["role", ("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["owner", "role"]
    readonly_fields = ["name", "prefix", "owner", "role", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    @method_decorator(second_factor_recent)  # a new key acts as its owner: the second factor again if not recent
    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return super().changeform_view(request, *args, **kwargs)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        return KeyForm if obj is None else super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.readonly_fields if obj is not None else []

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request)  # seen, revoked; never edited

    def save_model(self, request: HttpRequest, obj: ApiKey, form: forms.Form, change: bool) -> None:
        if change:
            return
        key = keys.key_issue(obj, actor=request.user)
        messages.warning(request, f"The key for {obj.name}: {key} — copy it now: it is not shown again.")

    @admin.action(description="Revoke the selected keys (they stop working at once)", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset) -> None:
        for_each(request, queryset, lambda row: (keys.key_revoke(key_id=row.pk, actor=request.user),
                                                 Outcome.done("revoked."))[1])
