"""The entry types defined outside the ballots: what the sequencer writes for them."""

from __future__ import annotations

import json
import uuid

import pytest

from assembly.audit.log.canonical import CanonicalError, decode_entry
from assembly.audit.log.checkpoint import NoteSigner
from assembly.audit.log.entries import event_entry, genesis_entry
from assembly.audit.verify import jcs
from assembly.audit.verify.types import CORE_TYPES
from tests.unit.audit.conftest import GOLDEN_ORIGIN, GOLDEN_SEED, OTHER_SEED

EVENT_ID = uuid.UUID("0190a000-0000-7000-8000-000000000001")


def record(**overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "event_id": EVENT_ID,
        "kind": "delegation.credentials_accepted",
        "recorded_ms": 1_789_000_000_000,
        "assembly_id": EVENT_ID,
        "subject_id": None,
        "actor_user_id": None,
        "payload": {"credentials_status": "accepted"},
    }
    arguments.update(overrides)
    return event_entry(GOLDEN_ORIGIN, **arguments)  # type: ignore[arg-type]  # keyword arguments from a dict


def members_fit_their_schema(entry: bytes) -> bool:
    members = jcs.check_entry(entry, GOLDEN_ORIGIN)
    schema = CORE_TYPES[members["type"]]
    fields = {k: v for k, v in members.items() if k not in {"v", "log", "type"}}
    return set(fields) == set(schema) and all(rule(fields[name]) is None for name, rule in schema.items())


def test_an_event_entry_has_the_documented_members_and_fits_the_verifiers_schema() -> None:
    entry = record()

    assert json.loads(entry) == {
        "v": 1,
        "log": GOLDEN_ORIGIN,
        "type": "event",
        "event_id": str(EVENT_ID),
        "kind": "delegation.credentials_accepted",
        "recorded_ms": 1_789_000_000_000,
        "assembly_id": str(EVENT_ID),
        "subject_id": None,
        "actor_user_id": None,
        "payload": {"credentials_status": "accepted"},
    }
    assert members_fit_their_schema(entry)


def test_payload_strings_are_normalized_to_nfc() -> None:
    entry = record(payload={"name": "Sa\u0303o Paulo", "aliases": ["Zu\u0308rich"]})

    assert decode_entry(entry)["payload"] == {"name": "S\u00e3o Paulo", "aliases": ["Z\u00fcrich"]}


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"kind": "credentials"}, "kind"),
        ({"kind": "Delegation.Registered"}, "kind"),
        ({"kind": "a." + "b" * 63}, "kind"),
        ({"recorded_ms": -1}, "negative"),
        ({"payload": {"share": 0.5}}, "floats"),
        ({"payload": {"rows": ["x" * 70_000]}}, "more than 65535"),
    ],
)
def test_events_the_log_cannot_hold_are_refused(overrides: dict[str, object], reason: str) -> None:
    with pytest.raises(CanonicalError, match=reason):
        record(**overrides)


def test_the_genesis_entry_binds_the_log_key_whose_name_is_the_origin() -> None:
    key = NoteSigner(GOLDEN_ORIGIN, GOLDEN_SEED).verifier.vkey
    entry = genesis_entry(GOLDEN_ORIGIN, vkey=key, created_ms=5)

    assert json.loads(entry) == {
        "v": 1,
        "log": GOLDEN_ORIGIN,
        "type": "log.genesis",
        "spec": "assembly-audit-log/1",
        "vkey": key,
        "created_ms": 5,
    }
    assert members_fit_their_schema(entry)
    with pytest.raises(CanonicalError, match="name must be the origin"):
        genesis_entry(GOLDEN_ORIGIN, vkey=NoteSigner("other.example.org/log", OTHER_SEED).verifier.vkey, created_ms=5)
    with pytest.raises(CanonicalError, match="not a verifier key"):
        genesis_entry(GOLDEN_ORIGIN, vkey="not a key", created_ms=5)
