"""Signals the outbound app sends for the domains to follow.

`outbound_pass_starting`: a delivery pass (`services.outbound_deliver_due`) is about to post
what is due, with ``now``. A domain whose posts fall due with the clock rather than with a
change ("starts in 15 minutes" in a chat channel) writes them here, so they leave in the same
pass. Sent outside any transaction; a receiver's error ends the pass (the loop logs it and tries
again).
"""

from __future__ import annotations

from django.dispatch import Signal

outbound_pass_starting = Signal()
