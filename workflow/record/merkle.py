"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0, section 2.1): hashes, proofs, verification.

Pure functions over lists of leaf hashes; nothing here knows about the database. The algorithms follow
the RFC's text: MTH (2.1.1), PATH (2.1.3.1) and its verification (2.1.3.2), SUBPROOF (2.1.4.1) and its
verification (2.1.4.2). The edge cases the RFC leaves open (equal sizes, an empty first tree) are
decided as transparency-dev/merkle does, whose test vectors ``tests/test_merkle_vectors.py`` checks.

No library is used for this: ``pymerkle`` builds its own proof format and storage, not the RFC's
audit paths over hashes juece keeps in its own tables (see docs/transparency-log.md, "Choices").
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not verify, or a request for a proof that cannot exist."""


def leaf_hash(data: bytes) -> bytes:
    """HASH(0x00 || leaf): a leaf can never be mistaken for an interior node."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """HASH(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH of leaves[lo:hi], without copying the list (the tree can be large)."""
    n = hi - lo
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[lo]
    k = _split(n)
    return node_hash(_mth(leaves, lo, lo + k), _mth(leaves, lo + k, hi))


def root(leaves: Sequence[bytes], size: int | None = None) -> bytes:
    """The Merkle tree hash of the first ``size`` leaf hashes (all of them when None)."""
    size = len(leaves) if size is None else size
    if not 0 <= size <= len(leaves):
        raise ProofError(f"tree size {size} outside 0..{len(leaves)}")
    return _mth(leaves, 0, size)


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int | None = None) -> list[bytes]:
    """PATH(index, D[size]): the audit path of leaf ``index`` in the tree of the first ``size`` leaves."""
    size = len(leaves) if size is None else size
    if not 0 <= index < size <= len(leaves):
        raise ProofError(f"leaf {index} is not in a tree of size {size}")
    path: list[bytes] = []
    lo, hi = 0, size
    while hi - lo > 1:  # from the root down; the RFC lists the path leaf-first, so it is reversed below
        k = _split(hi - lo)
        if index < lo + k:
            path.append(_mth(leaves, lo + k, hi))
            hi = lo + k
        else:
            path.append(_mth(leaves, lo, lo + k))
            lo = lo + k
    return path[::-1]


def consistency_proof(leaves: Sequence[bytes], first: int, second: int | None = None) -> list[bytes]:
    """PROOF(first, D[second]): the hashes that show the first tree is a prefix of the second."""
    second = len(leaves) if second is None else second
    if not 0 < first <= second <= len(leaves):
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    return _subproof(leaves, first, 0, second, True)


def _subproof(leaves: Sequence[bytes], m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[lo:hi], b) of RFC 9162, 2.1.4.1."""
    n = hi - lo
    if m == n:
        return [] if whole else [_mth(leaves, lo, hi)]
    k = _split(n)
    if m <= k:
        return _subproof(leaves, m, lo, lo + k, whole) + [_mth(leaves, lo + k, hi)]
    return _subproof(leaves, m - k, lo + k, hi, False) + [_mth(leaves, lo, lo + k)]


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162, 2.1.3.2, steps 1-4)."""
    _check_hash(leaf, "leaf hash")
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not below the tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        _check_hash(p, "proof hash")
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root_hash: bytes) -> None:
    """Raise ProofError unless ``path`` proves leaf ``index`` in the tree of ``size`` with ``root_hash``."""
    if root_from_inclusion(index, size, leaf, path) != root_hash:
        raise ProofError("inclusion proof does not lead to the root hash")


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes,
                       path: Sequence[bytes]) -> None:
    """Raise ProofError unless ``path`` proves the tree (first, first_root) a prefix of (second, second_root)."""
    if first == 0 or first > second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    if first == second:  # the same tree: nothing to prove, and nothing may be offered as proof
        if path:
            raise ProofError("equal sizes need an empty proof")
        if first_root != second_root:
            raise ProofError("equal sizes with different roots")
        return
    _check_hash(first_root, "first root")
    _check_hash(second_root, "second root")
    if not path:
        raise ProofError("empty consistency proof")
    for p in path:
        _check_hash(p, "proof hash")
    nodes = list(path)
    if first & (first - 1) == 0:  # a power of two: the first tree is itself a node of the second
        nodes.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise ProofError("consistency proof does not match the two roots")
