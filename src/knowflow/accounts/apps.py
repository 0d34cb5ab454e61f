from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "knowflow.accounts"
    label = "accounts"

    def ready(self) -> None:
        from knowflow.accounts import checks, search  # noqa: F401 - checks registers itself

        search.register()
