"""A ballot's life through the services: draft, open (the frozen electorate), close (the stored tally), re-vote."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import TYPE_CHECKING

from assembly.assemblies import services as assemblies
from assembly.ballots import services as ballots
from assembly.ballots.digests import electorate_digest, question_digest
from assembly.ballots.models import BallotSubjectKind

if TYPE_CHECKING:
    from tests.integration.ballots.conftest import BallotWorld


async def test_open_freezes_the_settings_and_the_electorate(world: BallotWorld) -> None:
    assembly_id = await world.assembly({"proxies": {"allowed": True, "max_per_holder": 2},
                                        "default_majority": {"kind": "two_thirds_of_votes_cast"},
                                        "vote_change_allowed": True})
    a, b, c = await world.seats(assembly_id, 3)
    arrears = await world.seat(assembly_id, fees_paid_through=2020)
    await world.proxy(a, b)
    ballot_id = await world.ballot(assembly_id, question="Shall the agenda be adopted?", open_it=False)

    draft = await world.run(lambda s: ballots.get_ballot(s, ballot_id))
    assert (draft.ballot.status, draft.ballot.majority_rule, draft.ballot.quorum_rule) == ("draft", None, None)

    view = await world.open(ballot_id)
    ballot = view.ballot
    assert ballot.status == "open"
    assert ballot.opened_at is not None
    assert ballot.majority_rule == {"kind": "two_thirds_of_votes_cast"}
    assert ballot.quorum_rule == {"to_debate": {"kind": "fraction_of_members", "numerator": 1, "denominator": 3},
                                  "to_decide": {"kind": "majority_of_members"}}
    assert (ballot.vote_change_allowed, ballot.split_votes_allowed) == (True, False)
    assert ballot.substitute_only_when_delegate_absent is True
    assert ballot.options == ["yes", "no", "abstain"]
    assert ballot.text_sha256 == question_digest("Shall the agenda be adopted?", ["yes", "no", "abstain"])
    assert ballot.text_sha256 == hashlib.sha256(
        b'{"options":["yes","no","abstain"],"question":"Shall the agenda be adopted?"}').hexdigest()

    rights = {row.delegation_id: row for row in await world.rows(
        "SELECT delegation_id, holder_delegation_id, kind, proxy_id, weight, eligible, reasons FROM ballot_right "
        "WHERE ballot_id = :b", b=ballot_id)}
    assert set(rights) == {a.delegation_id, b.delegation_id, c.delegation_id, arrears.delegation_id}
    assert (rights[a.delegation_id].holder_delegation_id, rights[a.delegation_id].kind) == (b.delegation_id, "proxy")
    assert (rights[b.delegation_id].holder_delegation_id, rights[b.delegation_id].kind) == (b.delegation_id, "own")
    in_arrears = rights[arrears.delegation_id]
    assert (in_arrears.eligible, in_arrears.reasons) == (False, ["fees_in_arrears"])
    assert (ballot.electorate_rights, ballot.electorate_weight) == (3, 3)
    assert ballot.electorate_sha256 == electorate_digest(
        (r.delegation_id, r.holder_delegation_id, r.kind, r.weight) for r in rights.values() if r.eligible)

    opened = (await world.events("ballot.opened", ballot_id))[0]
    assert opened["text_sha256"] == ballot.text_sha256
    assert opened["electorate_sha256"] == ballot.electorate_sha256
    assert opened["majority_kind"] == "two_thirds_of_votes_cast"
    electorate = await world.events("ballot.electorate", ballot_id)
    assert [(e["part"], e["parts"]) for e in electorate] == [(1, 1)]
    assert {r["delegation_id"] for r in electorate[0]["rights"]} == {str(d) for d in rights}
    live = await world.rows("SELECT type, subject_id FROM live_event WHERE subject_id = :b ORDER BY seq", b=ballot_id)
    assert [row.type for row in live] == ["ballot.created", "ballot.opened"]


async def test_later_changes_do_not_touch_an_open_ballot(world: BallotWorld) -> None:
    assembly_id = await world.assembly({"proxies": {"allowed": True, "max_per_holder": 2}})
    a, b, c = await world.seats(assembly_id, 3)
    proxy_id = await world.proxy(a, b)
    ballot_id = await world.ballot(assembly_id)
    before = await world.rows("SELECT * FROM ballot_right WHERE ballot_id = :b ORDER BY id", b=ballot_id)

    await world.run(lambda s: assemblies.revoke_proxy(s, world.admin, proxy_id))
    await world.run(lambda s: assemblies.reject_credentials(s, world.admin, c.delegation_id, reason="forged"))
    await world.run(lambda s: assemblies.check_out(s, world.admin, b.delegation_id))

    assert await world.rows("SELECT * FROM ballot_right WHERE ballot_id = :b ORDER BY id", b=ballot_id) == before
    # The rejected delegation still votes in this ballot: its right was frozen when it opened.
    result = await world.cast(c, ballot_id, "no")
    assert [v.delegation_id for v in result.votes] == [c.delegation_id]
    # A ballot opened now sees the changes.
    later = await world.ballot(assembly_id)
    kinds = {row.delegation_id: (row.holder_delegation_id, row.eligible) for row in await world.rows(
        "SELECT delegation_id, holder_delegation_id, eligible FROM ballot_right WHERE ballot_id = :b", b=later)}
    assert kinds[a.delegation_id] == (a.delegation_id, True)
    assert kinds[c.delegation_id] == (c.delegation_id, False)


async def test_close_stores_the_tally_once_with_its_arithmetic(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    seats = await world.seats(assembly_id, 10)
    ballot_id = await world.ballot(assembly_id, majority={"kind": "two_thirds_of_votes_cast"})
    for seat, choice in zip(seats, ["yes"] * 6 + ["no"] * 3 + ["abstain"], strict=True):
        await world.cast(seat, ballot_id, choice)

    view = await world.close(ballot_id)
    result = view.result
    assert result is not None
    assert view.ballot.status == "closed"
    assert view.ballot.closed_at is not None
    assert (result.outcome, result.reason, result.rule, result.unit, result.base) == (
        "adopted", "majority_reached", "two_thirds_of_votes_cast", "heads", "votes_cast")
    assert result.counts == [{"option": "yes", "heads": 6, "weight": 6}, {"option": "no", "heads": 3, "weight": 3},
                             {"option": "abstain", "heads": 1, "weight": 1}]
    assert result.arithmetic == ("two-thirds of votes cast, by members (yes 6, no 3, abstain 1; cast 9): "
                                 "3 x 6 = 18 >= 2 x 9 = 18, adopted")
    assert (result.present_heads, result.membership_heads, result.quorum_met) == (10, 10, True)
    assert view.turnout == (10, 10)
    closed = (await world.events("ballot.closed", ballot_id))[0]
    assert closed["outcome"] == "adopted"
    assert closed["arithmetic"] == result.arithmetic
    assert closed["counts"] == result.counts
    assert await world.scalar("SELECT count(*) FROM ballot_result WHERE ballot_id = :b", b=ballot_id) == 1


async def test_a_closed_ballot_never_reopens_and_a_revote_is_a_new_ballot(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    seats = await world.seats(assembly_id, 3)
    ballot_id = await world.ballot(assembly_id)
    await world.cast(seats[0], ballot_id, "yes")
    await world.close(ballot_id)

    error = await world.refused(lambda s: ballots.open_ballot(s, world.chair, ballot_id))
    assert error.code == "ballot_closed"
    error = await world.refused(lambda s: ballots.close_ballot(s, world.chair, ballot_id))
    assert error.code == "ballot_closed"
    error = await world.refused(lambda s: ballots.create_revote(s, world.chair, ballot_id, reason="  "))
    assert (error.code, error.errors) == ("invalid_input", [{"field": "reason",
                                                            "message": "say why the question is voted again"}])

    again = await world.run(lambda s: ballots.create_revote(s, world.chair, ballot_id, reason="voting machine fault"))
    assert (again.ballot.status, again.ballot.revote_of_id, again.ballot.revote_reason) == (
        "draft", ballot_id, "voting machine fault")
    assert again.ballot.question == "Shall the meeting be adjourned?"
    created = (await world.events("ballot.created", again.ballot.id))[0]
    assert created["revote_of_id"] == str(ballot_id)
    assert created["revote_reason"] == "voting machine fault"
    # The first ballot and its result stay as they were.
    first = await world.run(lambda s: ballots.get_ballot(s, ballot_id))
    assert first.ballot.status == "closed"
    assert first.result is not None
    assert first.result.outcome == "adopted"

    draft = await world.ballot(assembly_id, open_it=False)
    error = await world.refused(lambda s: ballots.create_revote(s, world.chair, draft, reason="why not"))
    assert error.code == "ballot_not_closed"


async def test_refusals_to_create_open_and_close(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    await world.seats(assembly_id, 2)
    outsider = await world.principal()
    draft = await world.ballot(assembly_id, open_it=False)

    error = await world.refused(lambda s: ballots.create_ballot(
        s, outsider, assembly_id, subject_kind=BallotSubjectKind.PROCEDURAL, subject_id=None, question="Q?",
        weighted=False, secret=False, majority=None, candidates=None, seats=None, k_anonymity=5))
    assert error.code == "assembly_role_required"
    error = await world.refused(lambda s: ballots.open_ballot(s, outsider, draft))
    assert error.code == "assembly_role_required"
    error = await world.refused(lambda s: ballots.close_ballot(s, world.chair, draft))
    assert error.code == "ballot_not_open"
    error = await world.refused(lambda s: ballots.open_ballot(s, world.chair, uuid.uuid4()))
    assert error.code == "ballot_not_found"
    error = await world.refused(lambda s: ballots.create_ballot(
        s, world.chair, assembly_id, subject_kind=BallotSubjectKind.MOTION, subject_id=None, question=" ",
        weighted=False, secret=False, majority=None, candidates=None, seats=2, k_anonymity=5))
    assert error.code == "invalid_input"
    assert [e["field"] for e in error.errors or []] == ["subject_id", "question", "seats"]

    await world.open(draft)
    error = await world.refused(lambda s: ballots.open_ballot(s, world.chair, draft))
    assert error.code == "ballot_already_open"
    error = await world.refused(lambda s: ballots.close_ballot(s, outsider, draft))
    assert error.code == "assembly_role_required"


async def test_opening_needs_an_open_assembly_and_an_electorate(world: BallotWorld) -> None:
    planned = await world.assembly(open_it=False)
    await world.seats(planned, 2)
    ballot_id = await world.ballot(planned, open_it=False)
    error = await world.refused(lambda s: ballots.open_ballot(s, world.chair, ballot_id))
    assert error.code == "assembly_not_open"

    empty = await world.assembly()
    await world.seats(empty, 2, accepted=False)
    ballot_id = await world.ballot(empty, open_it=False)
    error = await world.refused(lambda s: ballots.open_ballot(s, world.chair, ballot_id))
    assert error.code == "empty_electorate"


async def test_a_secret_weighted_ballot_whose_weights_identify_voters_does_not_open(world: BallotWorld) -> None:
    table = [{"category": "big", "weight": 1021}, {"category": "mid", "weight": 321},
             {"category": "small", "weight": 121}, {"category": "tiny", "weight": 71}]
    assembly_id = await world.assembly({"weighting": {"scheme": "category_table", "categories": table}})
    await world.seats(assembly_id, 4, categories=["big", "mid", "small", "tiny"])
    await world.seats(assembly_id, 2, categories=["tiny", "tiny"])
    ballot_id = await world.ballot(assembly_id, weighted=True, secret=True, k_anonymity=3, open_it=False)

    error = await world.refused(lambda s: ballots.open_ballot(s, world.chair, ballot_id))
    assert error.code == "weights_identify_voters"
    assert error.extra == {"k": 3, "weight_classes": [{"weight": 121, "holders": 1}, {"weight": 321, "holders": 1},
                                                       {"weight": 1021, "holders": 1}]}
    assert "weight 1021 is held by 1 right(s)" in error.detail

    # The same electorate may vote by roll call, or secretly one member one vote.
    roll_call = await world.ballot(assembly_id, weighted=True, secret=False)
    omov_secret = await world.ballot(assembly_id, weighted=False, secret=True)
    assert {await world.scalar("SELECT status FROM ballot WHERE id = :b", b=b) for b in (roll_call, omov_secret)} == {
        "open"}
    weight = await world.scalar("SELECT electorate_weight FROM ballot WHERE id = :b", b=roll_call)
    assert weight == 1021 + 321 + 121 + 3 * 71
    assert await world.scalar("SELECT electorate_weight FROM ballot WHERE id = :b", b=omov_secret) == 6


async def test_a_ballot_scoped_proxy_is_revocable_only_until_its_ballot_opens(world: BallotWorld) -> None:
    assembly_id = await world.assembly({"proxies": {"allowed": True, "max_per_holder": 2}})
    a, b, c = await world.seats(assembly_id, 3)
    first = await world.ballot(assembly_id, open_it=False)
    second = await world.ballot(assembly_id, open_it=False)
    early = await world.proxy(a, b, ballot_id=first)
    await world.run(lambda s: assemblies.revoke_proxy(s, world.admin, early))   # draft: revocable

    late = await world.proxy(a, c, ballot_id=second)
    await world.open(second)
    error = await world.refused(lambda s: assemblies.revoke_proxy(s, world.admin, late))
    assert error.code == "ballot_already_open"
    holder = await world.scalar("SELECT holder_delegation_id FROM ballot_right WHERE ballot_id = :b "
                                "AND delegation_id = :d", b=second, d=a.delegation_id)
    assert holder == c.delegation_id


async def test_election_text_hash_covers_the_candidates(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    await world.seats(assembly_id, 2)
    ballot_id = await world.ballot(assembly_id, subject_kind=BallotSubjectKind.ELECTION, question="Treasurer",
                                   candidates=["ana", "bo"], seats=1)
    view = await world.run(lambda s: ballots.get_ballot(s, ballot_id))
    document = {"candidates": [{"key": "ana", "name": "Candidate ana"}, {"key": "bo", "name": "Candidate bo"}],
                "options": ["ana", "bo", "abstain"], "question": "Treasurer", "seats": 1}
    expected = hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    assert view.ballot.text_sha256 == expected
    assert view.ballot.majority_rule is None
