"""A private signing key wrapped under its holder's password: argon2id derives the wrapping key, AES-256-GCM
seals the raw Ed25519 private key.

Nothing but the holder's password opens a wrapped key: not the instance secret, not the database. The
KDF parameters, salt and nonce are stored with each wrapped key (``wrap``), so a key sealed under
stronger or weaker parameters still opens with exactly the ones it was sealed with. The associated
data binds the ciphertext to its key id, so a sealed key copied onto another key's row does not open.
"""

from __future__ import annotations

import base64
import os
from dataclasses import asdict, dataclass
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from workflow.record.signing import sha256_hex

ALGORITHM = "argon2id+aes-256-gcm"


@dataclass(frozen=True, slots=True)
class KdfParams:
    """argon2id cost: passes, memory in KiB, lanes (also used for the sign-in password hash)."""

    time_cost: int
    memory_cost: int
    parallelism: int


#: RFC 9106's second recommended option (64 MiB, 3 passes, 4 lanes).
STRONG = KdfParams(time_cost=3, memory_cost=64 * 1024, parallelism=4)
#: For tests only: the same algorithm at the lowest cost argon2 accepts.
FAST = KdfParams(time_cost=1, memory_cost=8, parallelism=1)


class WrongPassword(Exception):
    """The password does not open the wrapped key (or the wrapped key was altered)."""


@dataclass(frozen=True, slots=True)
class WrappedKey:
    """A new key: its id, the public half in hex, and the private half sealed under a password."""

    key_id: str
    public_hex: str
    sealed: bytes
    wrap: dict[str, Any]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _kek(password: str, salt: bytes, params: KdfParams) -> bytes:
    return hash_secret_raw(password.encode("utf-8"), salt, time_cost=params.time_cost,
                           memory_cost=params.memory_cost, parallelism=params.parallelism, hash_len=32,
                           type=Type.ID)


def _aad(key_id: str) -> bytes:
    return f"juece-signing-key-v1:{key_id}".encode("ascii")


def seal(raw_private: bytes, key_id: str, password: str, params: KdfParams) -> tuple[bytes, dict[str, Any]]:
    """Seal a raw private key under ``password``; returns the ciphertext and its ``wrap`` record."""
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_kek(password, salt, params)).encrypt(nonce, raw_private, _aad(key_id))
    return sealed, {"alg": ALGORITHM, "salt": _b64(salt), "nonce": _b64(nonce), **asdict(params)}


def unseal(sealed: bytes, wrap: dict[str, Any], key_id: str, password: str) -> Ed25519PrivateKey:
    """The private key, opened with ``password``; raises ``WrongPassword`` otherwise."""
    if wrap.get("alg") != ALGORITHM:
        raise WrongPassword(f"unknown wrapping {wrap.get('alg')!r}")
    params = KdfParams(int(wrap["time_cost"]), int(wrap["memory_cost"]), int(wrap["parallelism"]))
    kek = _kek(password, base64.b64decode(wrap["salt"]), params)
    try:
        raw = AESGCM(kek).decrypt(base64.b64decode(wrap["nonce"]), bytes(sealed), _aad(key_id))
    except InvalidTag:
        raise WrongPassword("the password does not open this key") from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def new_key(password: str, params: KdfParams) -> WrappedKey:
    """Generate an Ed25519 key whose private half only ``password`` opens."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key_id = sha256_hex(public)[:16]
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    sealed, wrap = seal(raw, key_id, password, params)
    return WrappedKey(key_id, public.hex(), sealed, wrap)


def rewrap(sealed: bytes, wrap: dict[str, Any], key_id: str, old: str, new: str,
           params: KdfParams) -> tuple[bytes, dict[str, Any]]:
    """The same key sealed under a new password (the old one must open it)."""
    private = unseal(sealed, wrap, key_id, old)
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    return seal(raw, key_id, new, params)


def sign_digest(private: Ed25519PrivateKey, digest_hex: str) -> str:
    """Base64 Ed25519 signature over a hex digest."""
    return _b64(private.sign(bytes.fromhex(digest_hex)))
