"""What the staff forms share: a refusal put next to the field it concerns, in words."""

from django import forms
from django.core.exceptions import ValidationError

from common import validators
from common.errors import Refused


def add_refusal(form: forms.BaseForm, exc: ValidationError | Refused) -> None:
    """A refusal before sending, as form errors: each field's own message beside it, the rest on
    the form (admin's change forms use this too)."""
    if isinstance(exc, Refused):
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class PersonChecks:
    """The checks a subscriber's or a recipient's details get, shared by every form that takes them."""

    cleaned_data: dict

    def clean_name(self) -> str:
        return validators.clean_name(self.cleaned_data["name"])

    def clean_address(self) -> str:
        return validators.clean_address(self.cleaned_data["address"])

    def clean_postcode(self) -> str:
        return validators.clean_postcode(self.cleaned_data["postcode"])
