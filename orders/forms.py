"""The new-order form: the shape of each field; the services check them again."""

from django import forms

from common import validators
from common.forms import PersonChecks


class OrderForm(PersonChecks, forms.Form):
    name = forms.CharField(label="Recipient name", max_length=100)
    company = forms.CharField(label="Company", max_length=100, required=False,
                              help_text="Leave empty for a private customer: the recipient's name is sent to aql "
                                        "instead.")
    address = forms.CharField(label="Address", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    postcode = forms.CharField(label="Postcode", max_length=12)
    contact_no = forms.CharField(label="Contact phone number", max_length=30)

    def clean_contact_no(self) -> str:
        return validators.clean_contact_number(self.cleaned_data["contact_no"])


class ThresholdForm(forms.Form):
    threshold = forms.IntegerField(label="Warn when stock falls below", min_value=0, required=False,
                                   help_text="A number of SIMs; leave empty for no warning.",
                                   error_messages={"invalid": "Enter a whole number of SIMs, like 500.",
                                                   "min_value": "A threshold is a number of SIMs: 0 or more."})
