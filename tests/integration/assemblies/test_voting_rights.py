"""The service API later domains build on: voting rights, assembly roles, a user's delegation."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from assembly.assemblies import services
from assembly.assemblies.models import AssemblyRoleKind, DelegateRole
from assembly.core.errors import Conflict, Forbidden
from assembly.core.security import Principal

if TYPE_CHECKING:
    from tests.integration.assemblies.conftest import World

PROXIES = {"proxies": {"allowed": True, "max_per_holder": 2}}


async def test_rights_follow_live_proxies_in_scope(world: World) -> None:
    assembly_id = await world.assembly(PROXIES)
    a, b, c = [await world.delegation(assembly_id, name=n) for n in ("A", "B", "C")]
    d = await world.delegation(assembly_id, name="D", fees_paid_through=2000)
    ballot, other_ballot = uuid.uuid4(), uuid.uuid4()
    to_b = await services.grant_proxy(world.session, world.admin, a, holder_delegation_id=b, ballot_id=None)
    c_to_b = await services.grant_proxy(world.session, world.admin, c, holder_delegation_id=b, ballot_id=ballot)
    await world.session.commit()

    def by_delegation(rights: list[services.VotingRight]) -> dict[uuid.UUID, services.VotingRight]:
        return {r.delegation_id: r for r in rights}

    assembly_rights = by_delegation(await services.compute_voting_rights(world.session, assembly_id))
    assert (assembly_rights[a].kind, assembly_rights[a].holder_delegation_id, assembly_rights[a].proxy_id) == (
        "proxy", b, to_b.id)
    assert (assembly_rights[b].kind, assembly_rights[b].holder_delegation_id) == ("own", b)
    assert (assembly_rights[c].kind, assembly_rights[c].holder_delegation_id) == ("own", c)
    assert assembly_rights[d].eligible is False
    assert [r.code for r in assembly_rights[d].reasons] == ["fees_in_arrears"]
    assert all(r.weight == 1 and r.derivation for r in assembly_rights.values())

    in_ballot = by_delegation(await services.compute_voting_rights(world.session, assembly_id, ballot))
    assert (in_ballot[c].kind, in_ballot[c].holder_delegation_id, in_ballot[c].proxy_id) == ("proxy", b, c_to_b.id)
    assert in_ballot[a].holder_delegation_id == b
    elsewhere = by_delegation(await services.compute_voting_rights(world.session, assembly_id, other_ballot))
    assert elsewhere[c].kind == "own"


async def test_a_proxy_to_a_holder_that_lost_its_vote_leaves_the_right_with_the_grantor(world: World) -> None:
    assembly_id = await world.assembly(PROXIES)
    a = await world.delegation(assembly_id)
    b = await world.delegation(assembly_id)
    await services.grant_proxy(world.session, world.admin, a, holder_delegation_id=b, ballot_id=None)
    await services.reject_credentials(world.session, world.admin, b, reason="forged")
    await world.session.commit()
    rights = {r.delegation_id: r for r in await services.compute_voting_rights(world.session, assembly_id)}
    assert (rights[a].kind, rights[a].holder_delegation_id, rights[a].eligible) == ("own", a, True)
    assert rights[b].eligible is False


async def test_revoked_proxies_do_not_count(world: World) -> None:
    assembly_id = await world.assembly(PROXIES)
    a = await world.delegation(assembly_id)
    b = await world.delegation(assembly_id)
    proxy = await services.grant_proxy(world.session, world.admin, a, holder_delegation_id=b, ballot_id=None)
    await services.revoke_proxy(world.session, world.admin, proxy.id)
    await world.session.commit()
    rights = await services.compute_voting_rights(world.session, assembly_id)
    assert {r.kind for r in rights} == {"own"}
    with pytest.raises(Conflict) as caught:
        await services.assert_proxy_revocable(world.session, proxy)
    assert caught.value.code == "proxy_already_revoked"


async def test_assess_assembly_gives_weights_and_attendance(world: World) -> None:
    rules = {"weighting": {"scheme": "basic_plus_proportional", "basic_share_ppm": 55020, "unit": 1}}
    assembly_id = await world.assembly(rules)
    for name, population in (("A", 1000), ("B", 300), ("C", 100), ("D", 50)):
        await world.delegation(assembly_id, name=name, population=population)
    assessment = await services.assess_assembly(world.session, assembly_id)
    assert [i.weight.weight for i in assessment.delegations] == [1021, 321, 121, 71]
    assert assessment.total_eligible_weight == 1534
    assert [i.delegation.checked_in for i in assessment.delegations] == [False] * 4


async def test_require_assembly_role(world: World) -> None:
    here = await world.assembly()
    there = await world.assembly()
    chair = await world.principal()
    await services.assign_role(world.session, world.admin, here, user_id=chair.user_id, role=AssemblyRoleKind.CHAIR)
    await world.session.commit()
    await services.require_assembly_role(world.session, chair, here, [AssemblyRoleKind.CHAIR])
    await services.require_assembly_role(world.session, world.admin, here, [AssemblyRoleKind.CHAIR])
    refusals = [
        (chair, there, [AssemblyRoleKind.CHAIR], True),  # chair of another assembly
        (chair, here, [AssemblyRoleKind.AUDITOR], True),
        (world.admin, here, [AssemblyRoleKind.CHAIR], False),  # admin excluded on request
        (Principal(user_id=uuid.uuid4(), is_admin=False), here, [AssemblyRoleKind.CHAIR], True),
    ]
    for principal, assembly_id, roles, allow_admin in refusals:
        with pytest.raises(Forbidden) as caught:
            await services.require_assembly_role(world.session, principal, assembly_id, roles,
                                                 allow_admin=allow_admin)
        assert caught.value.code == "assembly_role_required"


async def test_delegation_of_user(world: World) -> None:
    here = await world.assembly()
    there = await world.assembly()
    delegation_id = await world.delegation(here)
    head = await world.principal()
    voter = await world.principal()
    await services.replace_delegates(
        world.session, world.admin, delegation_id,
        delegates=[(head.user_id, DelegateRole.HEAD), (voter.user_id, DelegateRole.SUBSTITUTE)],
        designated_voter_user_id=voter.user_id,
    )
    await world.session.commit()
    seat = await services.delegation_of_user(world.session, here, voter.user_id)
    assert seat is not None
    assert (seat.delegation_id, seat.role, seat.is_designated_voter) == (delegation_id, DelegateRole.SUBSTITUTE, True)
    head_seat = await services.delegation_of_user(world.session, here, head.user_id)
    assert head_seat is not None
    assert (head_seat.role, head_seat.is_designated_voter) == (DelegateRole.HEAD, False)
    assert await services.delegation_of_user(world.session, there, head.user_id) is None
