"""Request and response bodies of the assemblies API (msgspec Structs, snake_case, bounded)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from assembly.assemblies.models import (
    AssemblyRoleKind,
    AssemblyStatus,
    BodyKind,
    CredentialsStatus,
    DelegateRole,
)
from assembly.assemblies.rules import RuleSet
from assembly.members.models import MemberKind

__all__ = (
    "AssemblyCreate",
    "AssemblyRead",
    "AssemblyRoleAssign",
    "AssemblyRoleRead",
    "AssemblySummary",
    "AssemblyUpdate",
    "AssemblyWeights",
    "CredentialsReject",
    "DelegateIn",
    "DelegateRead",
    "DelegatesReplace",
    "DelegationDetail",
    "DelegationRegister",
    "DelegationSummary",
    "DelegationWeight",
    "EligibilityRead",
    "MyAssembly",
    "MyAssemblyList",
    "MyDelegation",
    "ProxyGrant",
    "ProxyRead",
    "ReasonRead",
    "RuleSetVersionRead",
    "RulesReplace",
    "WeightRead",
)

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, description="1 to 200 characters")]
Venue = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
ReasonText = Annotated[str, msgspec.Meta(min_length=1, max_length=1000, description="1 to 1000 characters")]
InputValue = int | str | None


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are refused."""


class _Out(msgspec.Struct, kw_only=True):
    """Base of response bodies."""


# -- Requests --------------------------------------------------------------------------------------


class AssemblyCreate(_In):
    """A new assembly; without ``rules`` it gets the UCLG defaults (docs/assemblies.md)."""

    name: Name
    body_kind: BodyKind
    starts_on: date
    ends_on: date
    venue: Venue | None = None
    rules: RuleSet | None = None


class AssemblyUpdate(_In):
    """New name, dates and venue of a planned assembly (all four are replaced)."""

    name: Name
    starts_on: date
    ends_on: date
    venue: Venue | None = None


class RulesReplace(_In):
    """A new version of the rules; ``reason`` is required once the assembly is open."""

    rules: RuleSet
    reason: ReasonText | None = None


class AssemblyRoleAssign(_In):
    """Give a user a role in the assembly."""

    user_id: uuid.UUID
    role: AssemblyRoleKind


class DelegationRegister(_In):
    """Register a member's delegation; its credentials start as ``submitted``."""

    member_id: uuid.UUID


class CredentialsReject(_In):
    """Why the credentials are rejected."""

    reason: ReasonText


class DelegateIn(_In):
    """One person of the delegation."""

    user_id: uuid.UUID
    role: DelegateRole


class DelegatesReplace(_In):
    """The delegation's people (replacing the previous list) and its designated voter."""

    delegates: Annotated[list[DelegateIn], msgspec.Meta(max_length=20)]
    designated_voter_user_id: uuid.UUID | None = None


class ProxyGrant(_In):
    """Authorize another delegation to vote for this one, for the assembly or one ballot."""

    holder_delegation_id: uuid.UUID
    ballot_id: uuid.UUID | None = None


# -- Responses -------------------------------------------------------------------------------------


class AssemblyRoleRead(_Out):
    """A user's role in an assembly."""

    user_id: uuid.UUID
    role: AssemblyRoleKind


class AssemblySummary(_Out):
    """An assembly in a list."""

    id: uuid.UUID
    name: str
    body_kind: BodyKind
    starts_on: date
    ends_on: date
    venue: str | None
    status: AssemblyStatus
    rule_set_version: int


class AssemblyRead(_Out):
    """An assembly with its rules in force and its roles."""

    id: uuid.UUID
    name: str
    body_kind: BodyKind
    starts_on: date
    ends_on: date
    venue: str | None
    status: AssemblyStatus
    rule_set_version: int
    rules: RuleSet
    roles: list[AssemblyRoleRead]
    opened_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class RuleSetVersionRead(_Out):
    """One version of an assembly's rules."""

    version: int
    rules: RuleSet
    reason: str | None
    created_by_user_id: uuid.UUID | None
    created_at: datetime
    in_force: bool


class ReasonRead(_Out):
    """Why a delegation holds no vote."""

    code: str
    message: str


class EligibilityRead(_Out):
    """Whether the delegation holds a vote, and every reason it does not."""

    eligible: bool
    reasons: list[ReasonRead]


class WeightRead(_Out):
    """The delegation's weight and how it was computed."""

    weight: int
    derivation: str
    inputs: dict[str, InputValue]


class DelegateRead(_Out):
    """A person of a delegation."""

    user_id: uuid.UUID
    full_name: str
    role: DelegateRole


class ProxyRead(_Out):
    """A proxy from the grantor delegation to the holder; live while ``revoked_at`` is null."""

    id: uuid.UUID
    assembly_id: uuid.UUID
    grantor_delegation_id: uuid.UUID
    holder_delegation_id: uuid.UUID
    ballot_id: uuid.UUID | None
    created_at: datetime
    revoked_at: datetime | None


class DelegationSummary(_Out):
    """A delegation in a list, with its weight and eligibility."""

    id: uuid.UUID
    assembly_id: uuid.UUID
    member_id: uuid.UUID
    member_name: str
    member_kind: MemberKind
    credentials_status: CredentialsStatus
    checked_in: bool
    weight: int
    eligible: bool
    reasons: list[ReasonRead]


class DelegationDetail(_Out):
    """A delegation: credentials, people, attendance, weight with derivation, eligibility, proxies."""

    id: uuid.UUID
    assembly_id: uuid.UUID
    member_id: uuid.UUID
    member_name: str
    member_kind: MemberKind
    credentials_status: CredentialsStatus
    credentials_reason: str | None
    credentials_decided_by_user_id: uuid.UUID | None
    credentials_decided_at: datetime | None
    delegates: list[DelegateRead]
    designated_voter_user_id: uuid.UUID | None
    checked_in: bool
    rule_set_version: int
    weight: WeightRead
    eligibility: EligibilityRead
    proxies_held: list[ProxyRead]
    proxies_given: list[ProxyRead]


class DelegationWeight(_Out):
    """One delegation's line in the weights table."""

    delegation_id: uuid.UUID
    member_id: uuid.UUID
    member_name: str
    credentials_status: CredentialsStatus
    checked_in: bool
    weight: int
    derivation: str
    inputs: dict[str, InputValue]
    eligible: bool
    reasons: list[ReasonRead]


class AssemblyWeights(_Out):
    """The weights table under the rules in force: totals over every delegation, and one page of rows."""

    assembly_id: uuid.UUID
    rule_set_version: int
    scheme: str
    total: int
    """Delegations registered for the assembly."""
    eligible_delegations: int
    total_eligible_weight: int
    weights_sha256: str
    """SHA-256 of the whole table (docs/assemblies.md), as recorded in the audit trail."""
    limit: int
    offset: int
    delegations: list[DelegationWeight]


class MyDelegation(_Out):
    """The caller's place in a delegation."""

    delegation_id: uuid.UUID
    member_id: uuid.UUID
    member_name: str
    role: DelegateRole
    is_designated_voter: bool


class MyAssembly(_Out):
    """An assembly where the caller holds a role or sits in a delegation."""

    assembly_id: uuid.UUID
    name: str
    status: AssemblyStatus
    starts_on: date
    ends_on: date
    roles: list[AssemblyRoleKind]
    delegation: MyDelegation | None


class MyAssemblyList(_Out):
    """The caller's assemblies, soonest first."""

    assemblies: list[MyAssembly]
