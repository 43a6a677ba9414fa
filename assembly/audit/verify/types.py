"""Entry types defined outside the ballots, and step 8: every entry is of a known type and shape.

Spec "Entry types". Codes: E401 unknown type, E402 members that do not fit the type,
E403 the genesis rule (entry 0, and only entry 0, is ``log.genesis`` with the log's key).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from assembly.audit.verify.model import CheckedLog, FieldRule, Finding, TypeSchema

__all__ = ("CORE_TYPES", "check_entry_types", "natural", "nullable", "object_", "text", "uuid_text")

SPEC = "assembly-audit-log/1"
GENESIS = "log.genesis"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_KIND = r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+"


def natural(value: Any) -> str | None:
    """An integer >= 0 (not a boolean)."""
    return None if type(value) is int and value >= 0 else "is not an integer >= 0"


def uuid_text(value: Any) -> str | None:
    """A UUID in lowercase 8-4-4-4-12 hexadecimal form."""
    return None if isinstance(value, str) and _UUID.match(value) else "is not a lowercase UUID"


def object_(value: Any) -> str | None:
    """A JSON object (any members, within the profile)."""
    return None if isinstance(value, dict) else "is not an object"


def nullable(rule: FieldRule) -> FieldRule:
    """``rule``, or null."""

    def check(value: Any) -> str | None:
        return None if value is None else rule(value)

    return check


def text(pattern: str, max_length: int) -> FieldRule:
    """A string of at most ``max_length`` characters matching ``pattern``."""
    compiled = re.compile(pattern + r"\Z")

    def check(value: Any) -> str | None:
        if isinstance(value, str) and len(value) <= max_length and compiled.match(value):
            return None
        return f"is not a string of at most {max_length} characters matching {pattern}"

    return check


def _constant(expected: str) -> FieldRule:
    def check(value: Any) -> str | None:
        return None if value == expected else f"is not {expected!r}"

    return check


CORE_TYPES: dict[str, TypeSchema] = {
    GENESIS: {
        "spec": _constant(SPEC),
        "vkey": text(r"[^\s]+", 400),
        "created_ms": natural,
    },
    "event": {
        "event_id": uuid_text,
        "kind": text(_KIND, 64),
        "recorded_ms": natural,
        "assembly_id": nullable(uuid_text),
        "subject_id": nullable(uuid_text),
        "actor_user_id": nullable(uuid_text),
        "payload": object_,
    },
}

_ENVELOPE = frozenset({"v", "log", "type"})


def check_entry_types(log: CheckedLog, schemas: Mapping[str, TypeSchema]) -> tuple[str, list[Finding]]:
    """Step 8: genesis rule, known types, and each entry's members against its type's schema."""
    findings: list[Finding] = []
    entries = log.entries
    if entries and entries[0].type != GENESIS:
        findings.append(Finding("E403", f"entry 0 is of type {entries[0].type!r}, not {GENESIS!r}"))
    counts: dict[str, int] = {}
    expected = {name: frozenset(schema) | _ENVELOPE for name, schema in schemas.items()}
    for entry in entries:
        type_name = entry.type
        counts[type_name] = counts.get(type_name, 0) + 1
        if type_name == GENESIS and entry.index != 0:
            findings.append(Finding("E403", f"entry {entry.index} is a second {GENESIS}"))
        schema = schemas.get(type_name)
        if schema is None:
            findings.append(Finding("E401", f"entry {entry.index} is of unknown type {type_name!r}"))
            continue
        members = entry.members
        if members.keys() == expected[type_name]:
            # Exactly the type's members (the usual case): only the values remain to be checked.
            for name, rule in schema.items():
                problem = rule(members[name])
                if problem:
                    findings.append(Finding("E402", f"entry {entry.index} ({type_name}): {name} {problem}"))
        else:
            findings.extend(_members(entry.index, type_name, members, schema))
    if entries and entries[0].type == GENESIS and entries[0].members.get("vkey") != log.public_key:
        findings.append(Finding("E403", "the genesis entry names another public key than the bundle's"))
    summary = ", ".join(f"{count} {name}" for name, count in sorted(counts.items())) or "no entries"
    return summary, findings


def _members(index: int, type_name: str, members: Mapping[str, Any], schema: TypeSchema) -> Sequence[Finding]:
    found = []
    given = set(members) - _ENVELOPE
    for name in sorted(given - set(schema)):
        found.append(Finding("E402", f"entry {index} ({type_name}) has the unknown member {name!r}"))
    for name, rule in schema.items():
        if name not in members:
            found.append(Finding("E402", f"entry {index} ({type_name}) lacks the member {name!r}"))
            continue
        problem = rule(members[name])
        if problem:
            found.append(Finding("E402", f"entry {index} ({type_name}): {name} {problem}"))
    return found
