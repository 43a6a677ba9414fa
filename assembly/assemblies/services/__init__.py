"""Use cases of the assemblies domain, and the service API later domains build on.

A package rather than one ``services.py``: assemblies, delegations, proxies and voting rights are
four groups of use cases, together well past the ~400-line mark (CONVENTIONS.md, Layout). Import
from ``assembly.assemblies.services``.

Services run inside the caller's transaction and never commit; they lock what they change, apply
the pure rules of :mod:`assembly.assemblies.rules`, record an audit event for every change, and
raise :mod:`assembly.core.errors` with stable codes.

Service API for the agenda, ballots and audit domains
-----------------------------------------------------

``compute_voting_rights(session, assembly_id, ballot_id=None) -> list[VotingRight]``
    One right per delegation of the assembly: ``delegation_id``, ``holder_delegation_id`` (who
    casts it), ``kind`` (``own`` or ``proxy``), ``proxy_id``, ``weight``, ``derivation``,
    ``eligible`` and ``reasons``. Live proxies for the whole assembly, and for ``ballot_id`` when
    given, move a right to its holder when both delegations are eligible. Ballots snapshot the
    eligible rights when they open.

``assess_assembly(session, assembly_id) -> AssemblyAssessment``
    The rule set in force and, per delegation, its member, :class:`~assembly.assemblies.rules.Weight`
    (weight, derivation, inputs) and :class:`~assembly.assemblies.rules.Eligibility` (eligible,
    reasons); the delegation rows carry ``checked_in`` for quorum calls.

``require_assembly_role(session, principal, assembly_id, roles, *, allow_admin=True) -> None``
    403 ``assembly_role_required`` unless the caller holds one of ``roles`` (chair, auditor) in
    that assembly, or is the secretariat (when ``allow_admin``). One query.

``delegation_of_user(session, assembly_id, user_id) -> UserDelegation | None``
    The delegation a user sits in at an assembly, their role and whether they are its designated
    voter (who may cast: :func:`assembly.assemblies.rules.casting_problem`).

``assert_proxy_revocable(session, proxy) -> None``
    The hook where ballots refuse revoking a proxy whose ballot has opened.
"""

from __future__ import annotations

from assembly.assemblies.services.assemblies import (
    AssemblyDetails,
    MyAssemblyEntry,
    assign_role,
    close_assembly,
    create_assembly,
    get_assembly,
    list_assemblies,
    list_rule_versions,
    my_assemblies,
    open_assembly,
    remove_role,
    replace_rules,
    update_assembly,
)
from assembly.assemblies.services.delegations import (
    DelegateEntry,
    DelegationView,
    accept_credentials,
    assembly_weights,
    check_in,
    check_out,
    get_delegation,
    list_delegations,
    register_delegation,
    reject_credentials,
    replace_delegates,
)
from assembly.assemblies.services.proxies import assert_proxy_revocable, grant_proxy, revoke_proxy
from assembly.assemblies.services.voting_rights import (
    AssemblyAssessment,
    DelegationAssessment,
    UserDelegation,
    VotingRight,
    assess_assembly,
    compute_voting_rights,
    delegation_of_user,
    require_assembly_role,
)

__all__ = (
    "AssemblyAssessment",
    "AssemblyDetails",
    "DelegateEntry",
    "DelegationAssessment",
    "DelegationView",
    "MyAssemblyEntry",
    "UserDelegation",
    "VotingRight",
    "accept_credentials",
    "assembly_weights",
    "assert_proxy_revocable",
    "assess_assembly",
    "assign_role",
    "check_in",
    "check_out",
    "close_assembly",
    "compute_voting_rights",
    "create_assembly",
    "delegation_of_user",
    "get_assembly",
    "get_delegation",
    "grant_proxy",
    "list_assemblies",
    "list_delegations",
    "list_rule_versions",
    "my_assemblies",
    "open_assembly",
    "register_delegation",
    "reject_credentials",
    "remove_role",
    "replace_delegates",
    "replace_rules",
    "require_assembly_role",
    "revoke_proxy",
    "update_assembly",
)
