"""What the steps hand to one another, and the interface of a pluggable semantic check."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ("CheckedLog", "Entry", "FieldRule", "Finding", "SemanticCheck", "TypeSchema")

FieldRule = Callable[[Any], str | None]
"""Checks one member's value: returns None if it is acceptable, else what is wrong."""

TypeSchema = Mapping[str, FieldRule]
"""The members of an entry type besides ``v``, ``log`` and ``type``: every one is required and
no other member is allowed."""


@dataclass(frozen=True)
class Finding:
    """One failure: a stable error code and a sentence that says where and what."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Entry:
    """One log entry after steps 4-7: canonical, and covered by the signed checkpoints.

    Slotted: a log holds one per entry (hundreds of thousands), each without an instance dict.
    """

    index: int
    leaf_hash: bytes
    members: Mapping[str, Any]

    @property
    def type(self) -> str:
        return str(self.members["type"])


@dataclass(frozen=True)
class CheckedLog:
    """The authenticated log handed to the semantic checks (steps 8 and later)."""

    origin: str
    public_key: str
    entries: Sequence[Entry]
    checkpoints: Sequence[tuple[int, bytes]]
    """(size, root) of every signed checkpoint, in increasing size order."""
    notes: list[str] = field(default_factory=list)
    """Warnings a check wants in the report (e.g. what it could not check)."""


class SemanticCheck(Protocol):
    """A check of what the entries mean, run as its own numbered step after the entry types.

    ``entry_types`` declares the types the check owns (they count as known in step 8, which
    checks each entry of them against its schema before this check runs); ``run`` returns a
    one-line summary for the report and the failures found (codes in the range the spec
    reserves for the check).
    """

    title: str
    entry_types: Mapping[str, TypeSchema]

    def run(self, log: CheckedLog) -> tuple[str, list[Finding]]: ...
