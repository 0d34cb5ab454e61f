from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Programme metrics, duplicated-training detection, expertise use, the collaboration
    network and the ROI workspace."""

    name = "knowflow.insights"
    label = "insights"
