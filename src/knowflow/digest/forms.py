from __future__ import annotations

from django import forms

from knowflow.digest.models import DigestSubscription


class DigestFrequencyForm(forms.Form):
    frequency = forms.ChoiceField(
        label="Send me the digest",
        choices=DigestSubscription.Frequency.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose weekly, every working day or off.",
            "invalid_choice": "Choose weekly, every working day or off.",
        },
    )
