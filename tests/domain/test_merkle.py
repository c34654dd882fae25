"""The log's tree against RFC 6962 test vectors (transparency-dev/merkle, proof/verify_test.go) and the
definition itself."""

from __future__ import annotations

import hashlib
import random

import pytest

from domain.merkle import (
    EMPTY_ROOT,
    consistency_ranges,
    hashes_for,
    inclusion_ranges,
    leaf_hash,
    mth,
    range_nodes,
    root_from_inclusion,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f")]
ROOTS = [bytes.fromhex(h) for h in (
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
)]
# (1-based leaf, tree size, proof), as in the vectors.
INCLUSION = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
HASHED = [leaf_hash(d) for d in LEAVES]


def stored_nodes(hashes: list[bytes]) -> dict[tuple[int, int], bytes]:
    """Every complete subtree, as the store keeps them."""
    nodes = {(0, i): h for i, h in enumerate(hashes)}
    level = 0
    while (1 << (level + 1)) <= len(hashes):
        for i in range(len(hashes) >> (level + 1)):
            nodes[(level + 1, i)] = hashlib.sha256(b"\x01" + nodes[(level, 2 * i)] + nodes[(level, 2 * i + 1)]).digest()
        level += 1
    return nodes


def test_roots_match_the_vectors() -> None:
    assert mth([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    for size in range(1, 9):
        assert mth(HASHED[:size]) == ROOTS[size - 1]
        nodes = stored_nodes(HASHED[:size])
        assert hashes_for([(0, size)], nodes) == [ROOTS[size - 1]]


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_the_vectors(leaf: int, size: int, proof: list[str]) -> None:
    expected = [bytes.fromhex(p) for p in proof]
    assert hashes_for(inclusion_ranges(leaf - 1, size), stored_nodes(HASHED[:size])) == expected
    assert verify_inclusion(leaf - 1, size, HASHED[leaf - 1], expected, ROOTS[size - 1])
    assert not verify_inclusion(leaf - 1, size, leaf_hash(b"WrongLeaf"), expected, ROOTS[size - 1])
    if expected:
        for i in range(len(expected)):
            flipped = list(expected)
            flipped[i] = bytes([flipped[i][0] ^ 8]) + flipped[i][1:]
            assert not verify_inclusion(leaf - 1, size, HASHED[leaf - 1], flipped, ROOTS[size - 1])
        assert not verify_inclusion(leaf - 1, size, HASHED[leaf - 1], expected[:-1], ROOTS[size - 1])
        assert not verify_inclusion(leaf - 1, size, HASHED[leaf - 1], [*expected, ROOTS[0]], ROOTS[size - 1])
        assert not verify_inclusion(leaf - 1, size * 2, HASHED[leaf - 1], expected, ROOTS[size - 1])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_vectors(old: int, new: int, proof: list[str]) -> None:
    expected = [bytes.fromhex(p) for p in proof]
    assert hashes_for(consistency_ranges(old, new), stored_nodes(HASHED[:new])) == expected
    assert verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], expected)
    if expected:
        assert not verify_consistency(old, new, ROOTS[new - 1], ROOTS[old - 1], expected)
        assert not verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], expected[:-1])
        assert not verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], [])
        assert not verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], [*expected, ROOTS[0]])
        for i in range(len(expected)):
            flipped = list(expected)
            flipped[i] = bytes([flipped[i][0] ^ 16]) + flipped[i][1:]
            assert not verify_consistency(old, new, ROOTS[old - 1], ROOTS[new - 1], flipped)


def test_edge_sizes() -> None:
    assert verify_consistency(0, 5, EMPTY_ROOT, ROOTS[4], [])
    assert not verify_consistency(2, 1, ROOTS[1], ROOTS[0], [])
    with pytest.raises(ValueError):
        root_from_inclusion(5, 5, HASHED[0], [])


def test_every_proof_of_every_size_up_to_70() -> None:
    rng = random.Random(7)
    hashes = [leaf_hash(rng.randbytes(rng.randrange(0, 40))) for _ in range(70)]
    nodes = stored_nodes(hashes)
    for size in range(1, 71):
        root = mth(hashes[:size])
        assert hashes_for([(0, size)], nodes) == [root]
        assert all(n in nodes for n in range_nodes(0, size))
        for index in range(size):
            proof = hashes_for(inclusion_ranges(index, size), nodes)
            assert verify_inclusion(index, size, hashes[index], proof, root)
        for old in range(1, size + 1):
            proof = hashes_for(consistency_ranges(old, size), nodes)
            assert verify_consistency(old, size, mth(hashes[:old]), root, proof), (old, size)
