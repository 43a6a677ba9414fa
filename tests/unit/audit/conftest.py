"""The golden audit log bundle, built from fixed keys, and helpers to build altered copies of it.

Everything here is deterministic: fixed Ed25519 seeds (Ed25519 signatures are deterministic),
fixed ids and times, so the golden bundle's bytes are pinned by tests/unit/audit/test_verifier.py.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from assembly.audit.log.bundle import bundle_files, write_bundle_directory, zip_bundle
from assembly.audit.log.canonical import canonicalize
from assembly.audit.log.checkpoint import Checkpoint, NoteSigner, sign_checkpoint
from assembly.audit.log.entries import event_entry, genesis_entry
from assembly.audit.log.merkle import MerkleTree, leaf_hash

VECTORS = Path(__file__).parent / "vectors"

GOLDEN_ORIGIN = "wa.example.org/audit/golden"
GOLDEN_SEED = bytes.fromhex("a1d0c6e83f027327d8461063f4ac58a653b7c3e7d2b3b1e9a1d6c5e8f7a90b12")
"""The golden log key's Ed25519 seed: a fixed test value, never used outside the tests."""
OTHER_SEED = bytes.fromhex("5f2b0e8d7c6a594837261504f3e2d1c0b9a89786756453423120100f0e0d0c0b")
GOLDEN_SIZES = (1, 5, 8, 12)
"""Tree sizes of the golden bundle's signed checkpoints."""
GOLDEN_GENERATED_MS = 1_790_000_000_000
ASSEMBLY_ID = uuid.UUID("0190a000-0000-7000-8000-000000000001")

_EVENTS: list[tuple[str, dict[str, Any]]] = [
    ("assembly.created", {"name": "World Council 2026", "body_kind": "world_council"}),
    ("assembly.rules_changed", {"version": 2, "previous_version": 1, "weighting": "one_member_one_vote"}),
    ("delegation.registered", {"member_id": "0190a000-0000-7000-8000-0000000000b1", "credentials_status": "submitted"}),
    ("delegation.credentials_accepted", {"previous_status": "submitted", "credentials_status": "accepted"}),
    ("delegation.registered", {"member_id": "0190a000-0000-7000-8000-0000000000b2", "credentials_status": "submitted"}),
    ("delegation.credentials_rejected", {"previous_status": "submitted", "credentials_status": "rejected"}),
    (
        "proxy.granted",
        {
            "grantor_delegation_id": "0190a000-0000-7000-8000-0000000000d1",
            "holder_delegation_id": "0190a000-0000-7000-8000-0000000000d2",
        },
    ),
    ("delegation.checked_in", {"checked_in": True}),
    ("member.updated", {"key": "ES-BCN", "changes": {"population": [1620000, 1636000]}}),
    ("assembly.opened", {"status": "open", "rule_set_version": 2}),
    (
        "proxy.revoked",
        {
            "grantor_delegation_id": "0190a000-0000-7000-8000-0000000000d1",
            "holder_delegation_id": "0190a000-0000-7000-8000-0000000000d2",
            "note": "S\u00e3o Paulo",
        },
    ),
]


def golden_signer(seed: bytes = GOLDEN_SEED, origin: str = GOLDEN_ORIGIN) -> NoteSigner:
    return NoteSigner(origin, seed)


def event(
    number: int,
    kind: str = "delegation.checked_out",
    payload: dict[str, Any] | None = None,
    origin: str = GOLDEN_ORIGIN,
) -> bytes:
    """A well-formed ``event`` entry with ids and times derived from ``number``."""
    return event_entry(
        origin,
        event_id=uuid.UUID(f"0190a000-0000-7000-8000-{number:012x}"),
        kind=kind,
        recorded_ms=1_789_000_000_000 + number * 1_000,
        assembly_id=ASSEMBLY_ID,
        subject_id=uuid.UUID(f"0190a000-0000-7000-9000-{number:012x}"),
        actor_user_id=None if number % 3 == 0 else uuid.UUID(f"0190a000-0000-7000-a000-{number % 3:012x}"),
        payload=payload if payload is not None else {"checked_in": False},
    )


def golden_entries() -> list[bytes]:
    """Genesis and eleven recorded events: twelve entries."""
    signer = golden_signer()
    entries = [genesis_entry(GOLDEN_ORIGIN, vkey=signer.verifier.vkey, created_ms=1_789_000_000_000)]
    entries += [event(number, kind, payload) for number, (kind, payload) in enumerate(_EVENTS, start=1)]
    return entries


def signed_checkpoints(entries: Sequence[bytes], sizes: Sequence[int], signer: NoteSigner) -> list[str]:
    tree = MerkleTree(leaf_hash(entry) for entry in entries)
    return [sign_checkpoint(Checkpoint(signer.name, size, tree.root(size)), signer) for size in sizes]


def build_files(
    entries: Sequence[bytes] | None = None,
    sizes: Sequence[int] = GOLDEN_SIZES,
    signer: NoteSigner | None = None,
) -> dict[str, bytes]:
    """A bundle whose checkpoints the log key really signed over ``entries`` (golden by default)."""
    entries = golden_entries() if entries is None else list(entries)
    signer = signer or golden_signer()
    return bundle_files(
        origin=signer.name,
        vkey=signer.verifier.vkey,
        entries=entries,
        checkpoints=signed_checkpoints(entries, sizes, signer),
        generated_ms=GOLDEN_GENERATED_MS,
    )


def join_notes(notes: Sequence[str]) -> bytes:
    return "".join(note + "\n" for note in notes).encode("utf-8")


def split_lines(content: bytes) -> list[bytes]:
    return content.splitlines(keepends=True)


def entry_line(entry: bytes) -> bytes:
    """One entries.jsonl line for ``entry``."""
    return b'"' + base64.b64encode(entry) + b'"\n'


def reencoded(entry: bytes, **changes: Any) -> bytes:
    """``entry`` with members replaced, canonical again (so only the meaning changed)."""
    members = json.loads(entry)
    members.update(changes)
    return canonicalize(members)


@pytest.fixture
def write_bundle(tmp_path: Path) -> Any:
    """Write bundle files as a directory (default) or a zip; returns the path."""
    counter = iter(range(1_000_000))

    def write(files: dict[str, bytes], *, as_zip: bool = False) -> Path:
        number = next(counter)
        if as_zip:
            path = tmp_path / f"bundle{number}.zip"
            path.write_bytes(zip_bundle(files))
            return path
        path = tmp_path / f"bundle{number}"
        write_bundle_directory(files, path)
        return path

    return write
