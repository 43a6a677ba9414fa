"""Casting votes through the services: who may cast which right, how, and every refusal (nothing changed)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from assembly.assemblies import services as assemblies
from assembly.assemblies.models import DelegateRole
from assembly.ballots import services as ballots
from assembly.ballots.services import VoteRequest

if TYPE_CHECKING:
    from tests.integration.ballots.conftest import BallotWorld

PROXIES = {"proxies": {"allowed": True, "max_per_holder": 3}}


async def test_one_step_casts_every_right_held_each_with_its_own_vote(world: BallotWorld) -> None:
    assembly_id = await world.assembly(PROXIES)
    holder, a, b, other = await world.seats(assembly_id, 4)
    await world.proxy(a, holder)
    await world.proxy(b, holder)
    ballot_id = await world.ballot(assembly_id)

    result = await world.cast(holder, ballot_id, "yes")

    assert {(v.delegation_id, v.kind, v.revision, v.choice) for v in result.votes} == {
        (holder.delegation_id, "own", 1, "yes"), (a.delegation_id, "proxy", 1, "yes"),
        (b.delegation_id, "proxy", 1, "yes")}
    assert result.turnout == (3, 3)
    votes = await world.rows("SELECT br.delegation_id, v.choice, v.revision, v.cast_by_user_id FROM vote v "
                             "JOIN ballot_right br ON br.id = v.right_id WHERE v.ballot_id = :b", b=ballot_id)
    assert {(row.delegation_id, row.choice, row.revision, row.cast_by_user_id) for row in votes} == {
        (d, "yes", 1, holder.voter.user_id) for d in (holder.delegation_id, a.delegation_id, b.delegation_id)}
    events = await world.events("ballot.vote_cast", ballot_id)
    assert sorted((e["delegation_id"], e["kind"], e["choice"]) for e in events) == sorted(
        [(str(holder.delegation_id), "own", "yes"), (str(a.delegation_id), "proxy", "yes"),
         (str(b.delegation_id), "proxy", "yes")])
    turnout = await world.run(lambda s: ballots.turnout(s, ballot_id))
    assert (turnout.voted, turnout.voted_weight, turnout.electorate_rights) == (3, 3, 4)

    await world.cast(other, ballot_id, "no")
    assert (await world.run(lambda s: ballots.turnout(s, ballot_id))).voted == 4


async def test_rights_held_may_be_cast_separately_and_differently(world: BallotWorld) -> None:
    assembly_id = await world.assembly(PROXIES)
    holder, a, b = await world.seats(assembly_id, 3)
    await world.proxy(a, holder)
    await world.proxy(b, holder)
    ballot_id = await world.ballot(assembly_id)

    await world.cast(holder, ballot_id, votes=[VoteRequest(a.delegation_id, "no"),
                                               VoteRequest(holder.delegation_id, "yes")])
    await world.cast(holder, ballot_id, "abstain", delegation_ids=[b.delegation_id])

    view = await world.close(ballot_id)
    assert view.result is not None
    assert view.result.counts == [{"option": "yes", "heads": 1, "weight": 1}, {"option": "no", "heads": 1, "weight": 1},
                                  {"option": "abstain", "heads": 1, "weight": 1}]


async def test_vote_change_where_allowed_the_last_counts_and_every_change_is_kept(world: BallotWorld) -> None:
    assembly_id = await world.assembly({"vote_change_allowed": True})
    voter, other = await world.seats(assembly_id, 2)
    ballot_id = await world.ballot(assembly_id)

    first = await world.cast(voter, ballot_id, "yes")
    second = await world.cast(voter, ballot_id, "no")
    third = await world.cast(voter, ballot_id, "abstain")
    await world.cast(other, ballot_id, "no")

    assert [r.votes[0].revision for r in (first, second, third)] == [1, 2, 3]
    assert third.turnout == (1, 1)   # a change adds nobody to the turnout
    history = await world.rows("SELECT revision, choice FROM vote_change WHERE ballot_id = :b AND right_id = :r "
                               "ORDER BY revision", b=ballot_id, r=first.votes[0].right_id)
    assert [(row.revision, row.choice) for row in history] == [(1, "yes"), (2, "no"), (3, "abstain")]
    assert [e["revision"] for e in await world.events("ballot.vote_changed", ballot_id)] == [2, 3]
    view = await world.close(ballot_id)
    assert view.result is not None
    assert [c["heads"] for c in view.result.counts] == [0, 1, 1]
    assert view.turnout == (2, 2)


async def test_split_votes_where_the_rules_allow_them(world: BallotWorld) -> None:
    table = [{"category": "big", "weight": 10}, {"category": "one", "weight": 1}]
    assembly_id = await world.assembly({"weighting": {"scheme": "category_table", "categories": table},
                                        "split_votes_allowed": True})
    big, small = await world.seats(assembly_id, 2, categories=["big", "one"])
    ballot_id = await world.ballot(assembly_id, weighted=True)

    result = await world.cast(big, ballot_id, votes=[VoteRequest(big.delegation_id, split={"yes": 7, "no": 3,
                                                                                          "abstain": 0})])
    assert (result.votes[0].choice, result.votes[0].split) == (None, {"no": 3, "yes": 7})
    whole = await world.cast(small, ballot_id, votes=[VoteRequest(small.delegation_id, split={"no": 1, "yes": 0})])
    assert (whole.votes[0].choice, whole.votes[0].split) == ("no", None)   # all on one option: a whole vote

    view = await world.close(ballot_id)
    assert view.result is not None
    assert view.result.counts == [{"option": "yes", "heads": 0, "weight": 7},
                                  {"option": "no", "heads": 1, "weight": 4},
                                  {"option": "abstain", "heads": 0, "weight": 0}]
    assert (view.result.split_heads, view.result.outcome) == (1, "adopted")


async def test_split_refusals(world: BallotWorld) -> None:
    table = [{"category": "big", "weight": 10}]
    assembly_id = await world.assembly({"weighting": {"scheme": "category_table", "categories": table},
                                        "split_votes_allowed": True})
    big = await world.seat(assembly_id, categories=["big"])
    weighted = await world.ballot(assembly_id, weighted=True)
    unweighted = await world.ballot(assembly_id, weighted=False)

    def split(ballot_id: uuid.UUID, parts: dict[str, int]):  # type: ignore[no-untyped-def]
        return lambda s: ballots.cast_votes(s, big.voter, ballot_id, votes=[VoteRequest(big.delegation_id,
                                                                                        split=parts)])

    error = await world.refused(split(weighted, {"yes": 6, "no": 3}))
    assert (error.code, error.errors) == ("split_sum_mismatch", [
        {"field": "votes[0].split", "message": "the parts add up to 9, not to the right's weight 10"}])
    error = await world.refused(split(weighted, {"yes": 6, "maybe": 4}))
    assert (error.code, [e["field"] for e in error.errors or []]) == ("split_option_unknown", ["votes[0].split.maybe"])
    error = await world.refused(split(weighted, {"yes": 11, "no": -1}))
    assert error.code == "split_part_invalid"
    error = await world.refused(split(unweighted, {"yes": 1}))
    assert (error.code, [e["field"] for e in error.errors or []]) == ("split_votes_not_allowed", ["votes[0].split"])


async def test_voting_twice_without_the_change_rule_is_refused(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    voter = await world.seat(assembly_id)
    ballot_id = await world.ballot(assembly_id)
    await world.cast(voter, ballot_id, "yes")

    error = await world.refused(lambda s: ballots.cast_votes(s, voter.voter, ballot_id, choice="no"))
    assert error.code == "already_voted"
    assert error.extra == {"delegation_ids": [str(voter.delegation_id)]}


async def test_rights_the_caller_does_not_hold(world: BallotWorld) -> None:
    assembly_id = await world.assembly(PROXIES)
    grantor, holder, stranger = await world.seats(assembly_id, 3)
    await world.proxy(grantor, holder)
    ballot_id = await world.ballot(assembly_id)

    # Another delegation's right.
    error = await world.refused(lambda s: ballots.cast_votes(s, holder.voter, ballot_id, choice="yes",
                                                             delegation_ids=[stranger.delegation_id]))
    assert (error.code, error.errors) == ("right_not_held", [
        {"field": "delegation_ids[0]", "message": "not a right your delegation holds in this ballot"}])
    # The grantor's own vote went to its holder when the ballot opened.
    error = await world.refused(lambda s: ballots.cast_votes(s, grantor.voter, ballot_id, choice="yes"))
    assert error.code == "right_held_by_proxy"
    assert error.extra["holder_delegation_id"] == str(holder.delegation_id)
    # An unknown option.
    error = await world.refused(lambda s: ballots.cast_votes(s, holder.voter, ballot_id, votes=[
        VoteRequest(holder.delegation_id, "yes"), VoteRequest(grantor.delegation_id, "maybe")]))
    assert (error.code, [e["field"] for e in error.errors or []]) == ("unknown_option", ["votes[1].choice"])
    error = await world.refused(lambda s: ballots.cast_votes(s, holder.voter, ballot_id, choice="Yes"))
    assert (error.code, [e["field"] for e in error.errors or []]) == ("unknown_option", ["choice"])
    # Malformed requests.
    error = await world.refused(lambda s: ballots.cast_votes(s, holder.voter, ballot_id))
    assert (error.code, [e["field"] for e in error.errors or []]) == ("invalid_input", ["choice"])
    error = await world.refused(lambda s: ballots.cast_votes(s, holder.voter, ballot_id, choice="yes",
                                                             delegation_ids=[holder.delegation_id] * 2))
    assert (error.code, [e["field"] for e in error.errors or []]) == ("invalid_input", ["delegation_ids[1]"])


async def test_a_proxy_vote_after_the_grantor_voted_itself(world: BallotWorld) -> None:
    """The snapshot gives each right to one delegation: a proxy given after opening does not move it."""
    assembly_id = await world.assembly(PROXIES)
    grantor, holder = await world.seats(assembly_id, 2)
    ballot_id = await world.ballot(assembly_id)
    await world.cast(grantor, ballot_id, "no")       # the grantor votes itself
    await world.proxy(grantor, holder)               # then gives its vote away, too late for this ballot

    error = await world.refused(lambda s: ballots.cast_votes(s, holder.voter, ballot_id, choice="yes",
                                                             delegation_ids=[grantor.delegation_id]))
    assert error.code == "grantor_voted"
    assert error.status_code == 409
    # A ballot that opens after the proxy was given puts the grantor's right with the holder.
    next_ballot = await world.ballot(assembly_id)
    result = await world.cast(holder, next_ballot, "yes")
    assert {v.delegation_id for v in result.votes} == {grantor.delegation_id, holder.delegation_id}


async def test_not_in_the_electorate_and_not_eligible(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    early = await world.seat(assembly_id)
    arrears = await world.seat(assembly_id, fees_paid_through=2019)
    ballot_id = await world.ballot(assembly_id)
    late = await world.seat(assembly_id)

    error = await world.refused(lambda s: ballots.cast_votes(s, late.voter, ballot_id, choice="yes"))
    assert error.code == "not_in_electorate"
    error = await world.refused(lambda s: ballots.cast_votes(s, arrears.voter, ballot_id, choice="yes"))
    assert (error.code, error.status_code, error.extra) == ("delegation_not_eligible", 403,
                                                            {"reasons": ["fees_in_arrears"]})
    await world.cast(early, ballot_id, "yes")


async def test_an_absent_delegation_does_not_vote(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    away = await world.seat(assembly_id, checked_in=False)
    ballot_id = await world.ballot(assembly_id)
    error = await world.refused(lambda s: ballots.cast_votes(s, away.voter, ballot_id, choice="yes"))
    assert (error.code, error.status_code) == ("delegation_absent", 409)

    await world.run(lambda s: assemblies.check_in(s, world.admin, away.delegation_id))
    assert (await world.cast(away, ballot_id, "yes")).votes[0].revision == 1


async def test_who_in_a_delegation_casts_its_vote(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    seat = await world.seat(assembly_id)
    delegate = await world.principal()
    substitute = await world.principal()
    outsider = await world.principal()
    people = [(seat.voter.user_id, DelegateRole.HEAD), (delegate.user_id, DelegateRole.DELEGATE),
              (substitute.user_id, DelegateRole.SUBSTITUTE)]
    await world.run(lambda s: assemblies.replace_delegates(s, world.admin, seat.delegation_id, delegates=people,
                                                           designated_voter_user_id=substitute.user_id))
    ballot_id = await world.ballot(assembly_id)

    error = await world.refused(lambda s: ballots.cast_votes(s, outsider, ballot_id, choice="yes"))
    assert (error.code, error.status_code) == ("not_a_delegate", 403)
    error = await world.refused(lambda s: ballots.cast_votes(s, delegate, ballot_id, choice="yes"))
    assert error.code == "not_the_voter"
    # The designated voter is a substitute, and the delegation's head and delegate are seated (Art 36).
    error = await world.refused(lambda s: ballots.cast_votes(s, substitute, ballot_id, choice="yes"))
    assert error.code == "substitute_while_delegate_present"

    # The delegates leave the delegation: the substitute, designated voter, votes.
    await world.run(lambda s: assemblies.replace_delegates(
        s, world.admin, seat.delegation_id, delegates=[(substitute.user_id, DelegateRole.SUBSTITUTE)],
        designated_voter_user_id=substitute.user_id))
    result = await world.cast(substitute, ballot_id, "yes")
    assert result.votes[0].delegation_id == seat.delegation_id


async def test_casting_outside_an_open_ballot(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    voter = await world.seat(assembly_id)
    draft = await world.ballot(assembly_id, open_it=False)
    error = await world.refused(lambda s: ballots.cast_votes(s, voter.voter, draft, choice="yes"))
    assert error.code == "ballot_not_open"
    closed = await world.ballot(assembly_id)
    await world.close(closed)
    error = await world.refused(lambda s: ballots.cast_votes(s, voter.voter, closed, choice="yes"))
    assert (error.code, error.status_code) == ("ballot_closed", 409)
    error = await world.refused(lambda s: ballots.cast_votes(s, voter.voter, uuid.uuid4(), choice="yes"))
    assert error.code == "ballot_not_found"
