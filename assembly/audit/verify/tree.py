"""Merkle tree hashing and proofs as the spec defines them (RFC 9162 section 2.1, SHA-256).

Independent of the application's implementation: the tree is built level by level from the leaf
hashes, proofs are produced by the RFC's recursive definitions and checked by its verification
algorithms, with the spec's edge rules (spec "Proof edge rules").
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

__all__ = ("EMPTY_ROOT", "Tree", "check_consistency", "check_inclusion", "leaf_hash", "node_hash")

EMPTY_ROOT = hashlib.sha256(b"").digest()


_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    return _sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def _largest_power_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Tree:
    """All complete subtree hashes of a list of leaf hashes, level by level."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.levels: list[list[bytes]] = [list(leaf_hashes)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append([node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def root(self, size: int) -> bytes:
        """MTH of the first ``size`` leaves."""
        if not 0 <= size <= self.size:
            raise ValueError(size)
        return EMPTY_ROOT if size == 0 else self._mth(0, size)

    def _mth(self, start: int, end: int) -> bytes:
        width = end - start
        if width & (width - 1) == 0 and start % width == 0:
            return self.levels[width.bit_length() - 1][start // width]
        k = _largest_power_below(width)
        return node_hash(self._mth(start, start + k), self._mth(start + k, end))

    def consistency_proof(self, m: int, n: int) -> list[bytes]:
        """RFC 9162 section 2.1.4.1: PROOF(m, D[n]) = SUBPROOF(m, D[n], true), for 0 < m <= n."""
        if not 0 < m <= n <= self.size:
            raise ValueError((m, n))
        proof: list[bytes] = []
        self._subproof(m, 0, n, True, proof)
        return proof

    def _subproof(self, m: int, start: int, end: int, whole: bool, out: list[bytes]) -> None:
        n = end - start
        if m == n:
            if not whole:
                out.append(self._mth(start, end))
            return
        k = _largest_power_below(n)
        if m <= k:
            self._subproof(m, start, start + k, whole, out)
            out.append(self._mth(start + k, end))
        else:
            self._subproof(m - k, start + k, end, False, out)
            out.append(self._mth(start, start + k))

    def inclusion_proof(self, index: int, n: int) -> list[bytes]:
        """RFC 9162 section 2.1.3.1: PATH(index, D[n]), for 0 <= index < n."""
        if not 0 <= index < n <= self.size:
            raise ValueError((index, n))
        proof: list[bytes] = []
        start, end = 0, n
        while end - start > 1:
            k = _largest_power_below(end - start)
            if index < start + k:
                proof.append(self._mth(start + k, end))
                end = start + k
            else:
                proof.append(self._mth(start, start + k))
                start = start + k
        proof.reverse()  # PATH lists the hashes from the leaf up
        return proof


def _all_hashes(*values: bytes) -> bool:
    return all(len(v) == 32 for v in values)


def check_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes) -> str | None:
    """RFC 9162 section 2.1.3.2. Returns None if the proof holds, else why it does not.

    Edge rules: every hash is 32 bytes; 0 <= index < size; the proof has exactly the length the
    tree's shape dictates; a one-leaf tree has the empty proof and its leaf hash as root.
    """
    if not _all_hashes(leaf, root, *proof):
        return "a hash is not 32 bytes"
    if not 0 <= index < size:
        return f"index {index} is not inside a tree of size {size}"
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return "the proof is too long"
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn //= 2
                sn //= 2
        else:
            r = node_hash(r, p)
        fn //= 2
        sn //= 2
    if sn != 0:
        return "the proof is too short"
    return None if r == root else "the proof leads to another root"


def check_consistency(m: int, n: int, first: bytes, second: bytes, proof: Sequence[bytes]) -> str | None:
    """RFC 9162 section 2.1.4.2. Returns None if the proof holds, else why it does not.

    Edge rules: every hash is 32 bytes; m <= n; m == n needs the empty proof and equal roots;
    m == 0 is refused (a proof from the empty tree is meaningless); otherwise the proof is
    non-empty and exactly as long as the sizes dictate.
    """
    settled, problem = _consistency_edges(m, n, first, second, proof)
    if settled:
        return problem
    path = ([first] if m & (m - 1) == 0 else []) + list(proof)
    fn, sn = m - 1, n - 1
    while fn % 2 == 1:
        fn //= 2
        sn //= 2
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return "the proof is too long"
        if fn % 2 == 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn //= 2
                sn //= 2
        else:
            sr = node_hash(sr, c)
        fn //= 2
        sn //= 2
    if sn != 0:
        return "the proof is too short"
    if fr != first:
        return f"the proof does not lead to the root of size {m}"
    return None if sr == second else f"the proof does not lead to the root of size {n}"


def _consistency_edges(m: int, n: int, first: bytes, second: bytes, proof: Sequence[bytes]) -> tuple[bool, str | None]:
    """(True, outcome) when an edge rule decides the proof; (False, None) to run the algorithm."""
    problem = None
    if not _all_hashes(first, second, *proof):
        problem = "a hash is not 32 bytes"
    elif not 0 <= m <= n:
        problem = f"size {m} is not at most size {n}"
    elif m == n:
        if proof:
            problem = "equal sizes need the empty proof"
        elif first != second:
            problem = "two different roots for the same size"
        return True, problem
    elif m == 0:
        problem = "a proof from the empty tree is meaningless"
    elif not proof:
        problem = "the proof is empty"
    return problem is not None, problem
