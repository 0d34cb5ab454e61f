from django.apps import AppConfig


class ScimConfig(AppConfig):
    """People and groups provisioned by a company's identity provider over SCIM 2.0."""

    name = "knowflow.scim"
    label = "scim"
