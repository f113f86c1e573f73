"""The Admin page "Connection to aql": the selftest (ops.selftest) run on a button, its checks in a table.

The checks call aql, so they run only when asked (a POST), never on showing the page or the admin
index. Django admin's own gate lets the Admin role in (`admin.site.admin_view`, see common.admin).
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from common.validators import clean_iccid
from ops.selftest import aql_selftest, selftest_passed


class SelftestForm(forms.Form):
    iccid = forms.CharField(label="ICCID to ask aql about", required=False, max_length=40,
                            help_text="Optional: without one, the first SIM we hold is asked about.")

    def clean_iccid(self) -> str | None:
        typed = self.cleaned_data["iccid"].strip()
        return clean_iccid(typed) if typed else None


def aql_connection(request: HttpRequest) -> HttpResponse:
    """Show the checks' form; on POST, run them and show each in words."""
    form = SelftestForm(request.POST if request.method == "POST" else None)
    checks = None
    if form.is_valid():
        try:
            checks = aql_selftest(iccid=form.cleaned_data["iccid"])
        except ValidationError as exc:  # the service's own check of the ICCID, next to its field
            form.add_error("iccid", exc)
    context = {**admin.site.each_context(request), "title": "Connection to aql", "form": form, "checks": checks,
               "passed": checks is not None and selftest_passed(checks)}
    return TemplateResponse(request, "admin/ops/aql_connection.html", context)
