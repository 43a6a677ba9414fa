"""Builders for the entry types this specification defines outside the ballots.

- ``log.genesis`` (entry 0 of every log): binds the log to its specification and its key;
- ``event``: one recorded audit event (an ``audit_event`` row: a credentials decision, a proxy,
  a change of rules ...), integrated by the sequencer in log order.

Ballot entry types (electorate, votes, tallies) are defined with the ballots.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping
from typing import Any

from assembly.audit.log.canonical import CanonicalError, encode_entry
from assembly.audit.log.checkpoint import NoteError, NoteVerifier

__all__ = ("EVENT_TYPE", "GENESIS_TYPE", "SPEC_VERSION", "event_entry", "genesis_entry")

SPEC_VERSION = "assembly-audit-log/1"
GENESIS_TYPE = "log.genesis"
EVENT_TYPE = "event"

_KIND = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")


def genesis_entry(origin: str, *, vkey: str, created_ms: int) -> bytes:
    """Entry 0: ``{"created_ms", "spec": "assembly-audit-log/1", "vkey"}`` plus the envelope.

    ``vkey`` is the log's verifier key (its name is ``origin``); a verifier checks it equals the
    key it was given, so the key is bound into the log from its first leaf.
    """
    if created_ms < 0:
        raise CanonicalError("created_ms is negative", "/created_ms")
    try:
        name = NoteVerifier.from_vkey(vkey).name
    except NoteError as exc:
        raise CanonicalError(f"vkey is not a verifier key: {exc}", "/vkey") from None
    if name != origin:
        raise CanonicalError("the log key's name must be the origin", "/vkey")
    return encode_entry(origin, GENESIS_TYPE, {"spec": SPEC_VERSION, "vkey": vkey, "created_ms": created_ms})


def event_entry(
    origin: str,
    *,
    event_id: uuid.UUID,
    kind: str,
    recorded_ms: int,
    assembly_id: uuid.UUID | None,
    subject_id: uuid.UUID | None,
    actor_user_id: uuid.UUID | None,
    payload: Mapping[str, Any],
) -> bytes:
    """One recorded audit event as a log entry.

    Members: ``event_id`` (the audit_event id), ``kind`` (``<domain>.<what happened>``, at most
    64 characters), ``recorded_ms`` (UTC milliseconds since the epoch: the recording
    transaction's time, an operator claim, not an attested one), ``assembly_id``, ``subject_id``,
    ``actor_user_id`` (lowercase UUID strings or null) and ``payload`` (an object).

    Strings in the payload are normalized to Unicode NFC, as the log requires (a canonically
    equivalent spelling of the same text; audit_event payloads are not normalized when recorded).
    Raises CanonicalError if the payload breaks the profile otherwise, or the entry would exceed
    65,535 bytes: the caller must record such an event in smaller parts.
    """
    if len(kind) > 64 or not _KIND.fullmatch(kind):
        raise CanonicalError(f"event kind {kind!r} is not <domain>.<what happened>", "/kind")
    if recorded_ms < 0:
        raise CanonicalError("recorded_ms is negative", "/recorded_ms")
    return encode_entry(
        origin,
        EVENT_TYPE,
        {
            "event_id": str(event_id),
            "kind": kind,
            "recorded_ms": recorded_ms,
            "assembly_id": None if assembly_id is None else str(assembly_id),
            "subject_id": None if subject_id is None else str(subject_id),
            "actor_user_id": None if actor_user_id is None else str(actor_user_id),
            "payload": _nfc(dict(payload)),
        },
    )


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Mapping):
        return {key: _nfc(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_nfc(item) for item in value]
    return value
