"""Signals the events app sends for other apps to follow.

`occurrences_removed`: dates were deleted, or moved to another session, outside the services
(the admin, an importer that replaces a talk's dates). Sent after the change, in its
transaction, with ``session_ids``: every session that lost or gained a date. The feedback app
rebuilds those sessions' tallies. A plain Django ``post_delete`` receiver would do the same but
would turn every bulk delete of dates into one query per row.
"""

from __future__ import annotations

from django.dispatch import Signal

occurrences_removed = Signal()
