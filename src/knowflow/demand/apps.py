from django.apps import AppConfig


class DemandConfig(AppConfig):
    """Topic requests: people ask for a topic, others vote, an expert turns it into a proposal.

    Built on the core (accounts, topics, circles, events) and reading the library's search log:
    layer 20 in `tests/test_architecture.py`. It follows the events' and library's signals to
    tell requesters and voters when their session is scheduled and its recording is out.
    """

    name = "knowflow.demand"
    label = "demand"

    def ready(self) -> None:
        from knowflow.demand import notifications, receivers  # noqa: F401 - kinds and receivers
        from knowflow.demand.selectors import requests_answered_evidence
        from knowflow.expertise import sources

        # A request answered is evidence of expertise ("answered 2 requests on Terraform").
        sources.register(requests_answered_evidence)
