"""Races settled by PostgreSQL: a constraint or a row lock, each fired with two real transactions.

Each test holds the first transaction open until the second is provably waiting on it, then commits,
so the second must go through the database's arbitration, not a lucky ordering.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from assembly.assemblies import services
from assembly.assemblies.models import DelegateRole, DelegationMember, Proxy
from assembly.core.errors import Conflict

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from tests.integration.assemblies.conftest import World


async def _second_waits_then_loses(first: Awaitable[object], second: Awaitable[object],
                                   commit_first: Awaitable[None]) -> Conflict:
    await first
    task = asyncio.ensure_future(second)
    await asyncio.sleep(0.5)
    assert not task.done(), "the second transaction should be waiting on the first"
    await commit_first
    with pytest.raises(Conflict) as caught:
        await task
    return caught.value


async def test_one_person_seated_in_two_delegations_at_once(world: World) -> None:
    assembly_id = await world.assembly()
    first = await world.delegation(assembly_id)
    second = await world.delegation(assembly_id)
    person = await world.principal()
    sessionmaker = world.database.sessionmaker
    async with sessionmaker() as one, sessionmaker() as two:
        error = await _second_waits_then_loses(
            services.replace_delegates(one, world.admin, first, delegates=[(person.user_id, DelegateRole.HEAD)],
                                       designated_voter_user_id=None),
            services.replace_delegates(two, world.admin, second, delegates=[(person.user_id, DelegateRole.HEAD)],
                                       designated_voter_user_id=None),
            one.commit(),
        )
        await two.rollback()
    assert error.code == "delegate_in_other_delegation"
    assert error.errors == [{"field": "delegates[0].user_id",
                             "message": "this user is already a delegate in another delegation of this assembly"}]
    seats = (await world.session.execute(
        select(DelegationMember.delegation_id).where(DelegationMember.user_id == person.user_id))).scalars().all()
    assert seats == [first]


async def test_two_grants_for_the_last_place_of_a_holder(world: World) -> None:
    assembly_id = await world.assembly({"proxies": {"allowed": True, "max_per_holder": 1}})
    holder = await world.delegation(assembly_id)
    grantor_one = await world.delegation(assembly_id)
    grantor_two = await world.delegation(assembly_id)
    sessionmaker = world.database.sessionmaker
    async with sessionmaker() as one, sessionmaker() as two:
        error = await _second_waits_then_loses(
            services.grant_proxy(one, world.admin, grantor_one, holder_delegation_id=holder, ballot_id=None),
            services.grant_proxy(two, world.admin, grantor_two, holder_delegation_id=holder, ballot_id=None),
            one.commit(),
        )
        await two.rollback()
    assert error.code == "proxy_limit_reached"
    live = await world.session.scalar(select(func.count()).select_from(Proxy).where(
        Proxy.holder_delegation_id == holder, Proxy.revoked_at.is_(None)))
    assert live == 1


async def test_a_chain_formed_by_two_concurrent_grants(world: World) -> None:
    assembly_id = await world.assembly({"proxies": {"allowed": True, "max_per_holder": 5}})
    a = await world.delegation(assembly_id)
    b = await world.delegation(assembly_id)
    c = await world.delegation(assembly_id)
    sessionmaker = world.database.sessionmaker
    async with sessionmaker() as one, sessionmaker() as two:
        error = await _second_waits_then_loses(
            services.grant_proxy(one, world.admin, a, holder_delegation_id=b, ballot_id=None),
            services.grant_proxy(two, world.admin, b, holder_delegation_id=c, ballot_id=None),
            one.commit(),
        )
        await two.rollback()
    assert error.code == "proxy_chain"
