"""Invariants the schema holds by itself, whatever the code does: immutable versions, sponsors and co-sponsors of
the motion's own assembly, two degrees at most, states that agree with their facts."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from assembly.assemblies import services as assemblies
from assembly.assemblies.models import BodyKind
from assembly.core.security import Principal
from assembly.members.models import Member, MemberKind, WorldRegion
from assembly.motions.rules import OperationInput
from tests.helpers import make_user

if TYPE_CHECKING:
    from tests.integration.motions.conftest import Hall


async def _fails(hall: Hall, statement: str, params: dict[str, object], error: type[Exception], words: str) -> None:
    async with hall.database.engine.connect() as connection:
        with pytest.raises(error, match=words):
            await connection.execute(text(statement), params)
        await connection.rollback()


async def test_versions_are_immutable(hall: Hall) -> None:
    mid = await hall.draft()
    await _fails(hall, "UPDATE motion_version SET title = 'changed' WHERE motion_id = :m", {"m": mid}, DBAPIError,
                 "motion versions are immutable")
    await _fails(hall, "DELETE FROM motion_version WHERE motion_id = :m", {"m": mid}, DBAPIError,
                 "motion versions are immutable")


async def test_a_motion_points_at_an_existing_version(hall: Hall) -> None:
    mid = await hall.draft()
    async with hall.database.engine.connect() as connection:
        await connection.execute(text("UPDATE motion SET current_version = 9 WHERE id = :m"), {"m": mid})
        with pytest.raises(IntegrityError, match="fk_motion_current_version"):
            await connection.commit()


async def test_a_co_sponsor_of_another_assembly_is_refused_by_the_database(hall: Hall) -> None:
    mid = await hall.draft()
    admin = Principal(user_id=(await make_user(hall.session, is_admin=True)).id, is_admin=True)
    other = await assemblies.create_assembly(hall.session, admin, name="Bureau", body_kind=BodyKind.EXECUTIVE_BUREAU,
                                             starts_on=date(2026, 1, 1), ends_on=date(2026, 1, 1), venue=None,
                                             rules=None)
    member = Member(key=f"Z-{uuid.uuid4().hex[:8]}", name="Elsewhere", kind=MemberKind.LOCAL_GOVERNMENT,
                    country="FR", region=WorldRegion.EUROPE)
    hall.session.add(member)
    await hall.session.flush()
    foreign = await assemblies.register_delegation(hall.session, admin, other.assembly.id, member_id=member.id)
    await hall.session.commit()
    await _fails(hall, "INSERT INTO motion_cosponsor (id, assembly_id, motion_id, delegation_id, status, created_at, "
                 "updated_at) VALUES (:id, :a, :m, :d, 'invited', now(), now())",
                 {"id": uuid.uuid4(), "a": hall.assembly_id, "m": mid, "d": foreign.assessment.delegation.id},
                 IntegrityError, "fk_motion_cosponsor_delegation")


async def test_no_third_degree_and_no_parent_from_another_motion(hall: Hall) -> None:
    mid = await hall.debated()
    other = await hall.debated()
    parent = await hall.table(mid, OperationInput("delete", "p4"))
    stranger = await hall.table(other, OperationInput("delete", "p4"))
    await _fails(hall, "UPDATE amendment SET degree = 3 WHERE id = :a", {"a": parent}, IntegrityError,
                 "degree_first_or_second")
    await _fails(hall, "UPDATE amendment SET degree = 2, parent_amendment_id = :p WHERE id = :a",
                 {"a": parent, "p": stranger}, IntegrityError, "fk_amendment_parent")


async def test_states_agree_with_their_facts(hall: Hall) -> None:
    mid = await hall.debated()
    await _fails(hall, "UPDATE motion SET status = 'voting' WHERE id = :m", {"m": mid}, IntegrityError,
                 "voting_has_ballot")
    await _fails(hall, "UPDATE motion SET status = 'adopted' WHERE id = :m", {"m": mid}, IntegrityError,
                 "decided_has")
    await _fails(hall, "UPDATE motion SET status = 'out_of_order', status_reason = NULL WHERE id = :m", {"m": mid},
                 IntegrityError, "out_of_order_has_reason")
    amendment = await hall.table(mid, OperationInput("delete", "p4"))
    await _fails(hall, "UPDATE amendment SET status = 'lapsed', status_reason = NULL WHERE id = :a", {"a": amendment},
                 IntegrityError, "ruling_has_reason")
