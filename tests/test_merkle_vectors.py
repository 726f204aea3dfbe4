"""The Merkle tree against the RFC 6962 / RFC 9162 test vectors of transparency-dev/merkle.

Source: github.com/transparency-dev/merkle at commit 417fb0c314750d94e53942e9f92e79b6d35915db
(Apache-2.0, the library Trillian and the Go checksum database use):
``testonly/constants.go`` (leaf inputs, node and root hashes), ``rfc6962/rfc6962_test.go`` (hasher),
``cmd/proofgen/main.go`` (inclusion and consistency proofs). The vectors are copied here as values.

That repository's generated probe files (``testdata/inclusion``, ``testdata/consistency``: 196 proofs
verifying or deliberately broken) are checked too when JUECE_MERKLE_TESTDATA names its ``testdata``
folder; they are not copied into juece.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.record import merkle
from workflow.record.merkle import ProofError


def h(text: str) -> bytes:
    return bytes.fromhex(text)


LEAF_INPUTS = [h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                              "606162636465666768696a6b6c6d6e6f")]
ROOTS = [h(x) for x in (
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
LEAF_HASHES = [h(x) for x in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
)]
A, B, C, D, E, F = (h(x) for x in (
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
))
G = h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")
L0 = h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
N2 = h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a")
L6 = h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f")

# (leaf index as proofgen counts it, from 1; tree size; audit path)
INCLUSION = [(1, 1, []), (1, 8, [A, B, C]), (6, 8, [D, E, F]), (3, 3, [G]), (2, 5, [L0, B, D])]
# (first size, second size, consistency proof)
CONSISTENCY = [(1, 1, []), (1, 8, [A, B, C]), (6, 8, [N2, E, F]), (2, 5, [B, D]), (6, 7, [N2, L6, F])]


def test_hasher_vectors() -> None:
    assert merkle.EMPTY_ROOT == ROOTS[0]
    assert merkle.leaf_hash(b"") == h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    assert merkle.leaf_hash(b"L123456") == h("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56")
    assert merkle.node_hash(b"N123", b"N456") == h("aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb")


def test_leaf_hashes_and_roots_of_every_size() -> None:
    leaves = [merkle.leaf_hash(x) for x in LEAF_INPUTS]
    assert leaves == LEAF_HASHES
    assert [merkle.root(leaves, n) for n in range(9)] == ROOTS


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_and_verify(index: int, size: int, path: list[bytes]) -> None:
    leaves = [merkle.leaf_hash(x) for x in LEAF_INPUTS]
    assert merkle.inclusion_proof(leaves, index - 1, size) == path
    merkle.verify_inclusion(index - 1, size, leaves[index - 1], path, ROOTS[size])
    for bad_index, bad_size in ((index, size), (index - 1, size * 2), (index - 1, size // 2)):
        if bad_index < bad_size and (bad_index, bad_size) != (index - 1, size):
            with pytest.raises(ProofError):
                merkle.verify_inclusion(bad_index, bad_size, leaves[index - 1], path, ROOTS[size])
    with pytest.raises(ProofError):  # a trailing hash too many
        merkle.verify_inclusion(index - 1, size, leaves[index - 1], [*path, ROOTS[size]], ROOTS[size])
    if path:
        flipped = [bytes([path[0][0] ^ 0x10]) + path[0][1:], *path[1:]]
        with pytest.raises(ProofError):
            merkle.verify_inclusion(index - 1, size, leaves[index - 1], flipped, ROOTS[size])


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_proofs_match_and_verify(first: int, second: int, path: list[bytes]) -> None:
    leaves = [merkle.leaf_hash(x) for x in LEAF_INPUTS]
    assert merkle.consistency_proof(leaves, first, second) == path
    merkle.verify_consistency(first, second, ROOTS[first], ROOTS[second], path)
    with pytest.raises(ProofError):  # another first tree (an altered leaf) is not a prefix
        merkle.verify_consistency(first, second, ROOTS[first - 1] if first > 1 else A, ROOTS[second], path)
    if path:
        with pytest.raises(ProofError):
            merkle.verify_consistency(first, second, ROOTS[first], ROOTS[second], path[:-1])
        with pytest.raises(ProofError):
            merkle.verify_consistency(first, second, ROOTS[first], ROOTS[second], [*path, A])


@given(st.integers(1, 70).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n), st.integers(0, n - 1))))
def test_generated_proofs_verify_for_any_size(case: tuple[int, int, int]) -> None:
    size, first, index = case
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    top = merkle.root(leaves)
    merkle.verify_inclusion(index, size, leaves[index], merkle.inclusion_proof(leaves, index), top)
    merkle.verify_consistency(first, size, merkle.root(leaves, first), top, merkle.consistency_proof(leaves, first))
    forged = list(leaves)
    forged[index] = merkle.leaf_hash(b"forged")
    if index < first:  # a changed leaf before the first tree's end breaks its consistency with the second
        with pytest.raises(ProofError):
            merkle.verify_consistency(first, size, merkle.root(leaves, first), merkle.root(forged),
                                      merkle.consistency_proof(forged, first))


def _probes(kind: str) -> list[Path]:
    folder = os.environ.get("JUECE_MERKLE_TESTDATA")
    if not folder:
        return []
    return sorted((Path(folder) / kind).rglob("*.json"))


def _b64(values: list[str] | None) -> list[bytes]:
    return [base64.b64decode(v) for v in values or []]


@pytest.mark.skipif(not os.environ.get("JUECE_MERKLE_TESTDATA"), reason="JUECE_MERKLE_TESTDATA not set")
def test_transparency_dev_probe_files() -> None:
    wrong = []
    inclusion, consistency = _probes("inclusion"), _probes("consistency")
    assert len(inclusion) > 80 and len(consistency) > 80
    for path in inclusion:
        p = json.loads(path.read_text())
        try:
            merkle.verify_inclusion(p["leafIdx"], p["treeSize"], base64.b64decode(p["leafHash"] or ""),
                                    _b64(p["proof"]), base64.b64decode(p["root"] or ""))
            ok = True
        except ProofError:
            ok = False
        if ok == p["wantErr"]:
            wrong.append(str(path))
    for path in consistency:
        p = json.loads(path.read_text())
        try:
            merkle.verify_consistency(p["size1"], p["size2"], base64.b64decode(p["root1"] or ""),
                                      base64.b64decode(p["root2"] or ""), _b64(p["proof"]))
            ok = True
        except ProofError:
            ok = False
        if ok == p["wantErr"]:
            wrong.append(str(path))
    assert not wrong, wrong
