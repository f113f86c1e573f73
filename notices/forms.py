"""The preferences form: one choice per topic the person's role may hear about."""

from django import forms

from notices.models import Channel, Topic


class PreferencesForm(forms.Form):
    """A select per topic, each starting at the person's present choice (their role's default if none)."""

    def __init__(self, *args: object, current: dict[Topic, Channel], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for topic, channel in current.items():
            self.fields[topic.value] = forms.ChoiceField(label=topic.label, choices=Channel.choices, initial=channel)
