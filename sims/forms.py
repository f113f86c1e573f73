"""Staff forms. They check the shape of the input; the services check it again (they also serve
admin and the CLI), and what aql says is put back next to the field it concerns."""

from collections.abc import Callable, Iterable

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from common import validators
from common.actors import Actor
from common.forms import PersonChecks, add_refusal
from sims import reasons, selectors, selectors_replacements, services
from sims.lifecycle import Command, RequestState
from sims.models import GatewayRequest, ScheduledAction, Upload
from sims.outcomes import code_errors
from sims.services.imports import KIND_LABELS, PASTED

# aql's field names -> ours, so an error code lands next to the input it is about.
SERVICE_LABELS = selectors.SERVICE_LABELS


class StaffForm(forms.Form):
    """A form whose errors can come from our checks, our rules (`common.forms.add_refusal`) or aql."""

    def add_gateway_errors(self, request: GatewayRequest) -> bool:
        """aql's codes next to their fields, each in words. True when there were any."""
        if request.state != RequestState.REJECTED:
            return False
        for field, code in code_errors(request):
            self.add_error(field if field in self.fields else None, str(code))
        return True


FREE_NUMBERS_SHOWN = 8  # matches a number search shows at once: type more digits for others


def free_numbers_box(typed: str = "") -> str:
    """The free numbers that start as typed, for picking (a datalist) and to read (a line of help):
    drawn with the field, and again by the number search (htmx) at each keystroke."""
    found = selectors.free_numbers(typed=typed, limit=FREE_NUMBERS_SHOWN + 1)
    return render_to_string("sims/_free_numbers.html", {
        "typed": typed, "matches": found[:FREE_NUMBERS_SHOWN], "more": len(found) > FREE_NUMBERS_SHOWN})


class FreeNumberInput(forms.TextInput):
    """A box to type a number in, with the pool's free numbers that start as typed found as one types
    (htmx asks the number search; without JavaScript the first few are offered, and any number may
    be typed in full)."""

    def __init__(self) -> None:
        super().__init__(attrs={"list": "free-numbers-list", "autocomplete": "off", "inputmode": "tel",
                                "hx-trigger": "input changed delay:300ms", "hx-target": "#free-numbers",
                                "hx-swap": "outerHTML"})

    def render(self, name: str, value: object, attrs: dict | None = None, renderer: object = None) -> str:
        attrs = {**(attrs or {}), "hx-get": reverse("sims:number_free")}
        typed = value if isinstance(value, str) else ""  # what was typed, if the form comes back
        return mark_safe(super().render(name, value, attrs, renderer) + free_numbers_box(typed))  # noqa: S308


class FreeNumberField(forms.CharField):
    """A free number from the pool, typed (or picked from those found as one types), shown as staff
    read them and sent in aql's form. Checked here as a number written any usual way; whether it is
    still free is the service's to say, next to this field (it may have been taken since)."""

    def __init__(self, *, label: str) -> None:
        super().__init__(label=label, max_length=30, widget=FreeNumberInput(),
                         help_text="A free number from our pool: type its first digits to find one.")

    def to_python(self, value: object) -> str:
        text = super().to_python(value)
        return validators.clean_geographic_number(text) if text else text


class SubscriberForm(PersonChecks, StaffForm):
    """A subscriber's details: an activation's, or those of a SIM in use whose subscriber is not known."""

    name = forms.CharField(label="Subscriber name", max_length=100)
    address = forms.CharField(label="Address", max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    postcode = forms.CharField(label="Postcode", max_length=12)
    contact_number = forms.CharField(label="Contact phone number", max_length=30)

    def clean_contact_number(self) -> str:
        return validators.clean_contact_number(self.cleaned_data["contact_number"])


class ActivateForm(SubscriberForm):
    imei = forms.CharField(label="Handset IMEI", max_length=40, help_text="15 digits: dial *#06# on the handset.")
    number = FreeNumberField(label="Geographic number")
    field_order = ["imei", "number"]  # then the subscriber's

    def clean_imei(self) -> str:
        return validators.clean_imei(self.cleaned_data["imei"])


class ServicesForm(StaffForm):
    """The services the SIM should have: ticked as it has them now, changed to the end state wanted.
    A service not known (adopted from aql) is a choice of three of its own, `set_<name>`: left as it
    is unless staff choose on or off, so saving the form never switches off what we cannot see."""

    services = forms.MultipleChoiceField(choices=list(SERVICE_LABELS.items()), widget=forms.CheckboxSelectMultiple,
                                         required=False)
    LEAVE = "leave"
    CHOICES = [(LEAVE, "Leave as it is (not known)"), ("on", "On"), ("off", "Off")]

    def __init__(self, *args, not_known: Iterable[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.not_known = [name for name in SERVICE_LABELS if name in not_known]
        for name in self.not_known:
            self.fields[f"set_{name}"] = forms.ChoiceField(label=SERVICE_LABELS[name], choices=self.CHOICES,
                                                           initial=self.LEAVE, required=False,
                                                           widget=forms.RadioSelect)

    def clean(self) -> dict:
        """`services`: the end state wanted; `keep`: the not-known services to leave as they are."""
        data = super().clean()
        chosen = {name: data.get(f"set_{name}") or self.LEAVE for name in self.not_known}
        data["services"] = [name for name in data.get("services", []) if name not in chosen] + [
            name for name, choice in chosen.items() if choice == "on"]
        data["keep"] = [name for name, choice in chosen.items() if choice == self.LEAVE]
        return data

    def rows(self, states: list[tuple[str, str, str]]) -> list[tuple]:
        """Each service as the form shows it: name, label, where it stands now, and its choice of three
        when it is not known (None: a checkbox)."""
        return [(name, label, now, self[f"set_{name}"] if name in self.not_known else None)
                for name, label, now in states]


class NumberForm(StaffForm):
    number = FreeNumberField(label="New geographic number")


def _reason_fields(form: forms.Form, *, label: str = "Why") -> None:
    """Why a line is stopped (sims.reasons) and staff's words with it, as two fields of `form`; whether
    a reason is required is `_clean_reason`'s to say (a schedule's reactivate has none)."""
    form.fields["reason"] = forms.ChoiceField(label=label, required=False,
                                              choices=[("", "Choose a reason…"), *reasons.StaffReason.choices])
    form.fields["reason_words"] = forms.CharField(
        label="In a few words", required=False, max_length=reasons.WORDS_AT_MOST,
        help_text="Required for \"other\". Kept with the request for staff; never sent to aql or to webhooks.")


def _clean_reason(form: forms.Form, data: dict, command: str | None) -> dict:
    """The reason checked as the service checks it, each error beside its field: required for a
    suspend or a termination, none for another command."""
    if not command or not reasons.asks_why(command):
        data["reason"] = data["reason_words"] = None
    elif not data.get("reason"):
        form.add_error("reason", reasons.REASON_REQUIRED)
    else:
        try:
            data["reason"], data["reason_words"] = reasons.clean_reason(data["reason"], data.get("reason_words"),
                                                                        command=command)
        except ValidationError as exc:
            add_refusal(form, exc)
    return data


class SuspendForm(StaffForm):
    """Why the line is stopped (the SIM page's "Lost" and "Stolen" buttons post it at once)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _reason_fields(self)

    def clean(self) -> dict:
        return _clean_reason(self, super().clean(), Command.SUSPEND)


class RestEndForm(StaffForm):
    """Why a number's rest ends early (a Supervisor): required, kept in the audit trail."""

    reason = forms.CharField(label="Why end its rest now", max_length=500, required=False,
                             help_text="Kept in the audit trail with your name.")  # the service says when it is missing


class DeactivateForm(StaffForm):
    confirm = forms.CharField(label="Type the SIM's ICCID to confirm", max_length=30)

    def __init__(self, *args, iccid: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.iccid = iccid
        _reason_fields(self)
        self.order_fields(["reason", "reason_words", "confirm"])

    def clean(self) -> dict:
        return _clean_reason(self, super().clean(), Command.DEACTIVATE)

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].replace(" ", "")
        if typed != self.iccid:
            raise ValidationError("That is not this SIM's ICCID. Terminating cannot be undone: type it exactly.")
        return typed


class SettleForm(StaffForm):
    """Settling an unknown outcome by hand: a decision, and the agent's word that it rests on aql's record."""

    happened = forms.TypedChoiceField(label="What aql's record shows", widget=forms.RadioSelect,
                                      coerce=lambda v: v == "yes",
                                      choices=[("yes", "It happened: aql's record shows the change"),
                                               ("no", "It did not happen: aql's record shows no change")],
                                      error_messages={"required": "Say whether it happened."})
    confirm = forms.BooleanField(label="I have compared aql's record above with what was asked, and I am sure",
                                 error_messages={"required": "Tick this to confirm: a wrong answer here makes our "
                                                             "record disagree with aql's."})


def _pasted(text: str) -> list[str]:
    """A pasted list: one a line, or separated by commas."""
    return [v.strip() for v in text.replace(",", "\n").splitlines() if v.strip()]


class PastedListForm(StaffForm):
    """A list pasted into one field (`field`), added by `service` all or nothing: how many were
    new, or None with the bad ones named at the field (the pages and admin take lists this way)."""

    field: str
    label: str
    help: str
    service: Callable[..., list]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields[self.field] = forms.CharField(label=self.label, help_text=self.help,
                                                  widget=forms.Textarea(attrs={"rows": 5}))

    def clean(self) -> dict:
        data = super().clean()
        if self.field in data:
            data[self.field] = _pasted(data[self.field])
        return data

    def add(self, *, actor: Actor) -> int | None:
        try:
            return len(type(self).service(**{self.field: self.cleaned_data[self.field]}, actor=actor))
        except ValidationError as exc:
            self.add_error(self.field, exc.message_dict[self.field])
            return None


class BulkNumbersForm(PastedListForm):
    """Numbers aql allocated to our account, for the pool."""

    field, label, help = "numbers", "Numbers to add", "One per line, or separated by commas."
    service = services.number_add


class BulkSimsForm(PastedListForm):
    """SIMs aql put on our account, recorded unused."""

    field, label = "iccids", "ICCIDs of the SIMs to add"
    help = "The 19 or 20 digits printed on each SIM: one per line, or separated by commas."
    service = services.sim_add


class BatchForm(StaffForm):
    """What a batch needs besides its SIMs: the services for a services change, and for terminating
    the number of SIMs typed out, as a single SIM's ICCID is."""

    services = forms.MultipleChoiceField(choices=list(SERVICE_LABELS.items()), widget=forms.CheckboxSelectMultiple,
                                         required=False)
    confirm = forms.CharField(label="Type the number of SIMs to confirm", max_length=12, required=False)

    def __init__(self, *args, command: Command, count: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.count, self.command = count, command
        if reasons.asks_why(command):
            _reason_fields(self)
            self.order_fields(["reason", "reason_words"])  # first: the why, then the rest
        if command in ScheduledAction.COMMANDS:  # now, or scheduled for later
            self.fields["due_at"] = _when_field(required=False)
            self.fields["due_at"].label = "Later, at (leave empty to send now)"
        if command not in (Command.ADDSERVICE, Command.REMOVESERVICE):
            del self.fields["services"]
        else:
            self.fields["services"].label = f"Services to {'add' if command == Command.ADDSERVICE else 'remove'}"
        if command != Command.DEACTIVATE:
            del self.fields["confirm"]

    def clean_services(self) -> list[str]:
        if not self.cleaned_data["services"]:
            raise ValidationError("Choose at least one service.")
        return self.cleaned_data["services"]

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].replace(",", "").strip()
        if typed != str(self.count):
            raise ValidationError(f"Type {self.count} (the number of SIMs) to terminate them for good.")
        return typed

    def clean(self) -> dict:
        return _clean_reason(self, super().clean(), self.command)


class UploadForm(StaffForm):
    """A CSV file of SIMs (or, for stock, a pasted list of ICCIDs), for a preview before anything is done."""

    kind = forms.ChoiceField(label="What the file is for", widget=forms.RadioSelect)
    file = forms.FileField(label="CSV file", required=False,
                           help_text="Its first line names the columns. Saved from a spreadsheet as CSV (\"CSV UTF-8\" "
                                     "or plain \"CSV\"); commas, semicolons or tabs; at most 20 MB.")
    pasted = forms.CharField(label="Or paste ICCIDs (adding to stock)", required=False,
                             widget=forms.Textarea(attrs={"rows": 4}),
                             help_text="One per line, or separated by commas.")

    def __init__(self, *args, kinds: list[tuple[str, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds

    def clean(self) -> dict:
        data = super().clean()
        pasted = _pasted(data.get("pasted", ""))
        if data.get("file") and pasted:
            raise ValidationError("Upload a file or paste a list, not both.")
        if pasted:
            if data.get("kind") not in (Upload.STOCK, Upload.ADOPT):
                self.add_error("pasted", "A pasted list can only add SIMs to stock: activations need a file.")
            else:  # as a file of one column, so it is checked and previewed as a file is
                data["upload"] = SimpleUploadedFile(PASTED, ("iccid\n" + "\n".join(pasted)).encode())
        elif not data.get("file"):
            self.add_error("file", "Choose a CSV file.")
        else:
            data["upload"] = data["file"]
        return data


def _when_field(required: bool = True) -> forms.DateTimeField:
    return forms.DateTimeField(
        label="When", required=required, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="A date and time to come, in UK time.", error_messages={"invalid": "Enter a date and a time."})


class AdoptForm(UploadForm):
    """ICCIDs of SIMs already in use at aql, in a file with an ICCID column or pasted, for a preview."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, kinds=[(Upload.ADOPT, KIND_LABELS[Upload.ADOPT])], initial={"kind": Upload.ADOPT},
                         **kwargs)
        self.fields["kind"].widget = forms.HiddenInput()
        self.fields["file"].help_text = ("Its first line names the columns, one of them the ICCID; other columns "
                                         "are left alone. Saved from a spreadsheet as CSV; at most 50,000 rows.")
        self.fields["pasted"].label = "Or paste ICCIDs"


class ScheduleForm(StaffForm):
    """A suspend or a reactivate for a time to come."""

    command = forms.ChoiceField(label="What", widget=forms.RadioSelect,
                                choices=[(c.value, c.label) for c in ScheduledAction.COMMANDS])
    due_at = _when_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _reason_fields(self, label="Why (a suspend)")

    def clean(self) -> dict:
        data = super().clean()
        return _clean_reason(self, data, data.get("command"))


class RescheduleForm(StaffForm):
    due_at = _when_field()


class ReplaceForm(StaffForm):
    """Replacing a SIM: the new SIM by its last digits (an unused one of ours), the handset kept or not."""

    new_sim = forms.CharField(label="New SIM: the last digits of its ICCID", max_length=20,
                              help_text="At least 4 digits: an unused SIM of ours")
    imei = forms.CharField(label="Handset IMEI", max_length=20, required=False,
                           help_text="Leave empty to keep the old SIM's handset")

    def clean_new_sim(self) -> str:
        digits = self.cleaned_data["new_sim"].replace(" ", "")
        if not digits.isdigit() or len(digits) < 4:
            raise ValidationError("Type at least the last 4 digits of the new SIM's ICCID, digits only.")
        found = selectors_replacements.unused_sims_ending(digits=digits)
        if not found:
            raise ValidationError("No unused SIM of ours ends with those digits.")
        if len(found) > 1:
            raise ValidationError(f"More than one unused SIM ends with {digits}: type more digits.")
        return found[0].iccid

    def clean_imei(self) -> str:
        imei = self.cleaned_data["imei"].replace(" ", "")
        # The check itself, not clean_all: its error names the field, which a field's own clean may not.
        return validators.clean_imei(imei) if imei else ""
