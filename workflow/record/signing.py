"""Hashing and signatures: canonical JSON, the audit hash chain, what a signature covers, verification.

Private keys live in ``workflow.record.keywrap`` (sealed under their holder's password, never the instance
secret); this module only needs public keys, so anyone can verify an exported dossier offline.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

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


def verify(public_hex: str, digest_hex: str, signature_b64: str) -> bool:
    """True when ``signature_b64`` is a valid signature of ``digest_hex`` by the key ``public_hex``."""
    try:
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        public.verify(base64.b64decode(signature_b64, validate=True), bytes.fromhex(digest_hex))
    except (InvalidSignature, ValueError):
        return False
    return True
