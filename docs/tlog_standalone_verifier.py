#!/usr/bin/env python3
"""A verifier for juece's transparency log that uses no juece code (docs/transparency-log.md, section 7).

    python3 tlog_standalone_verifier.py VERIFIER_KEY inclusion BUNDLE.json
    python3 tlog_standalone_verifier.py VERIFIER_KEY consistency OLD_HEAD.json NEW_HEAD.json PROOF.json

Needs only ``cryptography`` (Ed25519) and ``rfc8785`` (any RFC 8785 JSON canonicalizer will do).
Exit status 0 when the proof holds, 1 when it does not.
"""

import base64
import hashlib
import json
import sys

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def head_of(data, vkey):
    """Check the signed note of a head JSON with the verifier key; return (size, root bytes)."""
    name, hash_hex, key64 = vkey.split("+", 2)  # base64 may itself contain "+"
    key = base64.b64decode(key64)
    assert key[0] == 1 and hashlib.sha256(name.encode() + b"\n" + key).digest()[:4].hex() == hash_hex, "bad key"
    text, _, signatures = data["note"].rpartition("\n\n")
    text += "\n"
    for line in signatures.splitlines():
        sig_name, sig64 = line.removeprefix("\u2014 ").split(" ", 1)
        raw = base64.b64decode(sig64)
        if sig_name == name and raw[:4].hex() == hash_hex:
            Ed25519PublicKey.from_public_bytes(key[1:]).verify(raw[4:], text.encode())  # raises if forged
            origin, size, root64, _timestamp, _ = text.split("\n")
            assert origin == name, "another log's head"
            return int(size), base64.b64decode(root64)
    raise AssertionError("no signature by this key")


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def inclusion_root(index, size, leaf, path):
    """RFC 9162, 2.1.3.2."""
    assert index < size
    fn, sn, r = index, size - 1, leaf
    for p in path:
        assert sn > 0, "proof too long"
        if fn & 1 or fn == sn:
            r = node(p, r)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node(r, p)
        fn, sn = fn >> 1, sn >> 1
    assert sn == 0, "proof too short"
    return r


def consistency_ok(first, second, root1, root2, path):
    """RFC 9162, 2.1.4.2 (equal sizes: an empty proof and equal roots)."""
    if first == second:
        return not path and root1 == root2
    assert 0 < first < second and path
    if first & (first - 1) == 0:
        path = [root1, *path]
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        assert sn > 0, "proof too long"
        if fn & 1 or fn == sn:
            fr, sr = node(c, fr), node(c, sr)
            while fn and not fn & 1:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == root1 and sr == root2


def main(argv):
    vkey, kind, *files = argv
    docs = [json.load(open(f, encoding="utf-8")) for f in files]
    if kind == "inclusion":
        (bundle,) = docs
        size, root = head_of(bundle["head"], vkey)
        leaf = hashlib.sha256(b"\x00" + rfc8785.dumps(bundle["leaf"])).digest()
        path = [bytes.fromhex(p) for p in bundle["inclusion_proof"]]
        ok = inclusion_root(bundle["leaf_index"], size, leaf, path) == root
        print(f"{bundle['leaf']['stream']} #{bundle['leaf']['seq']} in the tree of size {size}:", ok)
    else:
        (size1, root1), (size2, root2) = head_of(docs[0], vkey), head_of(docs[1], vkey)
        path = [bytes.fromhex(p) for p in docs[2]["consistency_proof"]]
        ok = consistency_ok(size1, size2, root1, root2, path)
        print(f"tree {size1} is a prefix of tree {size2}:", ok)
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (AssertionError, InvalidSignature, ValueError, KeyError) as exc:
        print("does not verify:", exc or type(exc).__name__)
        sys.exit(1)
