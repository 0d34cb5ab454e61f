from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "knowflow.accounts"
    label = "accounts"
