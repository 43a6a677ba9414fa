"""Request and response bodies of the member register API."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from assembly.members.models import Member, MemberKind, MemberSection, MemberStatus, WorldRegion
from assembly.members.rules import (
    CATEGORY_MAX_LENGTH,
    KEY_MAX_LENGTH,
    MAX_POPULATION,
    NAME_MAX_LENGTH,
    YEAR_MAX,
    YEAR_MIN,
)

__all__ = (
    "MemberCreate",
    "MemberImportResult",
    "MemberPage",
    "MemberSort",
    "MemberStatusChange",
    "MemberUpdate",
    "MemberView",
    "member_view",
)

MemberKey = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=KEY_MAX_LENGTH,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="Stable register key: letters, digits, '.', '_', '-'; case-sensitive; never changes.",
        examples=["ES-BCN"],
    ),
]
MemberName = Annotated[
    str, msgspec.Meta(min_length=1, max_length=NAME_MAX_LENGTH, description="Official name (trimmed).")
]
CountryCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[A-Za-z]{2}$",
        description="ISO 3166-1 alpha-2 code; lower case is accepted and stored upper case.",
        examples=["ES"],
    ),
]
Population = Annotated[int, msgspec.Meta(ge=0, le=MAX_POPULATION, description="Inhabitants represented.")]
MembershipCategory = Annotated[
    str, msgspec.Meta(max_length=CATEGORY_MAX_LENGTH, description="Fee / membership category; empty means none.")
]
FeesYear = Annotated[
    int, msgspec.Meta(ge=YEAR_MIN, le=YEAR_MAX, description="Last year for which fees are paid.")
]
Reason = Annotated[
    str, msgspec.Meta(min_length=1, max_length=500, description="Why: the decision this command carries out.")
]


class MemberCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new member; it starts active."""

    key: MemberKey
    name: MemberName
    kind: MemberKind
    country: CountryCode
    region: WorldRegion
    section: MemberSection | None = None
    population: Population | None = None
    membership_category: MembershipCategory | None = None
    fees_paid_through: FeesYear | None = None


class MemberUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """Every editable field of a member (a full replace): send null to clear an optional one.

    The key never changes and the status changes only through the suspend and reinstate commands,
    so neither is accepted here.
    """

    name: MemberName
    kind: MemberKind
    country: CountryCode
    region: WorldRegion
    section: MemberSection | None
    population: Population | None
    membership_category: MembershipCategory | None
    fees_paid_through: FeesYear | None


class MemberStatusChange(msgspec.Struct, forbid_unknown_fields=True):
    """The ground for suspending or reinstating a member (recorded in the audit trail)."""

    reason: Reason


class MemberView(msgspec.Struct, forbid_unknown_fields=True):
    """A member as the API shows it."""

    id: uuid.UUID
    key: str
    name: str
    kind: MemberKind
    country: str
    region: WorldRegion
    section: MemberSection | None
    population: int | None
    membership_category: str | None
    fees_paid_through: int | None
    status: MemberStatus
    created_at: datetime
    updated_at: datetime


class MemberPage(msgspec.Struct, forbid_unknown_fields=True):
    """One page of members and the number of members matching the filters."""

    items: Annotated[list[MemberView], msgspec.Meta(max_length=500)]
    total: int
    limit: int
    offset: int


class MemberImportResult(msgspec.Struct, forbid_unknown_fields=True):
    """What a register import did (or, for a dry run, would do)."""

    created: int
    """Rows whose key was not registered yet."""
    updated: int
    """Rows that changed a registered member."""
    unchanged: int
    """Rows equal to the registered member: not touched at all."""
    total: int
    """Member rows in the file."""
    dry_run: bool
    """True when nothing was written."""


class MemberSort(enum.StrEnum):
    """Orders of the member list; a leading ``-`` means descending. Ties are broken by key."""

    NAME = "name"
    NAME_DESC = "-name"
    KEY = "key"
    KEY_DESC = "-key"


def member_view(member: Member) -> MemberView:
    """Shape a member for the API."""
    return MemberView(
        id=member.id,
        key=member.key,
        name=member.name,
        kind=member.kind,
        country=member.country,
        region=member.region,
        section=member.section,
        population=member.population,
        membership_category=member.membership_category,
        fees_paid_through=member.fees_paid_through,
        status=member.status,
        created_at=member.created_at,
        updated_at=member.updated_at,
    )
