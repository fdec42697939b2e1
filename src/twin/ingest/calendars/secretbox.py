"""Secrets at rest (calendar passwords, secret feed URLs): AES-256-GCM, key derived by HKDF.

The 256-bit key is ``HKDF-SHA256(engine secret, salt = "twin-secretbox-v1",
info = purpose)``, so the engine's one secret (``engine_secrets``) never encrypts
anything directly and each purpose has its own key. Every seal draws a fresh 96-bit
nonce and binds ``associated_data`` — the service passes e.g. ``userId`` and the column
name — so a sealed value copied to another learner's row or another column does not
open. The stored form is ``v1.<base64url(nonce ‖ ciphertext ‖ tag)>``. Anything wrong
(another key, other associated data, a changed byte, a bad format) raises
``SecretBoxError`` and never yields a partial plaintext.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from twin.ingest.calendars.errors import SecretBoxError

VERSION_PREFIX = "v1."
KEY_BYTES = 32
NONCE_BYTES = 12
HKDF_SALT = b"twin-secretbox-v1"
DEFAULT_PURPOSE = b"calendar-credentials"
MIN_SECRET_BYTES = 16


class SecretBox:
    """Seal and open short secrets with a key derived from the engine's secret."""

    def __init__(self, engine_secret: bytes, *, purpose: bytes = DEFAULT_PURPOSE) -> None:
        if len(engine_secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the engine secret must have at least {MIN_SECRET_BYTES} bytes")
        key = HKDF(
            algorithm=hashes.SHA256(), length=KEY_BYTES, salt=HKDF_SALT, info=purpose
        ).derive(engine_secret)
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "SecretBox(***)"

    def seal(self, plaintext: str, *, associated_data: bytes) -> str:
        """``v1.<base64url>`` of a fresh nonce and the AES-256-GCM ciphertext of ``plaintext``."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), associated_data)
        return VERSION_PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def open(self, token: str, *, associated_data: bytes) -> str:
        """The plaintext of ``token``; SecretBoxError when the key, context or bytes do not match."""
        if not token.startswith(VERSION_PREFIX):
            raise SecretBoxError("sealed secret has an unknown format")
        try:
            raw = base64.urlsafe_b64decode(token[len(VERSION_PREFIX) :].encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
            raise SecretBoxError("sealed secret is not valid base64") from exc
        if len(raw) < NONCE_BYTES + 16:
            raise SecretBoxError("sealed secret is too short")
        try:
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data)
        except InvalidTag as exc:
            raise SecretBoxError(
                "sealed secret does not open: wrong key or context, or it was altered"
            ) from exc
        return plain.decode("utf-8")
