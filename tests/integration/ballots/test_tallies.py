"""Stored tallies and outcomes under every majority rule, quorum, and the election rules."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assembly.assemblies import services as assemblies
from assembly.ballots import services as ballots
from assembly.ballots.digests import lot_seed
from assembly.ballots.models import BallotResult, BallotSubjectKind
from assembly.ballots.rules import draw_lots

if TYPE_CHECKING:
    from tests.integration.ballots.conftest import BallotWorld, Seat

IMF = {"weighting": {"scheme": "category_table", "categories": [
    {"category": "c1021", "weight": 1021}, {"category": "c321", "weight": 321},
    {"category": "c121", "weight": 121}, {"category": "c71", "weight": 71}]}}


async def _vote(world: BallotWorld, ballot_id: uuid.UUID, seats: Sequence[Seat], choices: Sequence[str | None]) -> None:
    for seat, choice in zip(seats, choices, strict=True):
        if choice is not None:
            await world.cast(seat, ballot_id, choice)


async def _closed(world: BallotWorld, ballot_id: uuid.UUID) -> BallotResult:
    view = await world.close(ballot_id)
    assert view.result is not None
    return view.result


def _counts(result: BallotResult, unit: str = "heads") -> dict[str, int]:
    return {c["option"]: c[unit] for c in result.counts}


async def test_weights_against_heads_the_imf_example(world: BallotWorld) -> None:
    """procedure.md 2.2: member 1 alone outweighs the three others."""
    assembly_id = await world.assembly(IMF)
    seats = await world.seats(assembly_id, 4, categories=["c1021", "c321", "c121", "c71"])
    weighted = await world.ballot(assembly_id, weighted=True)
    omov = await world.ballot(assembly_id, weighted=False)
    for ballot_id in (weighted, omov):
        await _vote(world, ballot_id, seats, ["no", "yes", "yes", "yes"])

    by_weight = await _closed(world, weighted)
    assert (by_weight.outcome, by_weight.unit, by_weight.reason) == ("rejected", "weight", "majority_not_reached")
    assert _counts(by_weight, "weight") == {"yes": 513, "no": 1021, "abstain": 0}
    assert by_weight.arithmetic == ("simple majority of votes cast, by weight (yes 513, no 1021, abstain 0; "
                                    "cast 1534): yes 513 <= no 1021, rejected")
    assert (by_weight.membership_weight, by_weight.present_weight, by_weight.base_weight) == (1534, 1534, 1534)
    by_heads = await _closed(world, omov)
    assert (by_heads.outcome, by_heads.unit) == ("adopted", "heads")
    assert _counts(by_heads, "weight") == {"yes": 3, "no": 1, "abstain": 0}


async def test_every_majority_rule_decides_from_the_stored_counts(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    seats = await world.seats(assembly_id, 6)
    await world.run(lambda s: assemblies.check_out(s, world.admin, seats[5].delegation_id))   # present: 5 of 6
    votes = ["yes", "yes", "yes", "no", "abstain", None]
    expected: dict[str, tuple[str, str, str]] = {
        "simple_majority_of_votes_cast": ("adopted", "votes_cast", "yes 3 > no 1"),
        "two_thirds_of_votes_cast": ("adopted", "votes_cast", "3 x 3 = 9 >= 2 x 4 = 8"),
        "majority_of_members_present": ("adopted", "present", "2 x 3 = 6 > 5 present"),
        "majority_of_membership": ("rejected", "membership", "2 x 3 = 6 <= 6 in the membership"),
    }
    for kind, (outcome, base, comparison) in expected.items():
        ballot_id = await world.ballot(assembly_id, majority={"kind": kind})
        await _vote(world, ballot_id, seats, votes)
        result = await _closed(world, ballot_id)
        assert (result.rule, result.outcome, result.base) == (kind, outcome, base), result.arithmetic
        assert comparison in result.arithmetic
        assert (result.present_heads, result.membership_heads) == (5, 6)

    share = await world.ballot(assembly_id, majority={"kind": "share_of_total_weight", "numerator": 1,
                                                      "denominator": 2})
    await _vote(world, share, seats, votes)
    result = await _closed(world, share)
    assert (result.outcome, result.base, result.base_heads) == ("adopted", "membership", 6)
    assert "3 x 2 = 6 >= 1 x 6 = 6" in result.arithmetic

    tie = await world.ballot(assembly_id)
    await _vote(world, tie, seats, ["yes", "no", "abstain", "abstain", "abstain", None])
    result = await _closed(world, tie)
    assert (result.outcome, result.reason) == ("rejected", "tie")


async def test_double_majority_with_its_blocking_minority(world: BallotWorld) -> None:
    table = [{"category": "w40", "weight": 40}, {"category": "w20", "weight": 20}, {"category": "w10", "weight": 10}]
    assembly_id = await world.assembly({"weighting": {"scheme": "category_table", "categories": table},
                                        "split_votes_allowed": True})
    seats = await world.seats(assembly_id, 5, categories=["w40", "w20", "w20", "w10", "w10"])
    rule: dict[str, Any] = {"kind": "double_majority", "members_numerator": 55, "members_denominator": 100,
                            "weight_numerator": 65, "weight_denominator": 100, "blocking_minority_members": 2}
    cases = [
        (["yes", "yes", "no", "yes", "no"], "adopted", "weight 70 x 100 = 7000 >= 65 x 100 = 6500, met"),
        (["no", "yes", "yes", "yes", "yes"], "adopted", "5 - 4 = 1 < 2, too few to block"),
        (["no", "yes", "yes", "yes", "abstain"], "rejected", "5 - 3 = 2 >= 2, enough to block"),
    ]
    for choices, outcome, fragment in cases:
        ballot_id = await world.ballot(assembly_id, weighted=True, majority=rule)
        view = await world.run(lambda s, b=ballot_id: ballots.get_ballot(s, b))
        assert view.ballot.split_votes_allowed is False   # a double majority counts members for or against
        await _vote(world, ballot_id, seats, choices)
        result = await _closed(world, ballot_id)
        assert (result.outcome, result.unit, result.base_heads, result.base_weight) == (
            outcome, "heads_and_weight", 5, 100), result.arithmetic
        assert fragment in result.arithmetic


async def test_without_the_quorum_to_decide_no_decision_is_taken(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    seats = await world.seats(assembly_id, 10, checked_in=False)
    for seat in seats[:4]:
        await world.run(lambda s, d=seat.delegation_id: assemblies.check_in(s, world.admin, d))
    ballot_id = await world.ballot(assembly_id)
    await _vote(world, ballot_id, seats[:4], ["yes", "yes", "yes", "no"])

    result = await _closed(world, ballot_id)
    assert (result.outcome, result.reason, result.quorum_met, result.quorum_kind) == (
        "no_quorum", "no_quorum", False, "majority_of_members")
    assert result.quorum_arithmetic == ("quorum to decide, majority of members: 2 x 4 present = 8 <= 10 members, "
                                        "not met")
    assert result.arithmetic == f"no decision: {result.quorum_arithmetic}"
    assert result.majority_arithmetic is not None
    assert "adopted" in result.majority_arithmetic
    # Presence counts at close: a delegation that voted and then left is still present for this ballot.
    again = await world.run(lambda s: ballots.create_revote(s, world.chair, ballot_id, reason="no quorum"))
    await world.open(again.ballot.id)
    await _vote(world, again.ballot.id, seats[:1], ["yes"])
    await world.run(lambda s: assemblies.check_out(s, world.admin, seats[0].delegation_id))
    assert (await _closed(world, again.ballot.id)).present_heads == 4


async def test_single_seat_election_absolute_majority(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    seats = await world.seats(assembly_id, 6)
    ballot_id = await world.ballot(assembly_id, subject_kind=BallotSubjectKind.ELECTION, question="President",
                                   candidates=["ana", "bo"], seats=1)
    await _vote(world, ballot_id, seats, ["ana", "ana", "ana", "bo", "bo", "abstain"])

    result = await _closed(world, ballot_id)
    assert (result.outcome, result.reason, result.rule, result.base, result.base_heads) == (
        "elected", "absolute_majority", "single_seat_absolute_majority", "valid_votes", 5)
    assert result.election is not None
    assert (result.election["elected"], result.election["blank"], result.election["valid_votes"]) == (["ana"], 1, 5)
    assert result.arithmetic.endswith("2 x 3 = 6 > 5, ana elected")
    error = await world.refused(lambda s: ballots.create_second_ballot(s, world.chair, ballot_id))
    assert error.code == "no_second_ballot"


async def test_second_ballot_between_the_two_leaders_and_a_tie_drawn_by_lot(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    seats = await world.seats(assembly_id, 5)
    first = await world.ballot(assembly_id, subject_kind=BallotSubjectKind.ELECTION, question="Treasurer",
                               candidates=["ana", "bo", "cy"], seats=1)
    await _vote(world, first, seats, ["ana", "ana", "bo", "bo", "cy"])
    result = await _closed(world, first)
    assert (result.outcome, result.reason) == ("second_ballot_required", "no_absolute_majority")
    assert result.election is not None
    assert result.election["second_ballot_candidates"] == ["ana", "bo"]
    assert "2 x 2 = 4 <= 5, nobody elected" in result.arithmetic

    second = await world.run(lambda s: ballots.create_second_ballot(s, world.chair, first))
    assert second.ballot.runoff_of_id == first
    assert [c["key"] for c in second.ballot.candidates or []] == ["ana", "bo"]
    assert second.ballot.options == ["ana", "bo", "abstain"]
    error = await world.refused(lambda s: ballots.create_second_ballot(s, world.chair, first))
    assert error.code == "second_ballot_exists"

    await world.open(second.ballot.id)
    await _vote(world, second.ballot.id, seats, ["ana", "bo", "ana", "bo", "abstain"])
    view = await world.close(second.ballot.id)
    runoff = view.result
    assert runoff is not None
    assert runoff.election is not None
    assert (runoff.outcome, runoff.reason, runoff.rule) == ("elected", "lot", "second_ballot_most_votes")
    [lot] = runoff.election["lots"]
    assert view.ballot.closed_at is not None
    seed = lot_seed(second.ballot.id, view.ballot.closed_at, runoff.counts)
    assert runoff.lot_seed == seed.hex() == lot["seed"]
    assert runoff.election["elected"] == lot["drawn"] == list(draw_lots(["ana", "bo"], seed).drawn)


async def test_several_seats_most_votes_with_a_tie_for_the_last_seat(world: BallotWorld) -> None:
    table = [{"category": "w2", "weight": 2}, {"category": "w1", "weight": 1}]
    assembly_id = await world.assembly({"weighting": {"scheme": "category_table", "categories": table}})
    seats = await world.seats(assembly_id, 6, categories=["w2", "w2", "w1", "w1", "w1", "w1"])
    ballot_id = await world.ballot(assembly_id, subject_kind=BallotSubjectKind.ELECTION, question="Bureau",
                                   candidates=["a", "b", "c", "d"], seats=2, weighted=True)
    await _vote(world, ballot_id, seats, ["a", "a", "b", "c", "abstain", "abstain"])

    result = await _closed(world, ballot_id)
    assert result.election is not None
    assert (result.outcome, result.unit, result.base_weight) == ("elected", "weight", 6)
    assert result.election["ranking"] == [{"candidate": "a", "votes": 4}, {"candidate": "b", "votes": 1},
                                          {"candidate": "c", "votes": 1}, {"candidate": "d", "votes": 0}]
    [lot] = result.election["lots"]
    assert lot["candidates"] == ["b", "c"]
    assert lot["places"] == 1
    assert result.election["elected"] == ["a", *lot["drawn"]]
    assert result.reason == "most_votes_and_lot"


async def test_an_election_without_quorum_elects_nobody(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    seats = await world.seats(assembly_id, 4, checked_in=False)
    await world.run(lambda s: assemblies.check_in(s, world.admin, seats[0].delegation_id))
    ballot_id = await world.ballot(assembly_id, subject_kind=BallotSubjectKind.ELECTION, question="Auditor",
                                   candidates=["ana"], seats=1)
    await _vote(world, ballot_id, seats[:1], ["ana"])
    result = await _closed(world, ballot_id)
    assert result.election is not None
    assert (result.outcome, result.election["elected"], result.quorum_met) == ("no_quorum", [], False)
