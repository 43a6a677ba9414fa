"""Digests that pin what a ballot was about and who could vote in it (pure, no I/O).

Each is specified byte for byte in docs/ballots.md so that an auditor can recompute it.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

__all__ = ("canonical_json", "electorate_digest", "lot_seed", "question_digest")


def canonical_json(value: object) -> bytes:
    """UTF-8 JSON with sorted keys, no insignificant white space, non-ASCII kept as is.

    For the values used here (strings, integers, lists, objects) this is the RFC 8785 canonical form.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def question_digest(question: str, options: Sequence[str], *, seats: int | None = None,
                    candidates: Sequence[Mapping[str, str]] | None = None) -> str:
    """SHA-256 (hex) of a ballot without a motion behind it: a procedural question or an election.

    The bytes hashed are :func:`canonical_json` of ``{"question", "options"}``, plus ``"seats"`` and
    ``"candidates"`` (``[{"key", "name"}]`` in ballot order) for an election.
    """
    document: dict[str, object] = {"question": question, "options": list(options)}
    if candidates is not None:
        document["candidates"] = [{"key": c["key"], "name": c["name"]} for c in candidates]
        document["seats"] = seats
    return hashlib.sha256(canonical_json(document)).hexdigest()


def electorate_digest(rights: Iterable[tuple[uuid.UUID, uuid.UUID, str, int]]) -> str:
    """SHA-256 (hex) of the eligible rights of an electorate.

    One line per right, ``<delegation_id>,<holder_delegation_id>,<kind>,<weight>`` and a line feed,
    ids in canonical lower-case hyphenated form, lines sorted; UTF-8.
    """
    lines = sorted(f"{delegation},{holder},{kind},{weight}\n" for delegation, holder, kind, weight in rights)
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def lot_seed(ballot_id: uuid.UUID, closed_at: datetime, counts: Sequence[Mapping[str, object]]) -> bytes:
    """The seed any lot of a closed election is drawn from (UN GA r.93: ties are decided by lot).

    SHA-256 of ``"assembly-lot-v1\\n" + ballot id + "\\n" + closed_at + "\\n" + canonical_json(counts)``,
    with ``closed_at`` in ISO 8601 UTC with microseconds (``2026-10-12T10:31:05.123456+00:00``) and
    ``counts`` the stored ``[{"option", "heads", "weight"}]``. Nobody knows it while votes can still
    change (it needs the closing time, to the microsecond, and the final counts), and anyone can
    recompute it from the published result.
    """
    stamp = closed_at.isoformat(timespec="microseconds")
    material = b"assembly-lot-v1\n" + str(ballot_id).encode() + b"\n" + stamp.encode() + b"\n" + canonical_json(
        list(counts))
    return hashlib.sha256(material).digest()
