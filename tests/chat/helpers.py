"""Chat channels for tests: through the service (a real Slack or Teams URL), or pointed at the
local receiver (a row whose sealed URL is the receiver's, which the service would refuse:
it takes https URLs on the providers' hosts only)."""

from __future__ import annotations

from knowflow.accounts.models import Person
from knowflow.chat.models import ChatChannel
from knowflow.circles.models import Circle
from knowflow.sealing import seal
from knowflow.topics.models import Topic
from tests.http_receiver import Received, Receiver


def channel_to(
    url: str,
    *,
    kind: str = ChatChannel.Kind.SLACK,
    circle: Circle | None = None,
    topic: Topic | None = None,
    name: str = "#data-eng",
    created_by: Person | None = None,
    **flags: bool,
) -> ChatChannel:
    return ChatChannel.objects.create(
        circle=circle,
        topic=topic,
        kind=kind,
        name=name,
        webhook_url_sealed=seal(url),
        webhook_host="127.0.0.1",
        created_by=created_by,
        **flags,
    )


class ChatReceiver(Receiver):
    """The shared receiver, standing in for several channels at once: each path is one
    channel, answering 200 unless told otherwise (`statuses`)."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: dict[str, int] = {}
        self.answer(lambda request: (self.statuses.get(request.path, 200), b"ok"))
        # A client that stopped waiting (the timeout test) closes the socket before the answer:
        # the server's traceback about it is expected, not news.
        self.server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]

    def to(self, path: str) -> list[Received]:
        return [request for request in self.requests if request.path == path]

    def url_of(self, path: str) -> str:
        return f"{self.url}{path}"
