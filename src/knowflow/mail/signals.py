"""Signals the mail app sends for the domains to follow.

`outbox_pass_starting`: a delivery pass (`services.outbox_deliver_due`) is about to send what
is due, with ``now``. A domain whose emails fall due with the clock rather than with a change
writes them here, so they leave in the same pass: events writes its reminders before a date
starts. Sent outside any transaction; a receiver's error ends the pass (the loop logs it and
tries again), as a failed write of due messages should not be skipped silently.
"""

from __future__ import annotations

from django.dispatch import Signal

outbox_pass_starting = Signal()
