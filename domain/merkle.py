"""The transparency log's tree: RFC 6962 / RFC 9162 §2.1 Merkle Tree Hash, inclusion and consistency proofs.

    leaf hash  = SHA-256(0x00 || leaf bytes)
    node hash  = SHA-256(0x01 || left || right)
    MTH({})    = SHA-256()         MTH(D[n]) splits at k, the largest power of two smaller than n

A stored log keeps every *complete* subtree: node (level, index) covers leaves
[index * 2**level, (index + 1) * 2**level), level 0 being the leaf hashes. Every range a proof needs starts at a
multiple of a power of two at least its size, so it is a run of complete nodes (:func:`range_nodes`) folded from
the right; the functions here say which nodes, the store fetches them in one query.

Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2 step by step, so it can be compared with any implementation
(the tests use the transparency-dev/merkle RFC 6962 vectors)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence

Node = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # leaves [start, end)
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def mth(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash straight from the definition: the reference the stored tree is checked against."""
    n = len(leaf_hashes)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hashes[0]
    k = split_point(n)
    return node_hash(mth(leaf_hashes[:k]), mth(leaf_hashes[k:]))


def range_nodes(start: int, end: int) -> list[Node]:
    """The complete nodes, left to right, whose fold is MTH(D[start:end]) (``start`` aligned as module doc)."""
    nodes: list[Node] = []
    while end - start > 0:
        size = end - start
        if size & (size - 1) == 0:
            nodes.append((size.bit_length() - 1, start >> (size.bit_length() - 1)))
            break
        k = split_point(size)
        nodes.append((k.bit_length() - 1, start >> (k.bit_length() - 1)))
        start += k
    return nodes


def fold_range(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its :func:`range_nodes` hashes: each left node is joined to the rest at its right."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose MTHs are the audit path PATH(index, D[size]) (RFC 9162 §2.1.3.1), leaf to root."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    path.reverse()
    return path


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The ranges whose MTHs are PROOF(old_size, D[new_size]) (RFC 9162 §2.1.4.1)."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size}")
    proof: list[Range] = []
    start, end, m, complete = 0, new_size, old_size, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                proof.append((start, end))
            break
        k = split_point(n)
        if m <= k:
            proof.append((start + k, end))
            end = start + k
        else:
            proof.append((start, start + k))
            start += k
            m -= k
            complete = False
    proof.reverse()
    return proof


def nodes_for(ranges: Sequence[Range]) -> set[Node]:
    return {node for r in ranges for node in range_nodes(*r)}


def hashes_for(ranges: Sequence[Range], lookup: Mapping[Node, bytes] | Callable[[Node], bytes]) -> list[bytes]:
    get = lookup.__getitem__ if isinstance(lookup, Mapping) else lookup
    return [fold_range([get(node) for node in range_nodes(*r)]) for r in ranges]


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root an inclusion proof leads to; ValueError when it is malformed."""
    if index >= size:
        raise ValueError("leaf index is not below the tree size")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if len(p) != 32:
            raise ValueError("a proof hash is not 32 bytes")
        if sn == 0:
            raise ValueError("the proof is longer than the tree is high")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the proof is shorter than the tree is high")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    try:
        return root_from_inclusion(index, size, leaf, proof) == root
    except ValueError:
        return False


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2. Sizes 0 and equal sizes are consistent with an empty proof only."""
    if old_size > new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof or any(len(p) != 32 for p in proof):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old root is the first node of the path
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn & 1 == 0 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
