from django.apps import AppConfig


class ExpertiseConfig(AppConfig):
    name = "knowflow.expertise"
    label = "expertise"
    verbose_name = "Expertise"
