"""Recording audit events into the log's queue, and reading the log: receipts, checkpoints, proofs, bundles.

Every event is recorded twice in the transaction of the change it describes: as an ``audit_event``
row (the application's history) and as a pending log entry whose canonical bytes, and so whose leaf
hash, are final at once. The sequencer (assembly/audit/sequencer.py) later integrates the pending
entries in order and signs a checkpoint (docs/audit-log-spec.md, docs/adr/0005-audit-log-sequencing.md).
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from assembly.audit.log.bundle import bundle_files
from assembly.audit.log.canonical import encode_entry
from assembly.audit.log.entries import event_entry
from assembly.audit.log.merkle import MerkleTree, leaf_hash
from assembly.audit.models import LogCheckpoint, LogEntry, LogState, PendingEntry, SecretVoteEntry
from assembly.audit.rules import check_payload
from assembly.core.errors import AssemblyError, InvalidInput, NotFound

__all__ = (
    "DEFAULT_ORIGIN",
    "SECRET_VOTE_TYPE",
    "EventRecord",
    "Receipt",
    "ReceiptPending",
    "audit_bundle",
    "consistency_proof",
    "hold_secret_vote",
    "latest_checkpoint",
    "log_origin",
    "logged_event_params",
    "lookup_receipt",
    "publish_secret_votes",
    "record_event",
    "record_logged_events",
)

DEFAULT_ORIGIN = "assembly.local/audit"
SECRET_VOTE_TYPE = "ballot.secret_vote"  # noqa: S105  (an entry type, not a password)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def log_origin(session: AsyncSession) -> str:
    """The origin entries of this session are written for (set on the session factory from the settings)."""
    origin = session.info.get("log_origin")
    return origin if isinstance(origin, str) and origin else DEFAULT_ORIGIN


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One audit event to record (and to queue as a log entry)."""

    kind: str
    payload: Mapping[str, Any]
    assembly_id: uuid.UUID | None = None
    subject_id: uuid.UUID | None = None
    actor_user_id: uuid.UUID | None = None


_RECORD_CTES = """
WITH events AS (
    INSERT INTO audit_event (id, kind, assembly_id, subject_id, actor_user_id, payload, recorded_at)
    SELECT e.id, e.kind, e.assembly_id, e.subject_id, e.actor_user_id, CAST(e.payload AS jsonb), e.recorded_at
    FROM unnest(CAST(:ids AS uuid[]), CAST(:kinds AS text[]), CAST(:assembly_ids AS uuid[]),
                CAST(:subject_ids AS uuid[]), CAST(:actor_user_ids AS uuid[]), CAST(:payloads AS text[]),
                CAST(:recorded_ats AS timestamptz[]))
         AS e(id, kind, assembly_id, subject_id, actor_user_id, payload, recorded_at)
    RETURNING id
), queued AS (
    INSERT INTO audit_log_pending (leaf_hash, entry, event_id)
    SELECT p.leaf_hash, p.entry, p.event_id
    FROM unnest(CAST(:leaf_hashes AS bytea[]), CAST(:entries AS bytea[]), CAST(:ids AS uuid[])) WITH ORDINALITY
         AS p(leaf_hash, entry, event_id, position)
    WHERE p.event_id IN (SELECT id FROM events)
    ORDER BY p.position
)
"""
# Data-modifying CTEs always run to completion, whatever the main query reads (PostgreSQL docs, 7.8.4).
_RECORD = text(_RECORD_CTES + "SELECT 1")
_RECORD_AND_NOTIFY = text(_RECORD_CTES + "SELECT pg_notify(:channel, :payload)")
"""The events and their pending log entries in one statement, and optionally a NOTIFY (sent on
commit): a vote is on the hot path, so one round trip and no ORM unit of work, whatever the number of
rights it casts."""


def logged_event_params(origin: str, events: Sequence[EventRecord], *, notify: tuple[str, str] | None = None,
                        ) -> tuple[dict[str, Any], list[tuple[uuid.UUID, bytes]]]:
    """The parameters of the recording statement (``_RECORD``, or ``_RECORD_AND_NOTIFY`` with
    ``notify``), and each event's id with its entry's leaf hash. Pure: the benchmark's bare client sends
    the same statement with these same parameters."""
    ids: list[uuid.UUID] = []
    moments: list[datetime] = []
    entries: list[bytes] = []
    for event in events:
        check_payload(event.payload)
        event_id = uuid7()
        recorded_at = datetime.now(UTC)
        entries.append(event_entry(origin, event_id=event_id, kind=event.kind, recorded_ms=_ms(recorded_at),
                                   assembly_id=event.assembly_id, subject_id=event.subject_id,
                                   actor_user_id=event.actor_user_id, payload=event.payload))
        ids.append(event_id)
        moments.append(recorded_at)
    hashes = [leaf_hash(entry) for entry in entries]
    params: dict[str, Any] = {
        "ids": ids, "kinds": [e.kind for e in events], "assembly_ids": [e.assembly_id for e in events],
        "subject_ids": [e.subject_id for e in events], "actor_user_ids": [e.actor_user_id for e in events],
        "payloads": [json.dumps(dict(e.payload)) for e in events], "recorded_ats": moments,
        "leaf_hashes": hashes, "entries": entries,
    }
    if notify is not None:
        params["channel"], params["payload"] = notify
    return params, list(zip(ids, hashes, strict=True))


async def record_logged_events(session: AsyncSession, events: Sequence[EventRecord], *,
                                notify: tuple[str, str] | None = None) -> list[tuple[uuid.UUID, bytes]]:
    """Record events and queue their log entries, in order, in the current transaction.

    Returns each event's id and its entry's leaf hash (a vote's tracker). The entry bytes are built
    here (canonical, with the session's origin), so the tracker is final before the sequencer runs.
    ``notify``: a (channel, payload) sent by ``pg_notify`` in the same statement (delivered on commit).
    """
    params, logged = logged_event_params(log_origin(session), events, notify=notify)
    if events or notify is not None:
        await session.execute(_RECORD if notify is None else _RECORD_AND_NOTIFY, params)
    return logged


async def record_event(
    session: AsyncSession,
    kind: str,
    *,
    payload: Mapping[str, Any],
    assembly_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    actor_user_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Add an audit event to the current transaction (it commits or rolls back with the change); its id."""
    [(event_id, _)] = await record_logged_events(session, [EventRecord(
        kind, payload, assembly_id=assembly_id, subject_id=subject_id, actor_user_id=actor_user_id)])
    return event_id


# -- Secret ballots -------------------------------------------------------------------------------


async def hold_secret_vote(session: AsyncSession, *, ballot_id: uuid.UUID, right_id: uuid.UUID,
                           choice: str | None, split: Mapping[str, int] | None, weight: int) -> bytes:
    """Build a secret vote's entry now (its tracker is final) and hold it back until the ballot closes.

    The entry names the ballot, the choice (or split) and the weight, plus a random nonce, and never
    the right or the delegation: at close the batch is published sorted by leaf hash, so its order
    says nothing about who voted when. A changed vote replaces the held entry (the old tracker lapses).
    """
    entry = encode_entry(log_origin(session), SECRET_VOTE_TYPE, {
        "ballot_id": str(ballot_id),
        "choice": choice,
        "split": dict(split) if split is not None else None,
        "weight": weight,
        "nonce": secrets.token_hex(16),
    })
    hashed = leaf_hash(entry)
    statement = insert(SecretVoteEntry).values(ballot_id=ballot_id, right_id=right_id, leaf_hash=hashed, entry=entry)
    await session.execute(statement.on_conflict_do_update(
        index_elements=[SecretVoteEntry.ballot_id, SecretVoteEntry.right_id],
        set_={"leaf_hash": statement.excluded.leaf_hash, "entry": statement.excluded.entry},
    ))
    return hashed


async def publish_secret_votes(session: AsyncSession, ballot_id: uuid.UUID) -> int:
    """At close: queue the held entries of the ballot as one batch sorted by leaf hash; return how many."""
    rows = (await session.execute(
        select(SecretVoteEntry.leaf_hash, SecretVoteEntry.entry)
        .where(SecretVoteEntry.ballot_id == ballot_id).order_by(SecretVoteEntry.leaf_hash)
    )).all()
    for row in rows:  # one at a time, in hash order: the pending sequence keeps that order
        session.add(PendingEntry(leaf_hash=row.leaf_hash, entry=row.entry, event_id=None))
        await session.flush()
    await session.execute(delete(SecretVoteEntry).where(SecretVoteEntry.ballot_id == ballot_id))
    return len(rows)


# -- Reading the log ------------------------------------------------------------------------------


class ReceiptPending(AssemblyError):
    """The entry was accepted but is not in the log yet (404 ``receipt_pending``: retry later)."""

    status_code = 404
    code = "receipt_pending"
    title = "Receipt pending"


@dataclass(frozen=True, slots=True)
class Receipt:
    """An inclusion proof of one entry against the latest signed checkpoint."""

    tracker: str
    leaf_index: int
    tree_size: int
    inclusion_proof: list[str]
    checkpoint: str


async def _latest(session: AsyncSession) -> LogCheckpoint | None:
    return await session.scalar(select(LogCheckpoint).order_by(LogCheckpoint.tree_size.desc()).limit(1))


async def _tree(session: AsyncSession, size: int) -> MerkleTree:
    hashes = (await session.scalars(select(LogEntry.leaf_hash).where(LogEntry.idx < size).order_by(LogEntry.idx))).all()
    return MerkleTree(hashes)


def _parse_tracker(tracker: str) -> bytes:
    if len(tracker) != 64 or any(c not in "0123456789abcdef" for c in tracker):
        raise InvalidInput.for_field("tracker", "a tracker is 64 lowercase hex digits", code="invalid_tracker")
    return bytes.fromhex(tracker)


async def lookup_receipt(session: AsyncSession, tracker: str) -> Receipt:
    """The inclusion proof of the entry whose leaf hash is ``tracker``, against the latest checkpoint.

    404 ``receipt_pending`` while the entry waits for the sequencer (or, in a secret ballot, for the
    close); 404 ``receipt_unknown`` when no entry has that hash; 422 ``invalid_tracker``.
    """
    hashed = _parse_tracker(tracker)
    index = await session.scalar(select(LogEntry.idx).where(LogEntry.leaf_hash == hashed))
    checkpoint = await _latest(session)
    if index is None or checkpoint is None or index >= checkpoint.tree_size:
        waiting = index is not None or await session.scalar(
            select(PendingEntry.seq).where(PendingEntry.leaf_hash == hashed)) is not None or await session.scalar(
            select(SecretVoteEntry.ballot_id).where(SecretVoteEntry.leaf_hash == hashed)) is not None
        if waiting:
            raise ReceiptPending("the entry was accepted and is not in a signed checkpoint yet: retry shortly "
                                 "(a secret ballot's votes enter the log when it closes)")
        raise NotFound("no log entry has this tracker", code="receipt_unknown")
    tree = await _tree(session, checkpoint.tree_size)
    return Receipt(tracker=tracker, leaf_index=index, tree_size=checkpoint.tree_size,
                   inclusion_proof=[h.hex() for h in tree.inclusion_proof(index, checkpoint.tree_size)],
                   checkpoint=checkpoint.note)


async def latest_checkpoint(session: AsyncSession) -> LogCheckpoint:
    """The latest signed checkpoint; 404 ``log_empty`` before the sequencer has signed one."""
    checkpoint = await _latest(session)
    if checkpoint is None:
        raise NotFound("the log has no signed checkpoint yet", code="log_empty")
    return checkpoint


async def consistency_proof(session: AsyncSession, first: int, second: int) -> list[str]:
    """RFC 9162 consistency proof between two signed sizes (0 < first <= second <= latest size)."""
    checkpoint = await latest_checkpoint(session)
    if first < 1:
        raise InvalidInput.for_field("first", "must be at least 1 (every tree extends the empty one)")
    if second < first:
        raise InvalidInput.for_field("second", "must not be smaller than first (a log never shrinks)")
    if second > checkpoint.tree_size:
        raise InvalidInput.for_field("second", f"the latest signed size is {checkpoint.tree_size}")
    tree = await _tree(session, second)
    return [h.hex() for h in tree.consistency_proof(first, second)]


async def audit_bundle(session: AsyncSession) -> dict[str, bytes]:
    """The bundle files (docs/audit-log-spec.md section 7) of the log up to its latest checkpoint.

    The whole prefix is exported whatever the ballot or assembly asked for: the roots can only be
    recomputed from every entry. 404 ``log_empty`` before the first checkpoint.
    """
    latest = await latest_checkpoint(session)
    state = await session.get(LogState, 1)
    assert state is not None  # written with the first checkpoint
    entries = (await session.scalars(
        select(LogEntry.entry).where(LogEntry.idx < latest.tree_size).order_by(LogEntry.idx))).all()
    notes = (await session.scalars(select(LogCheckpoint.note).order_by(LogCheckpoint.tree_size))).all()
    return bundle_files(origin=state.origin, vkey=state.vkey, entries=entries, checkpoints=list(notes),
                        generated_ms=_ms(datetime.now(UTC)))
