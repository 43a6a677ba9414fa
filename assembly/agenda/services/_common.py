"""Helpers shared by the agenda services: locks in one order, refusals, the database's clock.

Every command takes its locks in the same order, so two commands never wait on each other in a
cycle: the assembly row FOR SHARE (its status cannot change under the command, while other agenda
commands proceed), then the agenda row (agenda commands only), then the item rows (FOR NO KEY
UPDATE), and last the live stream's counter (inside ``emit``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NoReturn

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.agenda.models import Agenda, AgendaItem
from assembly.assemblies.models import Assembly, AssemblyRoleKind
from assembly.assemblies.rules import Refusal
from assembly.assemblies.services import require_assembly_role
from assembly.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from assembly.core.security import Principal

__all__ = (
    "database_now",
    "item_assembly_id",
    "lock_agenda",
    "lock_assembly_status",
    "lock_item",
    "raise_refusal",
    "require_chair",
)


def raise_refusal(refusal: Refusal, *, forbidden: bool = False) -> NoReturn:
    """Turn a rule's refusal into the domain error the API renders (403, 409, or 422 naming the field)."""
    if forbidden:
        raise Forbidden(refusal.message, code=refusal.code)
    if refusal.kind == "invalid":
        raise InvalidInput.for_field(refusal.field or "body", refusal.message, code=refusal.code)
    raise Conflict(refusal.message, code=refusal.code)


async def database_now(session: AsyncSession) -> datetime:
    """PostgreSQL's ``now()``: the start of the current transaction, the one clock of the sitting."""
    value = await session.scalar(select(func.now()))
    assert isinstance(value, datetime)
    return value


async def lock_assembly_status(session: AsyncSession, assembly_id: uuid.UUID) -> str:
    """The assembly's status, its row held FOR SHARE until commit; 404 ``assembly_not_found``.

    FOR SHARE keeps the secretariat from closing the assembly under the command, and lets other
    agenda commands of the same assembly take it at the same time.
    """
    status = await session.scalar(select(Assembly.status).where(Assembly.id == assembly_id).with_for_update(read=True))
    if status is None:
        raise NotFound(f"no assembly with id {assembly_id}", code="assembly_not_found")
    return str(status)


async def item_assembly_id(session: AsyncSession, item_id: uuid.UUID) -> uuid.UUID:
    """The assembly of an agenda item (read without a lock); 404 ``agenda_item_not_found``."""
    assembly_id = await session.scalar(select(AgendaItem.assembly_id).where(AgendaItem.id == item_id))
    if assembly_id is None:
        raise NotFound(f"no agenda item with id {item_id}", code="agenda_item_not_found")
    return assembly_id


async def lock_item(session: AsyncSession, item_id: uuid.UUID) -> AgendaItem:
    """The item, locked until commit and read afresh (the identity map may hold an older copy).

    FOR NO KEY UPDATE: it excludes every other command on the item, and lets rows that refer to the
    item (a quorum call, another item's requests) be inserted meanwhile.
    """
    item = await session.scalar(
        select(AgendaItem).where(AgendaItem.id == item_id).with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if item is None:  # pragma: no cover - items are never deleted
        raise NotFound(f"no agenda item with id {item_id}", code="agenda_item_not_found")
    return item


async def lock_agenda(session: AsyncSession, assembly_id: uuid.UUID) -> int:
    """Lock the assembly's agenda row until commit (creating it at version 1) and bump its version.

    Returns the agenda's new version. Every agenda command runs under this lock, so positions and
    the current item change one command at a time.
    """
    statement = (
        pg_insert(Agenda)
        .values(assembly_id=assembly_id, version=1)
        .on_conflict_do_update(index_elements=[Agenda.assembly_id],
                               set_={"version": Agenda.version + 1, "updated_at": func.now()})
        .returning(Agenda.version)
    )
    return int((await session.execute(statement)).scalar_one())


async def require_chair(session: AsyncSession, principal: Principal, assembly_id: uuid.UUID) -> None:
    """403 ``assembly_role_required`` unless the caller chairs the assembly or is the secretariat."""
    await require_assembly_role(session, principal, assembly_id, [AssemblyRoleKind.CHAIR])
