"""Signals the events app sends for other apps to follow.

`occurrences_removed`: dates were deleted, or moved to another session, outside the services
(the admin, an importer that replaces a talk's dates). Sent after the change, in its
transaction, with ``session_ids``: every session that lost or gained a date. The feedback app
rebuilds those sessions' tallies. A plain Django ``post_delete`` receiver would do the same but
would turn every bulk delete of dates into one query per row.

What happened to sessions, dates and places, sent by the services inside the transaction of
the change, so a receiver that queues a post or an email writes it if and only if the change
commits (chat channels, outgoing webhooks and xAPI statements follow them). Receivers must be
quick and must not raise on data they do not expect. Bulk writers (the demo, importers) send
none: they are not news.

- `session_scheduled(session=, occurrence=)`: a session got its first date (it was proposed
  and is now scheduled) — ``occurrence`` is that date;
- `occurrence_changed(occurrence=, change=)`: ``change`` is "added" (another date of a session
  already scheduled) or "moved" (its time, room or online link changed);
- `occurrence_cancelled(occurrence=)`: one date was cancelled;
- `session_cancelled(session=)`: the whole session was cancelled (its dates keep their own
  state; every upcoming one is off);
- `registration_created(registration=)`: someone asked for a place (going or waitlisted);
- `attendance_recorded(attendance=)`: someone's attendance was recorded, or its mode changed
  (an organiser's checklist, a check-in, watching the recording).
"""

from __future__ import annotations

from django.dispatch import Signal

occurrences_removed = Signal()

session_scheduled = Signal()
occurrence_changed = Signal()
occurrence_cancelled = Signal()
session_cancelled = Signal()
registration_created = Signal()
attendance_recorded = Signal()
