"""allauth's sign-in form as our pages, scripts and password managers have always sent it."""

from allauth.account.forms import LoginForm


class SignInForm(LoginForm):
    """allauth calls its login box `login`; ours was `username` and stays so (bookmarked scripts,
    password managers, django-axes counting by the `username` field)."""

    def add_prefix(self, field_name: str) -> str:
        return "username" if field_name == "login" else super().add_prefix(field_name)
