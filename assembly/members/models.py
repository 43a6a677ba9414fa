"""Member register tables."""

from __future__ import annotations

import enum

from advanced_alchemy.base import UUIDv7AuditBase
from sqlalchemy import BigInteger, CheckConstraint, Enum, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

__all__ = ("Member", "MemberKind", "MemberSection", "MemberStatus", "WorldRegion")


class MemberKind(enum.StrEnum):
    """What sort of member this is (UCLG Constitution Art 7 and the sections' lists)."""

    LOCAL_GOVERNMENT = "local_government"
    REGION = "region"
    METROPOLIS = "metropolis"
    NATIONAL_ASSOCIATION = "national_association"
    SECTION = "section"
    INTERNATIONAL_ORGANISATION = "international_organisation"
    ASSOCIATE = "associate"
    HONORARY = "honorary"


class WorldRegion(enum.StrEnum):
    """The seven world regions of the network."""

    AFRICA = "africa"
    ASIA_PACIFIC = "asia_pacific"
    EURASIA = "eurasia"
    EUROPE = "europe"
    MIDDLE_EAST_WEST_ASIA = "middle_east_west_asia"
    LATIN_AMERICA = "latin_america"
    NORTH_AMERICA = "north_america"


class MemberSection(enum.StrEnum):
    """The network's two thematic sections (Constitution Art 24)."""

    METROPOLITAN = "metropolitan"
    REGIONAL = "regional"


class MemberStatus(enum.StrEnum):
    """A suspended member keeps its record but holds no vote (Constitution Art 23)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Store the values (not the names) as a native PostgreSQL enum.
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members])


class Member(UUIDv7AuditBase):
    """A member government or association of them."""

    __tablename__ = "member"
    __table_args__ = (
        CheckConstraint("population IS NULL OR population >= 0", name="population_not_negative"),
        CheckConstraint("country ~ '^[A-Z]{2}$'", name="country_alpha2"),
        CheckConstraint("fees_paid_through IS NULL OR fees_paid_through BETWEEN 1900 AND 2999",
                        name="fees_year_plausible"),
    )

    key: Mapped[str] = mapped_column(String(64), unique=True)
    """Stable member key from the register (e.g. ``ES-BCN``); CSV re-imports match on it."""

    name: Mapped[str] = mapped_column(String(200), index=True)
    """Official name."""

    kind: Mapped[MemberKind] = mapped_column(_enum(MemberKind, "member_kind"))
    """Member kind; decides voting eligibility under an assembly's rules."""

    country: Mapped[str] = mapped_column(String(2), index=True)
    """ISO 3166-1 alpha-2 country code, upper case."""

    region: Mapped[WorldRegion] = mapped_column(_enum(WorldRegion, "world_region"), index=True)
    """World region."""

    section: Mapped[MemberSection | None] = mapped_column(_enum(MemberSection, "member_section"), nullable=True)
    """Metropolitan or regional section, if any."""

    population: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """Inhabitants represented; used by population-based weighting."""

    membership_category: Mapped[str | None] = mapped_column(String(32), nullable=True)
    """Fee / membership category, looked up by category-table weighting."""

    fees_paid_through: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Last year for which fees are paid; decides arrears."""

    status: Mapped[MemberStatus] = mapped_column(_enum(MemberStatus, "member_status"), default=MemberStatus.ACTIVE)
    """Active or suspended."""
