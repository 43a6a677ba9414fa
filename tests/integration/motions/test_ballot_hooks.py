"""The service API the ballots domain calls: on_ballot_opened / on_ballot_closed for amendments, parts and motions,
and consolidate(), against real PostgreSQL."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from assembly.audit.models import AuditEvent
from assembly.core.errors import Conflict, InvalidInput, NotFound
from assembly.motions import services
from assembly.motions.models import AmendmentStatus, MotionStatus, Resolution
from assembly.motions.rules import OperationInput, canonical_text, sha256_hex

if TYPE_CHECKING:
    from tests.integration.motions.conftest import Hall

NEW_P2 = "Calls on local governments to publish and audit their climate budgets;"
A2_TEXT = "Calls on all local and regional governments to publish and audit their climate budgets;"


async def test_amendments_then_the_motion_through_ballots(hall: Hall) -> None:
    session = hall.session
    mid = await hall.debated()
    a1 = await hall.table(mid, OperationInput("replace", "p2", text=NEW_P2),
                          OperationInput("insert_after", "p3", text="Requests a report in 2028;"))
    a2 = await hall.table(mid, OperationInput("replace", operation_id="o1", text=A2_TEXT), parent=a1, by=1)
    await hall.order(mid, a2, a1)
    b1, b2, b3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    with pytest.raises(Conflict) as not_next:
        await services.on_ballot_opened(session, subject_kind="amendment", subject_id=a1, ballot_id=b1)
    assert not_next.value.code == "not_votable"
    await session.rollback()

    digest = await services.on_ballot_opened(session, subject_kind="amendment", subject_id=a2, ballot_id=b1)
    assert digest == sha256_hex(f"replace o1\n{A2_TEXT}")
    await session.commit()
    # A retry of the same ballot gets the same answer; another ballot on it does not open.
    assert await services.on_ballot_opened(session, subject_kind="amendment", subject_id=a2, ballot_id=b1) == digest
    with pytest.raises(Conflict) as busy:
        await services.on_ballot_opened(session, subject_kind="amendment", subject_id=a2, ballot_id=b2)
    assert busy.value.code == "not_votable"
    await session.rollback()
    with pytest.raises(Conflict) as mismatch:
        await services.on_ballot_closed(session, subject_kind="amendment", subject_id=a2, ballot_id=b2, adopted=True)
    assert mismatch.value.code == "ballot_mismatch"
    await session.rollback()

    await services.on_ballot_closed(session, subject_kind="amendment", subject_id=a2, ballot_id=b1, adopted=True)
    await session.commit()
    # A1 is voted as amended by A2.
    a1_digest = await services.on_ballot_opened(session, subject_kind="amendment", subject_id=a1, ballot_id=b2)
    assert a1_digest == sha256_hex(f"replace p2\n{A2_TEXT}\n\ninsert_after p3 operative\nRequests a report in 2028;")
    await services.on_ballot_closed(session, subject_kind="amendment", subject_id=a1, ballot_id=b2, adopted=True)
    await session.commit()

    with pytest.raises(Conflict) as unconsolidated:
        await services.on_ballot_opened(session, subject_kind="motion", subject_id=mid, ballot_id=b3)
    assert unconsolidated.value.code == "not_votable"
    assert "consolidate" in unconsolidated.value.detail
    await session.rollback()

    version = await services.consolidate(session, mid)
    await session.commit()
    assert version.number == 2
    assert version.created_by_user_id is None
    texts = [p["text"] for p in version.paragraphs]
    assert texts[1] == A2_TEXT
    assert texts[3] == "Requests a report in 2028;"
    motion_digest = await services.on_ballot_opened(session, subject_kind="motion", subject_id=mid, ballot_id=b3)
    assert motion_digest == version.text_sha256 == sha256_hex(canonical_text(texts))
    await session.commit()
    await services.on_ballot_closed(session, subject_kind="motion", subject_id=mid, ballot_id=b3, adopted=True)
    await session.commit()

    view = await hall.motion(mid)
    assert (view.motion.status, view.motion.resolution, view.motion.ballot_id) == (
        MotionStatus.ADOPTED, Resolution.BALLOT, b3)
    amendments = {a.amendment.number: a.amendment for a in view.amendments}
    assert (amendments[1].resolution, amendments[1].ballot_id, amendments[1].applied_in_version) == (
        Resolution.BALLOT, b2, 2)
    opened = (await session.scalars(select(AuditEvent.payload).where(AuditEvent.kind == "motion.voting_opened"))).all()
    assert opened == [{"from_status": "under_debate", "ballot_id": str(b3), "version": 2,
                       "text_sha256": version.text_sha256}]


async def test_a_ballot_adopting_an_amendment_lapses_the_conflicting_one(hall: Hall) -> None:
    session = hall.session
    mid = await hall.debated()
    a1 = await hall.table(mid, OperationInput("replace", "p2", text=NEW_P2))
    a2 = await hall.table(mid, OperationInput("delete", "p2"), by=1)
    a3 = await hall.table(mid, OperationInput("delete", "p4"), by=0)
    await hall.order(mid, a1, a2, a3)
    ballot = uuid.uuid4()
    await services.on_ballot_opened(session, subject_kind="amendment", subject_id=a1, ballot_id=ballot)
    await services.on_ballot_closed(session, subject_kind="amendment", subject_id=a1, ballot_id=ballot, adopted=True)
    await session.commit()
    amendments = await hall.amendments(mid)
    assert amendments[2].status == AmendmentStatus.LAPSED
    assert amendments[2].status_reason == "moot: amendment A1 was adopted, which also changes paragraph p2"
    assert amendments[3].status == AmendmentStatus.ADMITTED
    # The lapsed one is skipped: A3 is next.
    await services.on_ballot_opened(session, subject_kind="amendment", subject_id=a3, ballot_id=uuid.uuid4())
    await session.rollback()


async def test_division_through_ballots_the_motion_falls_when_every_operative_part_does(hall: Hall) -> None:
    session = hall.session
    mid = await hall.debated()
    state = await services.divide_motion(session, hall.chair, mid, parts=[["p2", "p3"], ["p4"]], reason=None)
    await session.commit()
    first, second = state.parts
    ballot = uuid.uuid4()
    digest = await services.on_ballot_opened(session, subject_kind="motion_part", subject_id=first.id,
                                             ballot_id=ballot)
    assert digest == sha256_hex("Calls on local governments to publish their climate budgets;\n\n"
                                "Invites the secretariat to report every year;")
    await services.on_ballot_closed(session, subject_kind="motion_part", subject_id=first.id, ballot_id=ballot,
                                    adopted=False)
    other = uuid.uuid4()
    await services.on_ballot_opened(session, subject_kind="motion_part", subject_id=second.id, ballot_id=other)
    await services.on_ballot_closed(session, subject_kind="motion_part", subject_id=second.id, ballot_id=other,
                                    adopted=False)
    await session.commit()
    view = await hall.motion(mid)
    assert (view.motion.status, view.motion.resolution) == (MotionStatus.REJECTED, Resolution.DIVISION)


async def test_parts_adopted_are_voted_as_a_whole(hall: Hall) -> None:
    session = hall.session
    mid = await hall.debated()
    state = await services.divide_motion(session, hall.chair, mid, parts=[["p3"], ["p4"]], reason=None)
    await session.commit()
    for part, adopted in zip(state.parts, (True, False), strict=True):
        ballot = uuid.uuid4()
        await services.on_ballot_opened(session, subject_kind="motion_part", subject_id=part.id, ballot_id=ballot)
        await services.on_ballot_closed(session, subject_kind="motion_part", subject_id=part.id, ballot_id=ballot,
                                        adopted=adopted)
    await session.commit()
    view = await hall.motion(mid)
    assert view.motion.status == MotionStatus.UNDER_DEBATE
    assert [p["id"] for p in view.version.paragraphs] == ["p1", "p2", "p3"]
    digest = await services.on_ballot_opened(session, subject_kind="motion", subject_id=mid, ballot_id=uuid.uuid4())
    assert digest == view.version.text_sha256


async def test_unknown_subjects(hall: Hall) -> None:
    session = hall.session
    with pytest.raises(NotFound) as motion:
        await services.on_ballot_opened(session, subject_kind="motion", subject_id=uuid.uuid4(), ballot_id=uuid.uuid4())
    assert motion.value.code == "motion_not_found"
    with pytest.raises(NotFound) as amendment:
        await services.on_ballot_closed(session, subject_kind="amendment", subject_id=uuid.uuid4(),
                                        ballot_id=uuid.uuid4(), adopted=True)
    assert amendment.value.code == "amendment_not_found"
    with pytest.raises(NotFound) as part:
        await services.on_ballot_opened(session, subject_kind="motion_part", subject_id=uuid.uuid4(),
                                        ballot_id=uuid.uuid4())
    assert part.value.code == "part_not_found"
    with pytest.raises(InvalidInput):
        await services.on_ballot_opened(session, subject_kind="election", subject_id=uuid.uuid4(),
                                        ballot_id=uuid.uuid4())


async def test_a_motion_not_under_debate_is_not_votable(hall: Hall) -> None:
    session = hall.session
    mid = await hall.draft()
    with pytest.raises(Conflict) as refused:
        await services.on_ballot_opened(session, subject_kind="motion", subject_id=mid, ballot_id=uuid.uuid4())
    assert refused.value.code == "not_votable"
    with pytest.raises(Conflict) as mismatch:
        await services.on_ballot_closed(session, subject_kind="motion", subject_id=mid, ballot_id=uuid.uuid4(),
                                        adopted=True)
    assert mismatch.value.code == "ballot_mismatch"
