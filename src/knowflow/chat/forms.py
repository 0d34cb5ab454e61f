"""The form that connects a chat channel."""

from __future__ import annotations

from django import forms

from knowflow.chat.models import ChatChannel


class ChatChannelForm(forms.Form):
    kind = forms.ChoiceField(
        label="Chat tool",
        choices=ChatChannel.Kind.choices,
        widget=forms.RadioSelect,
        initial=ChatChannel.Kind.SLACK,
    )
    name = forms.CharField(
        label="Channel name",
        max_length=80,
        help_text="As people know it, for example #data-eng.",
    )
    webhook_url = forms.CharField(
        label="Webhook URL",
        max_length=2000,
        help_text=(
            "Slack: the incoming webhook URL (https://hooks.slack.com/services/…). Teams: the URL "
            "of the Workflows flow “Post to a channel when a webhook request is received”. "
            "It is stored encrypted and never shown again."
        ),
        # Not rendered back when another field is refused: the URL is the channel's credential
        # and is never shown again once typed (it is pasted again).
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    notify_new_sessions = forms.BooleanField(label="New sessions", required=False, initial=True)
    notify_date_changes = forms.BooleanField(
        label="Dates added, moved or cancelled", required=False, initial=True
    )
    notify_starting_soon = forms.BooleanField(
        label="15 minutes before a date starts, with the join link", required=False, initial=True
    )
    notify_recordings = forms.BooleanField(
        label="A session's recording is available", required=False, initial=True
    )
