"""allauth's forms as our pages need them: its sign-in form as our scripts and password managers have
always sent it, and a passkey's removal that asks the same question as the authenticator app's."""

from typing import Any

from allauth.account.forms import LoginForm
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from django import forms


class SignInForm(LoginForm):
    """allauth calls its login box `login`; ours was `username` and stays so (bookmarked scripts,
    password managers, django-axes counting by the `username` field)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # allauth's help text is a "forgot your password?" link: staff ask an Admin instead (no e-mail).
        self.fields["password"].help_text = ""

    def add_prefix(self, field_name: str) -> str:
        return "username" if field_name == "login" else super().add_prefix(field_name)


class RemovePasskeyForm(forms.Form):
    """The confirmation of a passkey's removal. allauth's own (a bare form) never asks the adapter's
    `can_delete_authenticator`, which its authenticator-app removal does (DeactivateTOTPForm): this
    asks it the same way, so one rule (access.policy.may_remove_factor) holds for both."""

    def __init__(self, *args: Any, authenticator: Authenticator, **kwargs: Any) -> None:
        self.authenticator = authenticator
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any] | None:
        cleaned_data = super().clean()
        adapter = get_adapter()
        if not adapter.can_delete_authenticator(self.authenticator):
            raise adapter.validation_error("cannot_delete_authenticator")
        return cleaned_data
