"""Signals the library app sends for other apps to follow, inside the transaction of the change
(a receiver queueing a post writes it if and only if the change commits; receivers must be quick
and must not raise).

- `recording_published(resource=)`: a recording became available for a session — a recording
  resource was created with a session, or an existing one was attached to a session;
- `path_completed(collection=, person=)`: a person ticked off the last item of a learning path
  (every item of it is now done by them).
"""

from __future__ import annotations

from django.dispatch import Signal

recording_published = Signal()
path_completed = Signal()
