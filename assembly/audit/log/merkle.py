"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing and proofs, with SHA-256.

Definitions (RFC 9162 section 2.1.1; identical to RFC 6962 section 2.1):

- ``leaf_hash(d) = SHA-256(0x00 || d)``, ``node_hash(l, r) = SHA-256(0x01 || l || r)``;
- the root of the empty tree is ``SHA-256("")``; the root of one leaf is its leaf hash;
- for n > 1, with k the largest power of two smaller than n,
  ``MTH(D[n]) = node_hash(MTH(D[0:k]), MTH(D[k:n]))``.

Proof generation follows RFC 9162 sections 2.1.3.1 (PATH) and 2.1.4.1 (PROOF / SUBPROOF);
verification follows sections 2.1.3.2 and 2.1.4.2, plus the edge rules the RFC leaves implicit,
stated on each function and in docs/audit-log-spec.md ("Proof edge rules"). Every hash is 32 bytes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence

__all__ = (
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MerkleTree",
    "ProofError",
    "leaf_hash",
    "node_hash",
    "root_from_inclusion_proof",
    "verify_consistency",
    "verify_inclusion",
)

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root of the empty tree: SHA-256 of the empty string."""


class ProofError(ValueError):
    """A proof, size, index or hash that does not verify."""


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 9162 leaf hash: SHA-256(0x00 || leaf). A receipt's tracker is this value."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only tree of leaf hashes that answers roots and proofs for any earlier size.

    Keeps every complete (perfect, aligned) subtree's hash, level by level, so the hash of any
    subtree that RFC 9162's recursion visits costs O(log n) and a proof O(log^2 n). Memory is
    about 2n hashes.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        for value in leaf_hashes:
            self.append(value)

    @property
    def size(self) -> int:
        """Number of leaves."""
        return len(self._levels[0])

    def append(self, value: bytes) -> None:
        """Add one leaf hash (not leaf data: call :func:`leaf_hash` first)."""
        if len(value) != HASH_SIZE:
            msg = f"a leaf hash is {HASH_SIZE} bytes, not {len(value)}"
            raise ValueError(msg)
        self._levels[0].append(value)
        index, level, current = len(self._levels[0]) - 1, 0, value
        while index % 2 == 1:  # a right child completes its parent
            current = node_hash(self._levels[level][index - 1], current)
            level, index = level + 1, index // 2
            if len(self._levels) == level:
                self._levels.append([])
            self._levels[level].append(current)

    def leaf_hash_at(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        return self._levels[0][index]

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first ``size`` leaves (all of them by default)."""
        size = self._size_arg(size)
        return EMPTY_ROOT if size == 0 else self._hash(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 PATH(index, D[size]): the audit path of leaf ``index`` in the tree of ``size``.

        Requires 0 <= index < size <= self.size.
        """
        size = self._size_arg(size)
        if not 0 <= index < size:
            msg = f"leaf index {index} is not within a tree of size {size}"
            raise ValueError(msg)
        return self._path(index, 0, size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 9162 PROOF(old_size, D[new_size]).

        Requires 0 < old_size <= new_size <= self.size; equal sizes give the empty proof.
        A proof from the empty tree is meaningless (any tree extends it) and is refused.
        """
        new_size = self._size_arg(new_size)
        if not 0 < old_size <= new_size:
            msg = f"no consistency proof from size {old_size} to size {new_size}"
            raise ValueError(msg)
        return self._subproof(old_size, 0, new_size, complete=True)

    def _size_arg(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            msg = f"tree size {size} is not within 0..{self.size}"
            raise ValueError(msg)
        return size

    def _hash(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for end > start."""
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:  # a complete subtree: stored
            return self._levels[n.bit_length() - 1][start // n]
        k = _split(n)
        return node_hash(self._hash(start, start + k), self._hash(start + k, end))

    def _path(self, index: int, start: int, n: int) -> list[bytes]:
        if n == 1:
            return []
        k = _split(n)
        if index < k:
            return [*self._path(index, start, k), self._hash(start + k, start + n)]
        return [*self._path(index - k, start + k, n - k), self._hash(start, start + k)]

    def _subproof(self, m: int, start: int, n: int, *, complete: bool) -> list[bytes]:
        if m == n:
            return [] if complete else [self._hash(start, start + n)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, start, k, complete=complete), self._hash(start + k, start + n)]
        return [*self._subproof(m - k, start + k, n - k, complete=False), self._hash(start, start + k)]


def _check_hashes(*values: bytes, what: str) -> None:
    for value in values:
        if len(value) != HASH_SIZE:
            msg = f"{what}: a hash of {len(value)} bytes (every hash is {HASH_SIZE} bytes)"
            raise ProofError(msg)


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that ``proof`` leads to from ``leaf`` (a leaf hash) at ``index`` in a tree of ``size``.

    RFC 9162 section 2.1.3.2 steps 1-5, with these edge rules: 0 <= index < size (so a tree of
    size 0 proves nothing); every hash is 32 bytes; the proof has exactly the length the shape of
    the tree dictates (extra or missing elements fail); a tree of one leaf has the empty proof and
    its root is the leaf hash. Raises ProofError.
    """
    if not 0 <= index < size:
        msg = f"leaf index {index} is not within a tree of size {size}"
        raise ProofError(msg)
    _check_hashes(leaf, *proof, what="inclusion proof")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            msg = "inclusion proof is longer than the tree is deep"
            raise ProofError(msg)
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        msg = "inclusion proof is shorter than the tree is deep"
        raise ProofError(msg)
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> None:
    """Raise ProofError unless ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree (``size``, ``root``).

    Edge rules as :func:`root_from_inclusion_proof`; ``root`` must be 32 bytes.
    """
    _check_hashes(root, what="inclusion proof root")
    if not hmac.compare_digest(root_from_inclusion_proof(index, size, leaf, proof), root):
        msg = f"inclusion proof for leaf {index} does not lead to the root of the tree of size {size}"
        raise ProofError(msg)


def _consistency_edge_case(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Apply the edge rules; True when they settle the question (equal sizes that agree)."""
    if not 0 <= old_size <= new_size:
        msg = f"sizes {old_size} -> {new_size} do not grow"
        raise ProofError(msg)
    if old_size == new_size:
        if proof:
            msg = "equal sizes need the empty proof"
            raise ProofError(msg)
        if not hmac.compare_digest(old_root, new_root):
            msg = f"two different roots for size {old_size}"
            raise ProofError(msg)
        return True
    if old_size == 0:
        msg = "a consistency proof from the empty tree is meaningless"
        raise ProofError(msg)
    if not proof:
        msg = "empty consistency proof for different sizes"
        raise ProofError(msg)
    return False


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Raise ProofError unless ``proof`` shows the tree (old_size, old_root) is a prefix of (new_size, new_root).

    RFC 9162 section 2.1.4.2, with these edge rules:

    - every hash (both roots and each proof element) is 32 bytes;
    - 0 <= old_size <= new_size, else it fails;
    - old_size == new_size: the proof must be empty and the roots equal;
    - old_size == 0 (and new_size > 0): it fails: a proof from the empty tree is meaningless,
      because every tree extends it; a verifier checks such a checkpoint's root is
      :data:`EMPTY_ROOT` instead;
    - otherwise the proof must be non-empty and have exactly the length the two sizes dictate.
    """
    _check_hashes(old_root, new_root, *proof, what="consistency proof")
    if _consistency_edge_case(old_size, new_size, old_root, new_root, proof):
        return
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # step 2: the old tree is a complete subtree of the new one
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:  # step 4
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            msg = "consistency proof is longer than the sizes dictate"
            raise ProofError(msg)
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        msg = "consistency proof is shorter than the sizes dictate"
        raise ProofError(msg)
    if not hmac.compare_digest(fr, old_root):
        msg = f"consistency proof does not lead to the root of size {old_size}"
        raise ProofError(msg)
    if not hmac.compare_digest(sr, new_root):
        msg = f"consistency proof does not lead to the root of size {new_size}"
        raise ProofError(msg)
