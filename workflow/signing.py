"""Hashing and signatures: canonical JSON, the audit hash chain, Ed25519 keys per user.

A private key is never stored in clear: it is kept PEM-encrypted (``BestAvailableEncryption``) under
a passphrase the caller supplies (the instance secret, or the user's own password once the web
sign-in wraps it). Public keys are on record so anyone can verify an exported dossier offline.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

GENESIS = "0" * 64


def canonical(value: Any) -> bytes:
    """The one byte form of a JSON value that every hash and signature is taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def chain_hash(prev_hash: str, stream: str, seq: int, from_state: str | None, to_state: str | None,
               event: Mapping[str, Any]) -> str:
    """Hash of one audit event, chained to the one before it in the same stream."""
    body = {"stream": stream, "seq": seq, "from": from_state, "to": to_state, "event": event}
    return sha256_hex(bytes.fromhex(prev_hash) + canonical(body))


def signing_digest(stream: str, event: Mapping[str, Any]) -> str:
    """What a signature covers: the stream and the event (minus the signature itself)."""
    unsigned = {k: v for k, v in event.items() if k != "signature"}
    return sha256_hex(canonical({"stream": stream, "event": unsigned}))


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A new user key: the public half in hex, the private half encrypted as PEM."""

    key_id: str
    public_hex: str
    private_pem: bytes


def new_key(passphrase: bytes) -> KeyPair:
    """Generate an Ed25519 key, its private half encrypted under ``passphrase``."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(passphrase))
    return KeyPair(sha256_hex(public)[:16], public.hex(), pem)


def sign(private_pem: bytes, passphrase: bytes, digest_hex: str) -> str:
    """Base64 Ed25519 signature over a hex digest."""
    private = serialization.load_pem_private_key(private_pem, password=passphrase)
    assert isinstance(private, Ed25519PrivateKey)
    return base64.b64encode(private.sign(bytes.fromhex(digest_hex))).decode("ascii")


def verify(public_hex: str, digest_hex: str, signature_b64: str) -> bool:
    """True when ``signature_b64`` is a valid signature of ``digest_hex`` by the key ``public_hex``."""
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        public.verify(base64.b64decode(signature_b64, validate=True), bytes.fromhex(digest_hex))
    except (InvalidSignature, ValueError):
        return False
    return True
