"""The receiver's side of docs/integrations.md "Verifying a delivery", written from the
documentation (not from knowflow.webhooks.signing), so a test fails if the two disagree."""

from __future__ import annotations

import hashlib
import hmac
import time


def verify(secret: str, headers: dict[str, str], body: bytes, *, now: float | None = None) -> bool:
    timestamp = headers.get("Knowflow-Timestamp", "")
    signature = headers.get("Knowflow-Signature", "")
    if not timestamp.isdigit():
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > 300:
        return False  # older than 5 minutes (or from the future): a replay
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return any(hmac.compare_digest(f"v1={expected}", part.strip()) for part in signature.split(","))
