"""The agenda's size limit, checked by the service under the agenda's lock."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, insert, select

from assembly.agenda import services
from assembly.agenda.models import AgendaItem, AgendaItemKind, AgendaItemStatus
from assembly.agenda.rules import MAX_AGENDA_ITEMS
from assembly.core.errors import Conflict

if TYPE_CHECKING:
    from tests.integration.agenda.conftest import Floor


async def test_an_agenda_holds_at_most_500_items(floor: Floor) -> None:
    sitting = await floor.sitting(delegations=0)
    await floor.item(sitting)  # creates the agenda row through the service
    await floor.session.execute(insert(AgendaItem), [
        {"assembly_id": sitting.assembly_id, "position": position, "title": f"Item {position}",
         "kind": AgendaItemKind.INFORMATION, "status": AgendaItemStatus.PENDING, "version": 1}
        for position in range(2, MAX_AGENDA_ITEMS + 1)
    ])
    await floor.session.commit()
    fields = services.ItemFields(title="One too many", kind=AgendaItemKind.DEBATE)
    with pytest.raises(Conflict) as caught:
        await services.create_item(floor.session, sitting.chair, sitting.assembly_id, fields)
    await floor.session.rollback()
    assert caught.value.code == "agenda_full"
    count = await floor.session.scalar(select(func.count()).select_from(AgendaItem))
    assert count == MAX_AGENDA_ITEMS
