"""The invariants the schema holds by itself, even against a write that skips the services."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from assembly.assemblies import services
from assembly.assemblies.models import DelegateRole

if TYPE_CHECKING:
    from tests.integration.assemblies.conftest import World


async def _refused(world: World, statement: str, **params: Any) -> str:
    """Run ``statement`` and commit on a fresh session; return the name of the constraint that refused it."""
    async with world.database.sessionmaker() as session:

        async def write() -> None:  # immediate constraints fail on execute, deferred ones on commit
            await session.execute(text(statement), params)
            await session.commit()

        with pytest.raises(IntegrityError) as caught:
            await write()
        await session.rollback()
    return str(getattr(caught.value.orig.__cause__, "constraint_name", ""))


async def test_delegation_invariants(world: World) -> None:
    here = await world.assembly()
    there = await world.assembly()
    delegation = await world.delegation(here)
    elsewhere = await world.delegation(there)
    head = await world.principal()
    other = await world.principal()
    await services.replace_delegates(world.session, world.admin, delegation,
                                     delegates=[(head.user_id, DelegateRole.HEAD)], designated_voter_user_id=None)
    await world.session.commit()
    # The designated voter must be one of the delegation's people (checked at commit).
    assert await _refused(world, "UPDATE delegation SET designated_voter_user_id = :u WHERE id = :d",
                          u=other.user_id, d=delegation) == "fk_delegation_designated_voter_is_delegate"
    # A second head.
    assert await _refused(
        world, "INSERT INTO delegation_member (id, delegation_id, assembly_id, user_id, role, created_at, updated_at)"
        " VALUES (:id, :d, :a, :u, 'head', now(), now())",
        id=uuid.uuid4(), d=delegation, a=here, u=other.user_id) == "uq_delegation_member_one_head"
    # A delegate row claiming another assembly than its delegation's.
    assert await _refused(
        world, "INSERT INTO delegation_member (id, delegation_id, assembly_id, user_id, role, created_at, updated_at)"
        " VALUES (:id, :d, :a, :u, 'delegate', now(), now())",
        id=uuid.uuid4(), d=delegation, a=there, u=other.user_id) == "fk_delegation_member_delegation"
    # A proxy to oneself, and a proxy across assemblies.
    proxy = ("INSERT INTO proxy (id, assembly_id, grantor_delegation_id, holder_delegation_id, created_at, updated_at)"
             " VALUES (:id, :a, :g, :h, now(), now())")
    assert await _refused(world, proxy, id=uuid.uuid4(), a=here, g=delegation, h=delegation) == "ck_proxy_not_to_self"
    assert await _refused(world, proxy, id=uuid.uuid4(), a=here, g=delegation,
                          h=elsewhere) == "fk_proxy_holder_delegation"
    # Rejected credentials carry a reason.
    assert await _refused(world, "UPDATE delegation SET credentials_status = 'rejected' WHERE id = :d",
                          d=delegation) == "ck_delegation_rejection_has_reason"


async def test_assembly_points_at_an_existing_rule_set_version(world: World) -> None:
    assembly_id = await world.assembly()
    assert await _refused(world, "UPDATE assembly SET rule_set_version = 2 WHERE id = :a",
                          a=assembly_id) == "fk_assembly_current_rule_set"
    assert await _refused(world, "UPDATE assembly SET ends_on = starts_on - 1 WHERE id = :a",
                          a=assembly_id) == "ck_assembly_dates_ordered"
    assert await _refused(world, "UPDATE assembly SET status = 'open' WHERE id = :a",
                          a=assembly_id) == "ck_assembly_status_matches_times"
