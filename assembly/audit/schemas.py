"""Audit log responses (docs/api.md, "Audit log"; the contract in docs/audit-log-spec.md)."""

from __future__ import annotations

import msgspec

__all__ = ("CheckpointRead", "ConsistencyRead", "ReceiptRead")


class _Out(msgspec.Struct, kw_only=True):
    pass


class ReceiptRead(_Out):
    """An inclusion proof of a tracker's entry against the latest signed checkpoint."""

    tracker: str
    leaf_index: int
    tree_size: int
    inclusion_proof: list[str]
    """Hashes in hex, RFC 9162 audit path order."""
    checkpoint: str
    """The signed note (C2SP signed-note text) of size ``tree_size``."""


class CheckpointRead(_Out):
    """The latest signed checkpoint."""

    checkpoint: str
    tree_size: int
    root: str
    """Hex of the root hash."""


class ConsistencyRead(_Out):
    """RFC 9162 consistency proof from size ``first`` to size ``second``."""

    first: int
    second: int
    proof: list[str]
