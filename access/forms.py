"""allauth's sign-in form as our pages, scripts and password managers have always sent it."""

from typing import Any

from allauth.account.forms import LoginForm


class SignInForm(LoginForm):
    """allauth calls its login box `login`; ours was `username` and stays so (bookmarked scripts,
    password managers, django-axes counting by the `username` field)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # allauth's help text is a "forgot your password?" link: staff ask an Admin instead (no e-mail).
        self.fields["password"].help_text = ""

    def add_prefix(self, field_name: str) -> str:
        return "username" if field_name == "login" else super().add_prefix(field_name)
