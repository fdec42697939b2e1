"""The secret box: AES-256-GCM with an HKDF-SHA256 key; any tampering is an error."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from twin.ingest.calendars.errors import SecretBoxError
from twin.ingest.calendars.secretbox import (
    DEFAULT_PURPOSE,
    HKDF_SALT,
    NONCE_BYTES,
    VERSION_PREFIX,
    SecretBox,
)

ENGINE_SECRET = bytes.fromhex("00112233445566778899aabbccddeeff" * 2)
AAD = b"user-1|calendar_credentials.password"


def _hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int = 32) -> bytes:
    """RFC 5869 written out with the standard library's HMAC (an independent reference)."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block = b"", b""
    for counter in range(1, -(-length // 32) + 1):
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
    return okm[:length]


def test_rfc5869_reference_matches_test_case_1() -> None:
    """The reference HKDF reproduces RFC 5869 Appendix A.1 (so it can judge the box's key)."""
    okm = _hkdf_sha256(
        bytes.fromhex("0b" * 22),
        bytes.fromhex("000102030405060708090a0b0c"),
        bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"),
        42,
    )
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


def test_sealed_value_opens_with_the_hkdf_key_and_aes_gcm() -> None:
    """The stored form is v1.base64url(nonce ‖ AES-256-GCM(key = HKDF(secret, salt, purpose)))."""
    token = SecretBox(ENGINE_SECRET).seal("app-password-123", associated_data=AAD)
    assert token.startswith(VERSION_PREFIX)
    raw = base64.urlsafe_b64decode(token[len(VERSION_PREFIX) :])
    key = _hkdf_sha256(ENGINE_SECRET, HKDF_SALT, DEFAULT_PURPOSE)
    plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], AAD)
    assert plain == b"app-password-123"


@given(st.text(max_size=300))
def test_round_trip(secret: str) -> None:
    """Whatever is sealed opens to itself under the same key and context."""
    box = SecretBox(ENGINE_SECRET)
    assert box.open(box.seal(secret, associated_data=AAD), associated_data=AAD) == secret


def test_fresh_nonce_every_time() -> None:
    """The same secret sealed twice gives two different tokens."""
    box = SecretBox(ENGINE_SECRET)
    assert box.seal("x", associated_data=AAD) != box.seal("x", associated_data=AAD)


def test_every_flipped_byte_is_detected() -> None:
    """Changing any byte of nonce, ciphertext or tag fails to open."""
    box = SecretBox(ENGINE_SECRET)
    token = box.seal("https://calendar.example/private/abc/basic.ics", associated_data=AAD)
    raw = bytearray(base64.urlsafe_b64decode(token[len(VERSION_PREFIX) :]))
    for i in range(len(raw)):
        tampered = bytearray(raw)
        tampered[i] ^= 0x01
        bad = VERSION_PREFIX + base64.urlsafe_b64encode(bytes(tampered)).decode()
        with pytest.raises(SecretBoxError):
            box.open(bad, associated_data=AAD)


def test_other_context_key_or_purpose_does_not_open() -> None:
    """Another learner/column (associated data), engine secret or purpose → SecretBoxError."""
    token = SecretBox(ENGINE_SECRET).seal("pw", associated_data=AAD)
    with pytest.raises(SecretBoxError):
        SecretBox(ENGINE_SECRET).open(
            token, associated_data=b"user-2|calendar_credentials.password"
        )
    with pytest.raises(SecretBoxError):
        SecretBox(b"another engine secret, 32 bytes!").open(token, associated_data=AAD)
    with pytest.raises(SecretBoxError):
        SecretBox(ENGINE_SECRET, purpose=b"feed-urls").open(token, associated_data=AAD)


@pytest.mark.parametrize("token", ["", "v2.abc", "v1.***", "v1." + "A" * 8, "plaintext"])
def test_malformed_tokens(token: str) -> None:
    """Unknown versions, bad base64 and short payloads are errors, not crashes."""
    with pytest.raises(SecretBoxError):
        SecretBox(ENGINE_SECRET).open(token, associated_data=AAD)


def test_short_engine_secret_refused_and_repr_hides_it() -> None:
    """A weak engine secret is refused; the box never prints its key."""
    with pytest.raises(ValueError, match="at least 16 bytes"):
        SecretBox(b"short")
    assert repr(SecretBox(ENGINE_SECRET)) == "SecretBox(***)"
