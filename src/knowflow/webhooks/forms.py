"""The webhook form: an address, a description and the events to send. The rules (https, known
events, lengths) are the services'; the form only parses."""

from __future__ import annotations

from django import forms

from knowflow.links import WebURLFormField
from knowflow.webhooks.catalogue import EVENT_CHOICES
from knowflow.webhooks.models import Webhook


class WebhookForm(forms.Form):
    url = WebURLFormField(
        label="Payload URL",
        max_length=500,
        help_text="Where Knowflow sends a POST with JSON for each event. It must start with https://.",
        error_messages={"required": "Enter the payload URL the deliveries are sent to."},
    )
    description = forms.CharField(
        label="Description (optional)",
        max_length=200,
        required=False,
        help_text="Which system this is and who looks after it.",
    )
    events = forms.MultipleChoiceField(
        label="Events to send",
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one event to send.",
            "invalid_choice": "There is no event called %(value)s. Choose from the list.",
        },
    )

    @classmethod
    def for_webhook(cls, webhook: Webhook) -> WebhookForm:
        return cls(
            initial={
                "url": webhook.url,
                "description": webhook.description,
                "events": webhook.events,
            }
        )
