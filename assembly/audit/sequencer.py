"""The sequencer: the single writer of the audit log (docs/adr/0005-audit-log-sequencing.md).

Casting never waits on the log: each transaction queues its entries (``audit_log_pending``). One
sequencer at a time (the holder of a PostgreSQL advisory lock) takes up to a batch of them, appends
them at the next indices, signs a checkpoint over the new size and root, and deletes them from the
queue, all in one transaction: a crash at any point leaves either the whole batch integrated and
signed or none of it, so nothing is lost and nothing is integrated twice.

The signer keeps its own record of the last size and root it signed (a file beside its key) and
refuses to sign a log that does not extend it: a database restored from an old backup, or whose
stored entries were edited, is not signed over (c2sp.org/tlog-checkpoint, signer obligations).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, create_async_engine
from sqlalchemy.pool import NullPool

from assembly.audit.log.canonical import CanonicalError, decode_entry
from assembly.audit.log.checkpoint import Checkpoint, NoteError, NoteSigner, sign_checkpoint
from assembly.audit.log.entries import event_entry, genesis_entry
from assembly.audit.log.merkle import MerkleTree, leaf_hash
from assembly.audit.models import AuditEvent, LogCheckpoint, LogEntry, LogState, PendingEntry
from assembly.settings import Settings

__all__ = (
    "INTEGRATE_LOCK",
    "LEADER_LOCK",
    "Sequencer",
    "SequencerError",
    "discard_log_files",
    "load_signer",
    "run_sequencer",
)

log = logging.getLogger("assembly.audit.sequencer")

# Advisory lock keys (arbitrary 64-bit constants, "assembly audit" in ASCII and a suffix).
LEADER_LOCK = 0x61756469746C6F01
"""Held for its whole session by the one running sequencer."""
INTEGRATE_LOCK = 0x61756469746C6F02
"""Held by every integrating transaction: a test helper and a sequencer never interleave."""

KEY_FILE = "audit-log.key"
SIGNED_FILE = "audit-log.signed"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SequencerError(RuntimeError):
    """The sequencer cannot go on without an operator (wrong key, rolled-back or altered log)."""


def _data_dir(settings: Settings) -> Path:
    from assembly.core.embedded_postgres import default_data_dir  # noqa: PLC0415

    return Path(settings.data_dir).expanduser() if settings.data_dir else default_data_dir()


def load_signer(settings: Settings, *, create: bool = True) -> tuple[NoteSigner, Path | None]:
    """The log's signer key (ASSEMBLY_LOG_SIGNING_KEY, else ``audit-log.key`` in the data dir, made on
    first use) and the file where the signer records what it signed (None: the key came from the
    environment and the record is kept beside nothing, so only the database's own checks apply).

    The key's name must be the configured origin: one origin, one key (docs/audit-log-spec.md 6.3).
    """
    record: Path | None = None
    if settings.log_signing_key:
        try:
            signer = NoteSigner.from_skey(settings.log_signing_key)
        except NoteError as exc:
            raise SequencerError(f"ASSEMBLY_LOG_SIGNING_KEY is not a signer key: {exc}") from None
    else:
        directory = _data_dir(settings)
        path = directory / KEY_FILE
        record = directory / SIGNED_FILE
        if not path.exists():
            if not create:
                raise SequencerError(f"no log key: {path} does not exist (the sequencer creates it on first run)")
            directory.mkdir(parents=True, exist_ok=True)
            signer = NoteSigner(settings.log_origin, os.urandom(32))
            with contextlib.suppress(FileExistsError):  # another process made it first: read that one
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w", encoding="ascii") as handle:
                    handle.write(signer.skey + "\n")
        try:
            signer = NoteSigner.from_skey(path.read_text(encoding="ascii").strip())
        except NoteError as exc:
            raise SequencerError(f"{path} does not hold a signer key: {exc}") from None
    if signer.name != settings.log_origin:
        raise SequencerError(f"the log key is named {signer.name!r} but ASSEMBLY_LOG_ORIGIN is "
                             f"{settings.log_origin!r}: one origin has one key")
    return signer, record


def discard_log_files(data_dir: Path) -> list[Path]:
    """Forget the log kept beside a database the operator dropped (``assembly demo --reset``).

    The signer record would (rightly) refuse to sign the new database's log, which does not extend
    what was signed; and the new log gets a new key, so that no two logs ever carry checkpoints of the
    same origin and key that disagree (an auditor would see a fork). Returns the files removed.
    """
    removed = []
    for name in (KEY_FILE, SIGNED_FILE):
        path = data_dir / name
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed.append(path)
    return removed


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


@dataclass
class Sequencer:
    """Integrates pending entries and signs checkpoints; keeps the tree in memory between batches."""

    signer: NoteSigner
    record: Path | None = None
    batch: int = 256
    _tree: MerkleTree | None = field(default=None, init=False, repr=False)
    _pending_record: tuple[int, bytes] | None = field(default=None, init=False, repr=False)

    def _signed_before(self) -> tuple[int, bytes] | None:
        if self.record is None or not self.record.exists():
            return None
        size, root = self.record.read_text(encoding="ascii").split()
        return int(size), bytes.fromhex(root)

    def _remember(self, size: int, root: bytes) -> None:
        if self.record is None:
            return
        temporary = self.record.with_suffix(".tmp")
        temporary.write_text(f"{size} {root.hex()}\n", encoding="ascii")
        temporary.replace(self.record)

    async def _load(self, session: AsyncSession, state: LogState) -> MerkleTree:
        """The tree of the stored entries, checked against the state's signed root."""
        if self._tree is not None and self._tree.size == state.tree_size and self._tree.root() == state.root:
            return self._tree
        tree = MerkleTree()
        for value in (await session.scalars(select(LogEntry.entry).order_by(LogEntry.idx))).all():
            tree.append(leaf_hash(value))
        if tree.size != state.tree_size or tree.root() != state.root:
            raise SequencerError(f"the stored log ({tree.size} entries) does not reproduce its last signed "
                                 f"checkpoint (size {state.tree_size}): entries were altered; refusing to sign")
        self._tree = tree
        return tree

    def _check_extends_record(self, tree: MerkleTree) -> None:
        signed = self._signed_before()
        if signed is None:
            return
        size, root = signed
        if tree.size < size or tree.root(size) != root:
            raise SequencerError(f"the log in the database does not extend the checkpoint of size {size} this "
                                 "signer signed before (a rolled-back or rewritten database): refusing to sign")

    async def integrate(self, session: AsyncSession) -> int:
        """One batch in the session's current transaction (the caller commits); return entries added.

        Signs a checkpoint whenever entries were added (and once over the genesis entry of a new log).
        """
        await session.execute(select(func.pg_advisory_xact_lock(INTEGRATE_LOCK)))
        origin = self.signer.name
        vkey = self.signer.verifier.vkey
        state = await session.get(LogState, 1, with_for_update=True)
        rows: list[bytes] = []
        if state is None:
            if await session.scalar(select(func.count()).select_from(LogEntry)):
                raise SequencerError("log entries exist without a log state row: refusing to sign")
            tree = MerkleTree()
            self._check_extends_record(tree)
            rows.append(genesis_entry(origin, vkey=vkey, created_ms=_ms(datetime.now(UTC))))
        else:
            if state.origin != origin or state.vkey != vkey:
                raise SequencerError(f"this log is {state.origin!r} with key {state.vkey!r}; the configured "
                                     "key differs: one origin has one key")
            tree = await self._load(session, state)
            self._check_extends_record(tree)
        pending = (await session.scalars(
            select(PendingEntry).order_by(PendingEntry.seq).limit(self.batch))).all()
        for item in pending:
            rows.append(await self._entry_for(session, item, origin))
        if not rows:
            return 0
        start = tree.size
        added = tree
        hashes = [leaf_hash(value) for value in rows]
        for value in hashes:
            added.append(value)
        try:
            session.add_all([LogEntry(idx=start + i, leaf_hash=h, entry=value)
                             for i, (h, value) in enumerate(zip(hashes, rows, strict=True))])
            if pending:
                await session.execute(delete(PendingEntry).where(PendingEntry.seq.in_([p.seq for p in pending])))
            root = added.root()
            note = sign_checkpoint(Checkpoint(origin, added.size, root), self.signer)
            session.add(LogCheckpoint(tree_size=added.size, root=root, note=note))
            if state is None:
                session.add(LogState(id=1, origin=origin, vkey=vkey, tree_size=added.size, root=root))
            else:
                state.tree_size, state.root = added.size, root
            await session.flush()
        except BaseException:
            self._tree = None  # the in-memory tree ran ahead of a transaction that did not happen
            raise
        self._tree = added
        self._pending_record = (added.size, root)
        return len(rows)

    def committed(self) -> None:
        """Call after the integrating transaction committed: remember what was signed."""
        record = self._pending_record
        if record is not None:
            self._remember(*record)
            self._pending_record = None

    def rolled_back(self) -> None:
        """Call after the integrating transaction failed: forget the in-memory tree."""
        self._tree = None
        self._pending_record = None

    async def _entry_for(self, session: AsyncSession, item: PendingEntry, origin: str) -> bytes:
        """The queued bytes; rebuilt from the recorded event if they were written for another origin."""
        try:
            decode_entry(item.entry, origin)
        except CanonicalError:
            event = await session.get(AuditEvent, item.event_id) if item.event_id is not None else None
            if event is None:
                raise SequencerError(f"pending entry {item.seq} was written for another origin and cannot be "
                                     "rebuilt: set ASSEMBLY_LOG_ORIGIN back") from None
            log.warning("rebuilding pending entry %s for origin %s", item.seq, origin)
            return event_entry(origin, event_id=event.id, kind=event.kind, recorded_ms=_ms(event.recorded_at),
                               assembly_id=event.assembly_id, subject_id=event.subject_id,
                               actor_user_id=event.actor_user_id, payload=event.payload)
        return item.entry

    async def integrate_all(self, connection: AsyncConnection, *, origin_info: str) -> int:
        """Integrate batches on ``connection`` until the queue is empty; return entries added."""
        total = 0
        while True:
            async with AsyncSession(bind=connection, info={"log_origin": origin_info},
                                    expire_on_commit=False) as session:
                try:
                    async with session.begin():
                        added = await self.integrate(session)
                except BaseException:
                    self.rolled_back()
                    raise
                self.committed()
            total += added
            if added < self.batch:
                return total



async def run_sequencer(settings: Settings, stop: asyncio.Event, *, interval: float = 0.2) -> None:
    """Run until ``stop`` is set: wait to become the leader, then integrate every ``interval`` seconds.

    Uses its own single connection (never the application's pool).
    """
    signer, record = load_signer(settings)
    sequencer = Sequencer(signer, record, batch=settings.sequencer_batch)
    engine = create_async_engine(settings.require_database_url(), poolclass=NullPool,
                                 connect_args={"server_settings": {"application_name": "assembly-sequencer"}})
    try:
        while not stop.is_set():
            try:
                async with engine.connect() as connection:
                    leader = await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                                     {"key": LEADER_LOCK})
                    await connection.commit()
                    if not leader:
                        await _wait(stop, 2.0)
                        continue
                    log.info("audit log sequencer is the leader for %s", signer.name)
                    while not stop.is_set():
                        await sequencer.integrate_all(connection, origin_info=settings.log_origin)
                        await _wait(stop, interval)
            except SequencerError:
                raise
            except Exception:  # the database went away: retry, the queue waits for us
                log.exception("audit log sequencer lost its database connection; retrying")
                sequencer.rolled_back()
                await _wait(stop, 2.0)
    finally:
        await engine.dispose()


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
