"""HTTP routes of assemblies, delegations, proxies and "my assemblies".

Handlers parse and authorize (guards for the admin role; data-dependent rights are checked in the
services), call one service method and shape the response. Who may call what is in docs/assemblies.md.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.security.jwt import Token
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies import services
from assembly.assemblies.models import AssemblyRole, AssemblyRoleKind, AssemblyStatus, CredentialsStatus, Proxy
from assembly.assemblies.rules import Reason, scheme_name
from assembly.assemblies.schemas import (
    AssemblyCreate,
    AssemblyRead,
    AssemblyRoleAssign,
    AssemblyRoleRead,
    AssemblySummary,
    AssemblyUpdate,
    AssemblyWeights,
    CredentialsReject,
    DelegateRead,
    DelegatesReplace,
    DelegationDetail,
    DelegationRegister,
    DelegationSummary,
    DelegationWeight,
    EligibilityRead,
    MyAssembly,
    MyAssemblyList,
    MyDelegation,
    ProxyGrant,
    ProxyRead,
    ReasonRead,
    RuleSetVersionRead,
    RulesReplace,
    WeightRead,
)
from assembly.core.guards import current_principal, requires_admin
from assembly.core.openapi import DEFAULT_PROBLEM_DESCRIPTIONS, problem_responses
from assembly.core.security import Principal

__all__ = ("AssemblyController", "DelegationController", "MyAssembliesController", "ProxyController")

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="Page size (1 to 200)")]
WeightsLimit = Annotated[int, QueryParameter(ge=1, le=1000, description="Rows per page (1 to 1000)")]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000, description="Items to skip")]
CallerRequest = Request[Principal, Token, Any]

_PROBLEM_DESCRIPTIONS = {
    **DEFAULT_PROBLEM_DESCRIPTIONS,
    403: "The caller has no right to do this",
    404: "No such assembly, delegation or proxy",
}
_problems = partial(problem_responses, _PROBLEM_DESCRIPTIONS)


# -- Shaping responses ------------------------------------------------------------------------------


def _assembly_read(details: services.AssemblyDetails) -> AssemblyRead:
    a = details.assembly
    return AssemblyRead(
        id=a.id, name=a.name, body_kind=a.body_kind, starts_on=a.starts_on, ends_on=a.ends_on, venue=a.venue,
        status=a.status, rule_set_version=a.rule_set_version, rules=details.rules,
        roles=[_role_read(role) for role in details.roles],
        opened_at=a.opened_at, closed_at=a.closed_at, created_at=a.created_at, updated_at=a.updated_at,
    )


def _role_read(role: AssemblyRole) -> AssemblyRoleRead:
    return AssemblyRoleRead(user_id=role.user_id, role=role.role)


def _reasons(reasons: tuple[Reason, ...]) -> list[ReasonRead]:
    return [ReasonRead(code=r.code, message=r.message) for r in reasons]


def _proxy_read(proxy: Proxy) -> ProxyRead:
    return ProxyRead(
        id=proxy.id, assembly_id=proxy.assembly_id, grantor_delegation_id=proxy.grantor_delegation_id,
        holder_delegation_id=proxy.holder_delegation_id, ballot_id=proxy.ballot_id,
        created_at=proxy.created_at, revoked_at=proxy.revoked_at,
    )


def _summary(item: services.DelegationAssessment) -> DelegationSummary:
    d, m = item.delegation, item.member
    return DelegationSummary(
        id=d.id, assembly_id=d.assembly_id, member_id=m.id, member_name=m.name, member_kind=m.kind,
        credentials_status=d.credentials_status, checked_in=d.checked_in, weight=item.weight.weight,
        eligible=item.eligibility.eligible, reasons=_reasons(item.eligibility.reasons),
    )


def _detail(view: services.DelegationView) -> DelegationDetail:
    item = view.assessment
    d, m = item.delegation, item.member
    return DelegationDetail(
        id=d.id, assembly_id=d.assembly_id, member_id=m.id, member_name=m.name, member_kind=m.kind,
        credentials_status=d.credentials_status, credentials_reason=d.credentials_reason,
        credentials_decided_by_user_id=d.credentials_decided_by_user_id,
        credentials_decided_at=d.credentials_decided_at,
        delegates=[DelegateRead(user_id=p.user_id, full_name=p.full_name, role=p.role) for p in view.delegates],
        designated_voter_user_id=d.designated_voter_user_id, checked_in=d.checked_in,
        rule_set_version=view.rule_set_version,
        weight=WeightRead(weight=item.weight.weight, derivation=item.weight.derivation, inputs=item.weight.inputs),
        eligibility=EligibilityRead(eligible=item.eligibility.eligible, reasons=_reasons(item.eligibility.reasons)),
        proxies_held=[_proxy_read(p) for p in view.proxies_held],
        proxies_given=[_proxy_read(p) for p in view.proxies_given],
    )


# -- Assemblies -------------------------------------------------------------------------------------


class AssemblyController(Controller):
    """Assemblies, their rules and roles, their delegations and weights."""

    path = "/api/assemblies"
    tags = ["assemblies"]  # noqa: RUF012  (Litestar reads a plain class attribute)

    @post("/", operation_id="CreateAssembly", summary="Create an assembly with its rules",
          guards=[requires_admin], responses=_problems(401, 403, 422))
    async def create(self, data: JSONBody[AssemblyCreate], request: CallerRequest,
                     db_session: NamedDependency[AsyncSession]) -> AssemblyRead:
        """Secretariat: create a planned assembly; without ``rules`` it gets the UCLG defaults."""
        details = await services.create_assembly(
            db_session, current_principal(request), name=data.name, body_kind=data.body_kind,
            starts_on=data.starts_on, ends_on=data.ends_on, venue=data.venue, rules=data.rules,
        )
        return _assembly_read(details)

    @get("/", operation_id="ListAssemblies", summary="List assemblies, latest first", responses=_problems(401))
    async def list_all(self, db_session: NamedDependency[AsyncSession], limit: Limit = 50, offset: Offset = 0,
                       status: FromQuery[AssemblyStatus | None] = None) -> OffsetPagination[AssemblySummary]:
        """Any logged-in user: a page of assemblies, optionally of one status."""
        items, total = await services.list_assemblies(db_session, status=status, limit=limit, offset=offset)
        return OffsetPagination(
            items=[AssemblySummary(id=a.id, name=a.name, body_kind=a.body_kind, starts_on=a.starts_on,
                                   ends_on=a.ends_on, venue=a.venue, status=a.status,
                                   rule_set_version=a.rule_set_version) for a in items],
            limit=limit, offset=offset, total=total,
        )

    @get("/{assembly_id:uuid}", operation_id="GetAssembly", summary="Read an assembly with its rules in force",
         responses=_problems(401, 404))
    async def get_one(self, assembly_id: FromPath[uuid.UUID],
                      db_session: NamedDependency[AsyncSession]) -> AssemblyRead:
        """Any logged-in user: the assembly, its rules in force and its roles."""
        return _assembly_read(await services.get_assembly(db_session, assembly_id))

    @put("/{assembly_id:uuid}", operation_id="UpdateAssembly", summary="Change a planned assembly's details",
         guards=[requires_admin], responses=_problems(401, 403, 404, 409, 422))
    async def update(self, assembly_id: FromPath[uuid.UUID], data: JSONBody[AssemblyUpdate], request: CallerRequest,
                     db_session: NamedDependency[AsyncSession]) -> AssemblyRead:
        """Secretariat: replace name, dates and venue while the assembly is planned."""
        details = await services.update_assembly(
            db_session, current_principal(request), assembly_id, name=data.name, starts_on=data.starts_on,
            ends_on=data.ends_on, venue=data.venue,
        )
        return _assembly_read(details)

    @post("/{assembly_id:uuid}/open", operation_id="OpenAssembly", summary="Open a planned assembly",
          status_code=200, guards=[requires_admin], responses=_problems(401, 403, 404, 409))
    async def open_assembly(self, assembly_id: FromPath[uuid.UUID], request: CallerRequest,
                            db_session: NamedDependency[AsyncSession]) -> AssemblyRead:
        """Secretariat: planned -> open."""
        return _assembly_read(await services.open_assembly(db_session, current_principal(request), assembly_id))

    @post("/{assembly_id:uuid}/close", operation_id="CloseAssembly", summary="Close an open assembly",
          status_code=200, guards=[requires_admin], responses=_problems(401, 403, 404, 409))
    async def close_assembly(self, assembly_id: FromPath[uuid.UUID], request: CallerRequest,
                             db_session: NamedDependency[AsyncSession]) -> AssemblyRead:
        """Secretariat: open -> closed; the assembly's records stop changing."""
        return _assembly_read(await services.close_assembly(db_session, current_principal(request), assembly_id))

    @put("/{assembly_id:uuid}/rules", operation_id="ReplaceAssemblyRules",
         summary="Put a new version of the rules in force", guards=[requires_admin],
         responses=_problems(401, 403, 404, 409, 422))
    async def replace_rules(self, assembly_id: FromPath[uuid.UUID], data: JSONBody[RulesReplace],
                            request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> AssemblyRead:
        """Secretariat: append a rule-set version (a reason is required once the assembly is open)."""
        details = await services.replace_rules(db_session, current_principal(request), assembly_id,
                                               rules=data.rules, reason=data.reason)
        return _assembly_read(details)

    @get("/{assembly_id:uuid}/rules/versions", operation_id="ListAssemblyRuleVersions",
         summary="List every version of an assembly's rules", responses=_problems(401, 404))
    async def rule_versions(self, assembly_id: FromPath[uuid.UUID],
                            db_session: NamedDependency[AsyncSession]) -> list[RuleSetVersionRead]:
        """Any logged-in user: the rule-set versions, oldest first, with who made each and why."""
        assembly, versions = await services.list_rule_versions(db_session, assembly_id)
        return [
            RuleSetVersionRead(version=row.version, rules=rules, reason=row.reason,
                               created_by_user_id=row.created_by_user_id, created_at=row.created_at,
                               in_force=row.version == assembly.rule_set_version)
            for row, rules in versions
        ]

    @post("/{assembly_id:uuid}/roles", operation_id="AssignAssemblyRole",
          summary="Give a user the chair or auditor role in an assembly", guards=[requires_admin],
          responses=_problems(401, 403, 404, 409, 422))
    async def assign_role(self, assembly_id: FromPath[uuid.UUID], data: JSONBody[AssemblyRoleAssign],
                          request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> AssemblyRoleRead:
        """Secretariat: assign a per-assembly role."""
        row = await services.assign_role(db_session, current_principal(request), assembly_id,
                                         user_id=data.user_id, role=data.role)
        return _role_read(row)

    @delete("/{assembly_id:uuid}/roles/{user_id:uuid}/{role:str}", operation_id="RemoveAssemblyRole",
            summary="Take a role in an assembly away from a user", guards=[requires_admin],
            responses=_problems(401, 403, 404))
    async def remove_role(self, assembly_id: FromPath[uuid.UUID], user_id: FromPath[uuid.UUID], *,
                          role: FromPath[AssemblyRoleKind], request: CallerRequest,
                          db_session: NamedDependency[AsyncSession]) -> None:
        """Secretariat: remove a per-assembly role."""
        await services.remove_role(db_session, current_principal(request), assembly_id, user_id=user_id, role=role)

    @post("/{assembly_id:uuid}/delegations", operation_id="RegisterDelegation",
          summary="Register a member's delegation", guards=[requires_admin],
          responses=_problems(401, 403, 404, 409, 422))
    async def register_delegation(self, assembly_id: FromPath[uuid.UUID], data: JSONBody[DelegationRegister],
                                  request: CallerRequest,
                                  db_session: NamedDependency[AsyncSession]) -> DelegationDetail:
        """Secretariat: register a member's delegation; its credentials start as submitted."""
        view = await services.register_delegation(db_session, current_principal(request), assembly_id,
                                                  member_id=data.member_id)
        return _detail(view)

    @get("/{assembly_id:uuid}/delegations", operation_id="ListDelegations",
         summary="List an assembly's delegations with weight and eligibility", responses=_problems(401, 404))
    async def list_delegations(self, assembly_id: FromPath[uuid.UUID], db_session: NamedDependency[AsyncSession], *,
                               credentials_status: FromQuery[CredentialsStatus | None] = None,
                               eligible: FromQuery[bool | None] = None,
                               limit: Limit = 50, offset: Offset = 0) -> OffsetPagination[DelegationSummary]:
        """Any logged-in user: a page of delegations in member-name order, filtered by credentials or eligibility."""
        items, total = await services.list_delegations(db_session, assembly_id, credentials_status=credentials_status,
                                                       eligible=eligible, limit=limit, offset=offset)
        return OffsetPagination(items=[_summary(item) for item in items], limit=limit, offset=offset, total=total)

    @get("/{assembly_id:uuid}/weights", operation_id="GetAssemblyWeights",
         summary="Every delegation's weight, derivation and eligibility", responses=_problems(401, 404))
    async def weights(self, assembly_id: FromPath[uuid.UUID], db_session: NamedDependency[AsyncSession],
                      limit: WeightsLimit = 1000, offset: Offset = 0) -> AssemblyWeights:
        """Any logged-in user: the weights table under the rules in force, in member-name order."""
        assessment, page = await services.assembly_weights(db_session, assembly_id, limit=limit, offset=offset)
        return AssemblyWeights(
            assembly_id=assessment.assembly.id,
            rule_set_version=assessment.rule_set_version,
            scheme=scheme_name(assessment.rules.weighting),
            total=len(assessment.delegations),
            eligible_delegations=assessment.eligible_count,
            total_eligible_weight=assessment.total_eligible_weight,
            weights_sha256=assessment.weights_sha256,
            limit=limit,
            offset=offset,
            delegations=[
                DelegationWeight(
                    delegation_id=item.delegation.id, member_id=item.member.id, member_name=item.member.name,
                    credentials_status=item.delegation.credentials_status, checked_in=item.delegation.checked_in,
                    weight=item.weight.weight, derivation=item.weight.derivation, inputs=item.weight.inputs,
                    eligible=item.eligibility.eligible, reasons=_reasons(item.eligibility.reasons),
                )
                for item in page
            ],
        )


# -- Delegations ------------------------------------------------------------------------------------


class DelegationController(Controller):
    """One delegation: credentials, delegates, attendance, proxies."""

    path = "/api/delegations"
    tags = ["delegations"]  # noqa: RUF012

    @get("/{delegation_id:uuid}", operation_id="GetDelegation",
         summary="Read a delegation with weight, eligibility and proxies", responses=_problems(401, 404))
    async def get_one(self, delegation_id: FromPath[uuid.UUID],
                      db_session: NamedDependency[AsyncSession]) -> DelegationDetail:
        """Any logged-in user: the delegation, its weight with derivation, eligibility with reasons, proxies."""
        return _detail(await services.get_delegation(db_session, delegation_id))

    @post("/{delegation_id:uuid}/credentials/accept", operation_id="AcceptCredentials",
          summary="Accept a delegation's credentials", status_code=200, guards=[requires_admin],
          responses=_problems(401, 403, 404, 409))
    async def accept(self, delegation_id: FromPath[uuid.UUID], request: CallerRequest,
                     db_session: NamedDependency[AsyncSession]) -> DelegationDetail:
        """Secretariat (credentials process): accept."""
        return _detail(await services.accept_credentials(db_session, current_principal(request), delegation_id))

    @post("/{delegation_id:uuid}/credentials/reject", operation_id="RejectCredentials",
          summary="Reject a delegation's credentials with a reason", status_code=200, guards=[requires_admin],
          responses=_problems(401, 403, 404, 409, 422))
    async def reject(self, delegation_id: FromPath[uuid.UUID], data: JSONBody[CredentialsReject],
                     request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> DelegationDetail:
        """Secretariat (credentials process): reject, saying why."""
        view = await services.reject_credentials(db_session, current_principal(request), delegation_id,
                                                 reason=data.reason)
        return _detail(view)

    @put("/{delegation_id:uuid}/delegates", operation_id="ReplaceDelegates",
         summary="Set a delegation's delegates and designated voter", responses=_problems(401, 403, 404, 409, 422))
    async def replace_delegates(self, delegation_id: FromPath[uuid.UUID], data: JSONBody[DelegatesReplace],
                                request: CallerRequest,
                                db_session: NamedDependency[AsyncSession]) -> DelegationDetail:
        """Secretariat or the delegation's head: replace the people and the designated voter."""
        view = await services.replace_delegates(
            db_session, current_principal(request), delegation_id,
            delegates=[(entry.user_id, entry.role) for entry in data.delegates],
            designated_voter_user_id=data.designated_voter_user_id,
        )
        return _detail(view)

    @post("/{delegation_id:uuid}/check-in", operation_id="CheckInDelegation",
          summary="Record a delegation as present", status_code=200, responses=_problems(401, 403, 404, 409))
    async def check_in(self, delegation_id: FromPath[uuid.UUID], request: CallerRequest,
                       db_session: NamedDependency[AsyncSession]) -> DelegationDetail:
        """Secretariat or the assembly's chair: check the delegation in."""
        return _detail(await services.check_in(db_session, current_principal(request), delegation_id))

    @post("/{delegation_id:uuid}/check-out", operation_id="CheckOutDelegation",
          summary="Record a delegation as gone", status_code=200, responses=_problems(401, 403, 404, 409))
    async def check_out(self, delegation_id: FromPath[uuid.UUID], request: CallerRequest,
                        db_session: NamedDependency[AsyncSession]) -> DelegationDetail:
        """Secretariat or the assembly's chair: check the delegation out."""
        return _detail(await services.check_out(db_session, current_principal(request), delegation_id))

    @post("/{delegation_id:uuid}/proxies", operation_id="GrantProxy",
          summary="Authorize another delegation to vote for this one", responses=_problems(401, 403, 404, 409, 422))
    async def grant_proxy(self, delegation_id: FromPath[uuid.UUID], data: JSONBody[ProxyGrant], request: CallerRequest,
                          db_session: NamedDependency[AsyncSession]) -> ProxyRead:
        """The grantor's head or designated voter, or the secretariat: give a proxy."""
        proxy = await services.grant_proxy(db_session, current_principal(request), delegation_id,
                                           holder_delegation_id=data.holder_delegation_id, ballot_id=data.ballot_id)
        return _proxy_read(proxy)


# -- Proxies and "me" -------------------------------------------------------------------------------


class ProxyController(Controller):
    """Proxies by id."""

    path = "/api/proxies"
    tags = ["proxies"]  # noqa: RUF012

    @post("/{proxy_id:uuid}/revoke", operation_id="RevokeProxy", summary="Revoke a proxy", status_code=200,
          responses=_problems(401, 403, 404, 409))
    async def revoke(self, proxy_id: FromPath[uuid.UUID], request: CallerRequest,
                     db_session: NamedDependency[AsyncSession]) -> ProxyRead:
        """The grantor's head or designated voter, or the secretariat: revoke a live proxy."""
        return _proxy_read(await services.revoke_proxy(db_session, current_principal(request), proxy_id))


class MyAssembliesController(Controller):
    """The caller's own assemblies."""

    path = "/api/me/assemblies"
    tags = ["assemblies"]  # noqa: RUF012

    @get("/", operation_id="ListMyAssemblies", summary="My roles and delegations across assemblies",
         responses=_problems(401))
    async def mine(self, request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> MyAssemblyList:
        """Any logged-in user: where they are chair or auditor, and the delegation they sit in."""
        principal = current_principal(request)
        entries = await services.my_assemblies(db_session, principal)
        return MyAssemblyList(assemblies=[
            MyAssembly(
                assembly_id=e.assembly.id, name=e.assembly.name, status=e.assembly.status,
                starts_on=e.assembly.starts_on, ends_on=e.assembly.ends_on, roles=e.roles,
                delegation=MyDelegation(
                    delegation_id=e.delegation.id, member_id=e.member.id, member_name=e.member.name,
                    role=e.delegate_role,
                    is_designated_voter=e.delegation.designated_voter_user_id == principal.user_id,
                ) if e.delegation is not None and e.member is not None and e.delegate_role is not None else None,
            )
            for e in entries
        ])
