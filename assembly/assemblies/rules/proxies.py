"""Proxy rules: may delegation A authorize delegation B to vote for it? (pure, no I/O)

A proxy is given for the whole assembly (``ballot_id`` null) or for one ballot. The checks, in the
order they are applied, each with its stable code:

``proxy_to_self``         A and B are the same delegation (422, field ``holder_delegation_id``)
``different_assembly``    B belongs to another assembly (422, field ``holder_delegation_id``)
``proxies_not_allowed``   the rule set forbids proxies (409)
``grantor_not_eligible``  A holds no vote itself: nothing to give (409)
``holder_not_eligible``   B holds no vote (409)
``proxy_exists``          A already has a live proxy covering that scope (409)
``proxy_chain``           B has given a proxy itself, or A holds proxies: no chains (409)
``proxy_limit_reached``   B would hold more than ``max_per_holder`` proxies in one ballot (409)
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from assembly.assemblies.rules.lifecycle import Refusal
from assembly.assemblies.rules.rule_set import ProxyPolicy

__all__ = ("ProxyGrantFacts", "proxies_held_in_worst_ballot", "proxy_grant_refusal")


@dataclass(frozen=True, slots=True)
class ProxyGrantFacts:
    """What the service loaded about a proposed proxy from A (grantor) to B (holder)."""

    grantor_id: uuid.UUID
    holder_id: uuid.UUID
    ballot_id: uuid.UUID | None
    """None: for the whole assembly; else for that ballot only."""
    same_assembly: bool
    grantor_eligible: bool
    holder_eligible: bool
    grantor_live_scopes: Collection[uuid.UUID | None] = ()
    """Scopes of A's live proxies (None = the whole assembly)."""
    holder_gives_proxy: bool = False
    """B has a live proxy of its own to someone."""
    grantor_holds_proxies: bool = False
    """A holds at least one live proxy."""
    holder_held_for_assembly: int = 0
    """Live assembly-wide proxies B holds."""
    holder_held_by_ballot: Mapping[uuid.UUID, int] = field(default_factory=dict)
    """Live ballot-scoped proxies B holds, per ballot."""


def proxies_held_in_worst_ballot(held_for_assembly: int, held_by_ballot: Mapping[uuid.UUID, int],
                                 ballot_id: uuid.UUID | None) -> int:
    """Proxies a holder carries into one ballot: its assembly-wide ones plus those for that ballot.

    For a new assembly-wide proxy every ballot counts, so the ballot where it holds most decides.
    """
    if ballot_id is None:
        return held_for_assembly + max(held_by_ballot.values(), default=0)
    return held_for_assembly + held_by_ballot.get(ballot_id, 0)


def proxy_grant_refusal(policy: ProxyPolicy, facts: ProxyGrantFacts) -> Refusal | None:
    """Apply the proxy rules (module docstring) and return the first refusal, or None to grant.

    The limit: a holder may carry at most ``max_per_holder`` proxies into any one ballot, counting
    its assembly-wide proxies and those given for that ballot; the new proxy is refused when
    held + 1 > max_per_holder.
    """
    scopes = set(facts.grantor_live_scopes)
    held = proxies_held_in_worst_ballot(facts.holder_held_for_assembly, facts.holder_held_by_ballot, facts.ballot_id)
    checks: tuple[tuple[bool, Refusal], ...] = (
        (facts.grantor_id == facts.holder_id,
         Refusal("proxy_to_self", "a delegation cannot give a proxy to itself", kind="invalid",
                 field="holder_delegation_id")),
        (not facts.same_assembly,
         Refusal("different_assembly", "the holder delegation belongs to another assembly", kind="invalid",
                 field="holder_delegation_id")),
        (not policy.allowed, Refusal("proxies_not_allowed", "the rules of this assembly do not allow proxies")),
        (not facts.grantor_eligible, Refusal("grantor_not_eligible", "the granting delegation holds no vote to give")),
        (not facts.holder_eligible,
         Refusal("holder_not_eligible", "the holder delegation holds no vote, so it cannot vote for another")),
        (bool(scopes) and (None in scopes or facts.ballot_id is None or facts.ballot_id in scopes),
         Refusal("proxy_exists", "the delegation already has a live proxy covering this; revoke it first")),
        (facts.holder_gives_proxy,
         Refusal("proxy_chain", "the holder has given its own vote by proxy: proxies do not chain")),
        (facts.grantor_holds_proxies,
         Refusal("proxy_chain", "the delegation holds proxies of others: proxies do not chain")),
        (held + 1 > policy.max_per_holder,
         Refusal("proxy_limit_reached",
                 f"the holder already holds {held} proxies; this assembly allows {policy.max_per_holder}")),
    )
    return next((refusal for failed, refusal in checks if failed), None)
