"""State rules of assemblies, rule-set versions and credentials (pure, no I/O).

Each function answers "may this happen now?" with None (yes) or a :class:`Refusal` carrying the
stable error code the API returns; the services turn refusals into domain errors.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = (
    "Refusal",
    "assembly_change_refusal",
    "attendance_refusal",
    "credentials_refusal",
    "delegates_refusal",
    "details_edit_refusal",
    "rule_change_refusal",
    "status_transition_refusal",
)

Status = Literal["planned", "open", "closed"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a command is refused: ``conflict`` (409, wrong state) or ``invalid`` (422, bad ``field``)."""

    code: str
    message: str
    kind: Literal["conflict", "invalid"] = "conflict"
    field: str | None = None


_TRANSITIONS: dict[str, tuple[str, str]] = {
    # target: (the one status it may come from, the code when it does not)
    "open": ("planned", "assembly_not_planned"),
    "closed": ("open", "assembly_not_open"),
}


def status_transition_refusal(current: str, target: str) -> Refusal | None:
    """An assembly goes planned -> open -> closed, one step at a time, never back."""
    source, code = _TRANSITIONS[target]
    if current != source:
        return Refusal(code, f"the assembly is {current}; only a {source} assembly can become {target}")
    return None


def assembly_change_refusal(status: str) -> Refusal | None:
    """Delegations, credentials, delegates, attendance and proxies change until the assembly closes."""
    if status == "closed":
        return Refusal("assembly_closed", "the assembly is closed; its records no longer change")
    return None


def details_edit_refusal(status: str) -> Refusal | None:
    """Name, dates and venue are edited while the assembly is planned, never after it opens."""
    if status != "planned":
        return Refusal("assembly_not_planned", f"the assembly is {status}; its details can change only while planned")
    return None


def rule_change_refusal(status: str, reason: str | None) -> Refusal | None:
    """A rule change appends a version; once open it needs a reason; once closed it is refused.

    Rules of procedure are never changed silently: before opening a reason is optional, after
    opening it is required (and recorded with the version and in the audit trail); a closed
    assembly's rules are final.
    """
    if status == "closed":
        return Refusal("assembly_closed", "the assembly is closed; its rules are final")
    if status == "open" and not (reason or "").strip():
        return Refusal("reason_required", "the assembly is open: say why the rules change", kind="invalid",
                       field="reason")
    return None


def credentials_refusal(current: str, target: Literal["accepted", "rejected"]) -> Refusal | None:
    """Credentials: submitted -> accepted | rejected; a decision may be reversed, never repeated.

    The secretariat (credentials process) may accept credentials it rejected and reject credentials
    it accepted (each time recorded, a rejection with its reason); accepting accepted credentials or
    rejecting rejected ones is refused as a repetition.
    """
    if current == target:
        return Refusal(f"credentials_already_{target}", f"the credentials are already {target}")
    return None


def attendance_refusal(kind: Literal["check_in", "check_out"], *, checked_in: bool,
                       credentials_status: str) -> Refusal | None:
    """Attendance alternates check-in, check-out; a delegation with rejected credentials is not seated.

    Credentials still ``submitted`` do not block a check-in: a delegation sits provisionally while
    its credentials are examined (as under UN GA r.29), but it holds no vote until they are accepted.
    """
    if kind == "check_in":
        if credentials_status == "rejected":
            return Refusal("credentials_rejected", "the delegation's credentials were rejected; it cannot check in")
        if checked_in:
            return Refusal("already_checked_in", "the delegation is already checked in")
    elif not checked_in:
        return Refusal("not_checked_in", "the delegation is not checked in")
    return None


def delegates_refusal(delegates: Sequence[tuple[uuid.UUID, str]], designated_voter: uuid.UUID | None) -> Refusal | None:
    """A delegation's people: each user once, at most one head, the designated voter among them.

    ``delegates`` are (user id, role) pairs in request order; fields are named as in the request
    (``delegates[2].user_id``). That a user sits in no other delegation of the assembly needs the
    database and is checked by the service (and by a unique constraint).
    """
    seen: set[uuid.UUID] = set()
    head_seen = False
    for index, (user_id, role) in enumerate(delegates):
        if user_id in seen:
            return Refusal("duplicate_delegate", "this user is listed twice", kind="invalid",
                           field=f"delegates[{index}].user_id")
        seen.add(user_id)
        if role == "head":
            if head_seen:
                return Refusal("multiple_heads", "a delegation has at most one head", kind="invalid",
                               field=f"delegates[{index}].role")
            head_seen = True
    if designated_voter is not None and designated_voter not in seen:
        return Refusal("designated_voter_not_delegate", "the designated voter must be one of the delegates",
                       kind="invalid", field="designated_voter_user_id")
    return None
