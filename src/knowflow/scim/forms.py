from django import forms


class ScimTokenForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label="Token name",
        help_text="Where the token will be used, e.g. “Entra ID” or “Okta”.",
    )
