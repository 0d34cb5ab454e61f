"""Secrets kept for later use: sealed (encrypted) or digested (hashed), never stored in clear.

Two kinds of secret reach the database:

- one Knowflow only compares (a SCIM bearer token, an API token): keep its `digest`, show the
  secret once, and compare digests;
- one Knowflow must use again (a webhook's signing secret, a chat channel's webhook URL, which
  carries its own credential): `seal` it, and `unseal` it at the moment it is used.

Sealing is Fernet (AES-128-CBC with an HMAC-SHA256 tag, from `cryptography`): a sealed value
cannot be read or changed without the key. The keys come from `KNOWFLOW_SEALING_KEYS`
(comma-separated Fernet keys: the first one seals, all of them unseal, so a key is rotated by
putting the new one first and keeping the old one listed); without it,
one key is derived from SECRET_KEY, so a stolen database alone does not reveal the secrets, and
changing SECRET_KEY without listing the old derived key makes sealed values unreadable (the
owner of each must enter it again — `Unreadable` says so).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class Unreadable(Exception):
    """A sealed value the configured keys cannot open (the keys changed, or it was altered)."""


def _derived_key(secret_key: str) -> bytes:
    material = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"knowflow-sealing", info=b"fernet"
    ).derive(secret_key.encode())
    return base64.urlsafe_b64encode(material)


@cache
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    listed = [key.strip() for key in keys if key.strip()]
    return MultiFernet([Fernet(key) for key in listed] or [Fernet(_derived_key(secret_key))])


def _keys() -> MultiFernet:
    return _fernet(tuple(settings.KNOWFLOW_SEALING_KEYS), settings.SECRET_KEY)


def seal(text: str) -> str:
    """`text` encrypted and authenticated, as ASCII fit for a CharField/TextField."""
    return _keys().encrypt(text.encode()).decode("ascii")


def unseal(token: str) -> str:
    """The text `seal` was given. Raises `Unreadable` if the keys cannot open it."""
    try:
        return _keys().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError) as error:
        raise Unreadable(
            "This secret can no longer be read (the sealing keys changed): enter it again."
        ) from error


def digest(secret: str) -> str:
    """The SHA-256 of a secret that is only ever compared (a random token: no salt needed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(prefix: str = "") -> str:
    """A fresh random secret (256 bits), with a prefix that says what it is for (`kfscim_`)."""
    return prefix + secrets.token_urlsafe(32)
