"""Helpers shared by the assemblies services: loading with locks, refusals, rule sets, audit payloads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.models import Assembly, AssemblyRuleSet, Delegation
from assembly.assemblies.rules import FieldProblem, Refusal, RuleSet, decode_rule_set, rule_set_problems
from assembly.core.errors import Conflict, InvalidInput, NotFound

__all__ = (
    "constraint_name",
    "load_assembly",
    "load_delegation",
    "load_rules",
    "raise_refusal",
    "validate_rules",
)


async def load_assembly(session: AsyncSession, assembly_id: uuid.UUID, *, lock: bool = False) -> Assembly:
    """The assembly, optionally locked FOR UPDATE; 404 ``assembly_not_found`` when there is none."""
    statement = select(Assembly).where(Assembly.id == assembly_id)
    if lock:
        statement = statement.with_for_update()
    assembly = await session.scalar(statement)
    if assembly is None:
        raise NotFound(f"no assembly with id {assembly_id}", code="assembly_not_found")
    return assembly


async def load_delegation(session: AsyncSession, delegation_id: uuid.UUID, *, lock: bool = False) -> Delegation:
    """The delegation, optionally locked FOR UPDATE; 404 ``delegation_not_found`` when there is none."""
    statement = select(Delegation).where(Delegation.id == delegation_id)
    if lock:
        statement = statement.with_for_update()
    delegation = await session.scalar(statement)
    if delegation is None:
        raise NotFound(f"no delegation with id {delegation_id}", code="delegation_not_found")
    return delegation


async def load_rules(session: AsyncSession, assembly: Assembly) -> RuleSet:
    """The rule set in force for ``assembly``."""
    document = await session.scalar(
        select(AssemblyRuleSet.rules).where(
            AssemblyRuleSet.assembly_id == assembly.id, AssemblyRuleSet.version == assembly.rule_set_version
        )
    )
    return decode_rule_set(document)


def raise_refusal(refusal: Refusal) -> NoReturn:
    """Turn a rule's refusal into the domain error the API renders (409, or 422 naming the field)."""
    if refusal.kind == "invalid":
        raise InvalidInput.for_field(refusal.field or "body", refusal.message, code=refusal.code)
    raise Conflict(refusal.message, code=refusal.code)


def _problems_error(problems: Sequence[FieldProblem], prefix: str) -> InvalidInput:
    errors = [{"field": f"{prefix}{p.field}", "message": p.message} for p in problems]
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return InvalidInput(detail, code="invalid_rules", errors=errors)


def validate_rules(rules: RuleSet, *, prefix: str = "rules.") -> None:
    """Refuse (422 ``invalid_rules``, one error per field) a rule set that fails the cross-field checks."""
    problems = rule_set_problems(rules)
    if problems:
        raise _problems_error(problems, prefix)


def constraint_name(exc: IntegrityError) -> str | None:
    """The name of the constraint a database refusal names, if any (asyncpg exposes it)."""
    current: Any = exc.orig
    while current is not None:
        name = getattr(current, "constraint_name", None)
        if isinstance(name, str):
            return name
        current = current.__cause__
    return None
