"""Use cases of proxies: grant and revoke, with the hook ballots use to stop a late revocation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.models import DelegateRole, Delegation, DelegationMember, Proxy
from assembly.assemblies.rules import ProxyGrantFacts, assembly_change_refusal, proxy_grant_refusal
from assembly.assemblies.services._common import constraint_name, load_assembly, load_delegation, raise_refusal
from assembly.assemblies.services.voting_rights import assess_assembly
from assembly.audit.services import record_event
from assembly.ballots.models import Ballot, BallotStatus
from assembly.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from assembly.core.security import Principal

__all__ = ("assert_proxy_revocable", "grant_proxy", "revoke_proxy")


async def _require_voter_or_admin(session: AsyncSession, actor: Principal, delegation: Delegation) -> None:
    """The secretariat, the delegation's head or its designated voter may give or revoke its proxy."""
    if actor.is_admin or delegation.designated_voter_user_id == actor.user_id:
        return
    head = await session.scalar(select(DelegationMember.id).where(
        DelegationMember.delegation_id == delegation.id,
        DelegationMember.user_id == actor.user_id,
        DelegationMember.role == DelegateRole.HEAD,
    ))
    if head is None:
        raise Forbidden("only the head or the designated voter of the granting delegation, or the secretariat, "
                        "may give or revoke its proxy", code="not_delegation_voter")


async def _live_scopes(session: AsyncSession, grantor_id: uuid.UUID) -> list[uuid.UUID | None]:
    return list((await session.scalars(select(Proxy.ballot_id).where(
        Proxy.grantor_delegation_id == grantor_id, Proxy.revoked_at.is_(None)))).all())


async def _holds_any(session: AsyncSession, holder_id: uuid.UUID) -> bool:
    found = await session.scalar(select(Proxy.id).where(
        Proxy.holder_delegation_id == holder_id, Proxy.revoked_at.is_(None)).limit(1))
    return found is not None


async def grant_proxy(
    session: AsyncSession,
    actor: Principal,
    grantor_delegation_id: uuid.UUID,
    *,
    holder_delegation_id: uuid.UUID,
    ballot_id: uuid.UUID | None,
) -> Proxy:
    """Delegation A (grantor) authorizes delegation B (holder) to vote for it, for the assembly or one ballot.

    Both delegation rows are locked (in id order, so two grants never deadlock) before anything is
    counted: two grants racing for the last place a holder has are serialized on the holder's row,
    and a chain A->B racing B->C on B's. The rules and their codes are in
    :mod:`assembly.assemblies.rules.proxies`; besides them: 403 ``not_delegation_voter``, 404
    ``delegation_not_found`` (the grantor), 422 ``delegation_not_found`` (field
    ``holder_delegation_id``), 409 ``assembly_closed``.
    """
    grantor = await load_delegation(session, grantor_delegation_id)
    await _require_voter_or_admin(session, actor, grantor)
    ids = sorted({grantor_delegation_id, holder_delegation_id})
    locked = {d.id: d for d in (await session.scalars(
        select(Delegation).where(Delegation.id.in_(ids)).order_by(Delegation.id).with_for_update()
        .execution_options(populate_existing=True)
    )).all()}
    holder = locked.get(holder_delegation_id)
    if holder is None:
        raise InvalidInput.for_field("holder_delegation_id", "no delegation with this id", code="delegation_not_found")
    assembly = await load_assembly(session, grantor.assembly_id)
    closed = assembly_change_refusal(str(assembly.status))
    if closed:
        raise_refusal(closed)
    assessment = await assess_assembly(session, grantor.assembly_id)
    grantor_item = assessment.get(grantor.id)
    holder_item = assessment.get(holder.id)
    held_rows = (await session.execute(
        select(Proxy.ballot_id, func.count()).where(
            Proxy.holder_delegation_id == holder.id, Proxy.revoked_at.is_(None)).group_by(Proxy.ballot_id)
    )).all()
    facts = ProxyGrantFacts(
        grantor_id=grantor.id,
        holder_id=holder.id,
        ballot_id=ballot_id,
        same_assembly=holder.assembly_id == grantor.assembly_id,
        grantor_eligible=grantor_item is not None and grantor_item.eligibility.eligible,
        holder_eligible=holder_item is not None and holder_item.eligibility.eligible,
        grantor_live_scopes=await _live_scopes(session, grantor.id),
        holder_gives_proxy=bool(await _live_scopes(session, holder.id)),
        grantor_holds_proxies=await _holds_any(session, grantor.id),
        holder_held_for_assembly=sum(count for scope, count in held_rows if scope is None),
        holder_held_by_ballot={scope: count for scope, count in held_rows if scope is not None},
    )
    refusal = proxy_grant_refusal(assessment.rules.proxies, facts)
    if refusal is not None:
        item = grantor_item if refusal.code == "grantor_not_eligible" else holder_item
        if refusal.code in {"grantor_not_eligible", "holder_not_eligible"} and item is not None:
            codes = [reason.code for reason in item.eligibility.reasons]
            raise Conflict(f"{refusal.message} ({', '.join(codes)})", code=refusal.code, extra={"reasons": codes})
        raise_refusal(refusal)
    proxy = Proxy(assembly_id=grantor.assembly_id, grantor_delegation_id=grantor.id,
                  holder_delegation_id=holder.id, ballot_id=ballot_id, created_by_user_id=actor.user_id)
    try:
        async with session.begin_nested():
            session.add(proxy)
            await session.flush()
    except IntegrityError as exc:
        # The locks make this unreachable in normal operation; the partial unique indexes stay the last word.
        if constraint_name(exc) not in {"uq_proxy_live_for_assembly", "uq_proxy_live_for_ballot"}:
            raise
        raise Conflict("the delegation already has a live proxy covering this", code="proxy_exists") from None
    await record_event(session, "proxy.granted", assembly_id=grantor.assembly_id, subject_id=proxy.id,
                       actor_user_id=actor.user_id, payload={
                           "grantor_delegation_id": str(grantor.id),
                           "holder_delegation_id": str(holder.id),
                           "ballot_id": str(ballot_id) if ballot_id else None,
                       })
    return proxy


async def assert_proxy_revocable(session: AsyncSession, proxy: Proxy) -> None:
    """Raise unless ``proxy`` may be revoked now.

    A proxy already revoked is refused (409 ``proxy_already_revoked``). A proxy is revocable until
    the ballot it concerns opens: a ballot-scoped proxy whose ballot is open or closed is refused
    (409 ``ballot_already_open``). The ballot row is read FOR SHARE, so a revocation and the opening
    (which locks the ballot FOR UPDATE and then snapshots the proxies) are serialized: either the
    revocation commits first and the snapshot leaves the right with its delegation, or the ballot
    opens first and the revocation is refused. An assembly-wide proxy stays revocable; revoking it
    changes only the electorates of ballots that open afterwards (electorates are snapshotted at
    opening).
    """
    if proxy.revoked_at is not None:
        raise Conflict("the proxy is already revoked", code="proxy_already_revoked")
    if proxy.ballot_id is not None:
        status = await session.scalar(
            select(Ballot.status).where(Ballot.id == proxy.ballot_id).with_for_update(read=True))
        if status is not None and status != BallotStatus.DRAFT:
            raise Conflict(f"the ballot this proxy is for is {status}: its electorate is frozen",
                           code="ballot_already_open")


async def revoke_proxy(session: AsyncSession, actor: Principal, proxy_id: uuid.UUID) -> Proxy:
    """Revoke a live proxy (grantor's head or designated voter, or the secretariat).

    404 ``proxy_not_found``; 403 ``not_delegation_voter``; 409 ``assembly_closed``,
    ``proxy_already_revoked`` (and what :func:`assert_proxy_revocable` adds).
    """
    # FOR NO KEY UPDATE (revoking changes no key): a ballot opening at the same time checks its foreign
    # key to this proxy with KEY SHARE, which this lock does not block, so the two cannot deadlock.
    proxy = await session.scalar(select(Proxy).where(Proxy.id == proxy_id).with_for_update(key_share=True))
    if proxy is None:
        raise NotFound(f"no proxy with id {proxy_id}", code="proxy_not_found")
    grantor = await load_delegation(session, proxy.grantor_delegation_id)
    await _require_voter_or_admin(session, actor, grantor)
    assembly = await load_assembly(session, proxy.assembly_id)
    closed = assembly_change_refusal(str(assembly.status))
    if closed:
        raise_refusal(closed)
    await assert_proxy_revocable(session, proxy)
    proxy.revoked_at = datetime.now(UTC)
    proxy.revoked_by_user_id = actor.user_id
    await record_event(session, "proxy.revoked", assembly_id=proxy.assembly_id, subject_id=proxy.id,
                       actor_user_id=actor.user_id, payload={
                           "grantor_delegation_id": str(proxy.grantor_delegation_id),
                           "holder_delegation_id": str(proxy.holder_delegation_id),
                           "ballot_id": str(proxy.ballot_id) if proxy.ballot_id else None,
                       })
    await session.flush()
    return proxy
