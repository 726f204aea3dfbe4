"""Signed tree heads: the log key, the checkpoint text it signs, and the head's JSON form.

A tree head is a C2SP ``tlog-checkpoint`` (origin, size, base64 root hash, and one extension line with
the instant), signed as a C2SP/Go ``signed note`` by the installation's log key. The log key is an
Ed25519 key that belongs to no person; its private half is kept PEM-encrypted under a passphrase
derived from the instance secret (never the same passphrase as any person's key), and its public half
is on record in the system stream and published as a note verifier key (``origin+hash+base64``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from workflow.record.merkle import ProofError

ALG_ED25519 = b"\x01"
FORMAT = "juece-tree-head/1"


class HeadError(ProofError):
    """A tree head that is malformed, or whose signature does not verify."""


def key_hash(origin: str, public: bytes) -> bytes:
    """The 4-byte note key hash: SHA-256(origin || LF || 0x01 || public key)[:4]."""
    return hashlib.sha256(origin.encode("utf-8") + b"\n" + ALG_ED25519 + public).digest()[:4]


def verifier_key(origin: str, public: bytes) -> str:
    """The note verifier key string ``origin+hash+base64(0x01 || key)`` a witness pins."""
    return f"{origin}+{key_hash(origin, public).hex()}+{base64.b64encode(ALG_ED25519 + public).decode()}"


def parse_verifier_key(vkey: str) -> tuple[str, bytes]:
    """(origin, raw Ed25519 public key) of a verifier key string, checked."""
    origin, _, rest = vkey.strip().partition("+")
    hash_hex, _, key64 = rest.partition("+")
    try:
        key = base64.b64decode(key64, validate=True)
    except ValueError as exc:
        raise HeadError(f"malformed verifier key: {exc}") from exc
    if len(key) != 33 or key[:1] != ALG_ED25519 or key_hash(origin, key[1:]).hex() != hash_hex.lower():
        raise HeadError("malformed verifier key (name, hash or Ed25519 key)")
    return origin, key[1:]


def passphrase(secret: bytes) -> bytes:
    """The log key's passphrase: derived from the instance secret, distinct from any person's."""
    return hashlib.sha256(b"juece log key\x00" + secret).hexdigest().encode("ascii")


@dataclass(frozen=True, slots=True)
class NewLogKey:
    """A freshly generated log key."""

    origin: str
    public: bytes
    private_pem: bytes

    @property
    def hash_hex(self) -> str:
        """The key hash in hex, the key's id."""
        return key_hash(self.origin, self.public).hex()


def new_log_key(origin: str, secret: bytes) -> NewLogKey:
    """Generate the log key for ``origin`` (a name with no spaces or '+')."""
    if not origin or any(c.isspace() for c in origin) or "+" in origin:
        raise HeadError(f"log origin {origin!r} must be non-empty, without spaces or '+'")
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(passphrase(secret)))
    return NewLogKey(origin, public, pem)


def iso_seconds(moment: dt.datetime) -> str:
    """An instant as RFC 3339 UTC to the second (what a checkpoint carries)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def checkpoint(origin: str, tree_size: int, root_hash: bytes, timestamp: dt.datetime) -> str:
    """The checkpoint text that is signed."""
    return f"{origin}\n{tree_size}\n{base64.b64encode(root_hash).decode()}\ntimestamp {iso_seconds(timestamp)}\n"


def sign_note(text: str, origin: str, private_pem: bytes, secret: bytes) -> str:
    """``text`` as a signed note: text, a blank line, and the signature line of the log key."""
    private = serialization.load_pem_private_key(private_pem, password=passphrase(secret))
    if not isinstance(private, Ed25519PrivateKey):
        raise HeadError("the log key is not an Ed25519 key")
    return sign_note_with(text, origin, private)


def sign_note_with(text: str, origin: str, private: Ed25519PrivateKey) -> str:
    """Sign ``text`` with an unwrapped key (also used to check against the Go note package's example)."""
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    signature = key_hash(origin, public) + private.sign(text.encode("utf-8"))
    return f"{text}\n\u2014 {origin} {base64.b64encode(signature).decode()}\n"


def open_note(note: str, vkey: str) -> str:
    """The signed text of ``note`` when the key ``vkey`` signed it; HeadError otherwise."""
    origin, public = parse_verifier_key(vkey)
    text, sep, signatures = note.rpartition("\n\n")
    if not sep:
        raise HeadError("not a signed note (no blank line before the signatures)")
    text += "\n"
    wanted = key_hash(origin, public)
    for line in signatures.splitlines():
        name, _, sig64 = line.removeprefix("\u2014 ").partition(" ")
        if not line.startswith("\u2014 ") or name != origin:
            continue
        try:
            raw = base64.b64decode(sig64, validate=True)
        except ValueError:
            continue
        if raw[:4] != wanted:
            continue
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], text.encode("utf-8"))
        except InvalidSignature as exc:
            raise HeadError("the tree head's signature is invalid") from exc
        return text
    raise HeadError(f"the tree head is not signed by the key {origin}+{wanted.hex()}")


@dataclass(frozen=True, slots=True)
class Head:
    """A verified tree head."""

    origin: str
    tree_size: int
    root_hash: bytes
    timestamp: dt.datetime
    key_hash: str
    note: str

    def as_dict(self) -> dict[str, Any]:
        """The published JSON form: the signed note, and its fields for convenience."""
        return {"format": FORMAT, "origin": self.origin, "tree_size": self.tree_size,
                "root_hash": self.root_hash.hex(), "timestamp": iso_seconds(self.timestamp),
                "key_hash": self.key_hash, "note": self.note}


def read_head(data: Mapping[str, Any], vkey: str) -> Head:
    """The head in ``data`` (its JSON form), its signature checked against ``vkey``; HeadError otherwise."""
    note = data.get("note")
    if not isinstance(note, str):
        raise HeadError("no signed note in the tree head")
    text = open_note(note, vkey)
    lines = text.split("\n")
    if len(lines) < 5 or not lines[3].startswith("timestamp "):
        raise HeadError("the signed note is not a juece checkpoint")
    try:
        tree_size = int(lines[1])
        root_hash = base64.b64decode(lines[2], validate=True)
        timestamp = dt.datetime.strptime(lines[3].removeprefix("timestamp "), "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=dt.UTC)
    except ValueError as exc:
        raise HeadError(f"the checkpoint is malformed: {exc}") from exc
    origin, public = parse_verifier_key(vkey)
    if lines[0] != origin:
        raise HeadError(f"the checkpoint names the log {lines[0]!r}, the key is {origin!r}'s")
    head = Head(lines[0], tree_size, root_hash, timestamp, key_hash(origin, public).hex(), note)
    # The JSON fields restate the signed text; a restatement that differs is a forgery.
    for name, value in head.as_dict().items():
        if name in data and data[name] != value:
            raise HeadError(f"the field {name!r} differs from the signed checkpoint")
    return head
