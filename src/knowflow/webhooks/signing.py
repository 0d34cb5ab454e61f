"""The signature a receiver checks (documented in docs/integrations.md, "Verifying a delivery"):

    Knowflow-Signature: v1=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>

where ``timestamp`` is the ``Knowflow-Timestamp`` header (unix seconds when this attempt was
sent, so a retry is signed afresh) and ``body`` the exact bytes of the request body, UTF-8. The
timestamp is inside the signed text so that a captured delivery cannot be replayed later with a
fresh timestamp; the ``v1=`` prefix lets a second scheme be added beside it without breaking
receivers."""

from __future__ import annotations

import hashlib
import hmac

SCHEME = "v1"


def signature(*, secret: str, timestamp: int, body: str) -> str:
    """The ``Knowflow-Signature`` header's value for one attempt."""
    signed = f"{timestamp}.{body}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"{SCHEME}={digest}"
