"""The ballots API end to end: draft, open, cast, turnout, close, result, roll call; every refusal."""

from __future__ import annotations

import uuid

from tests.api.ballots.conftest import BallotApi

WEIGHTS = {"weighting": {"scheme": "category_table", "categories": [
    {"category": "big", "weight": 5}, {"category": "small", "weight": 1}]},
    "proxies": {"allowed": True, "max_per_holder": 2}}


async def test_a_weighted_roll_call_ballot_from_draft_to_published_votes(api: BallotApi) -> None:
    await api.setup(rules=WEIGHTS, parties=4, categories=["big", "small", "small", "small"])
    big, s1, s2, s3 = api.parties
    await api.proxy(s3, s2)

    draft = await api.ballot(open_it=False, weighted=True, question="Shall the report be adopted?")
    assert (draft["status"], draft["majority"], draft["quorum"], draft["turnout"], draft["result"]) == (
        "draft", None, None, None, None)
    public = await api.client.get(f"/api/ballots/{draft['id']}")   # no token: public
    assert public.status_code == 200
    assert public.json()["question"] == "Shall the report be adopted?"

    opened = await api.ok("POST", f"/api/ballots/{draft['id']}/open")
    ballot_id = opened["id"]
    assert (opened["status"], opened["majority"], opened["options"]) == (
        "open", {"kind": "simple_majority_of_votes_cast"}, ["yes", "no", "abstain"])
    assert opened["turnout"] == {"ballot_id": ballot_id, "status": "open", "electorate_rights": 4,
                                 "electorate_weight": 8, "voted": 0, "voted_weight": 0}
    assert len(opened["text_sha256"]) == 64
    assert len(opened["electorate_sha256"]) == 64

    mine = await api.ok("GET", f"/api/ballots/{ballot_id}/my-rights", headers=s2.headers)
    assert sorted((r["delegation_id"], r["kind"], r["voted"]) for r in mine["rights"]) == sorted(
        [(s2.delegation_id, "own", False), (s3.delegation_id, "proxy", False)])

    receipt = await api.cast(ballot_id, s2, {"votes": [{"delegation_id": s2.delegation_id, "choice": "yes"},
                                                       {"delegation_id": s3.delegation_id, "choice": "no"}]})
    assert sorted((v["delegation_id"], v["choice"], v["revision"]) for v in receipt["votes"]) == sorted(
        [(s2.delegation_id, "yes", 1), (s3.delegation_id, "no", 1)])
    assert (receipt["voted"], receipt["voted_weight"]) == (2, 2)
    await api.cast(ballot_id, big, "no")
    await api.cast(ballot_id, s1, "yes")

    turnout = await api.client.get(f"/api/ballots/{ballot_id}/turnout")
    assert turnout.json() == {"ballot_id": ballot_id, "status": "open", "electorate_rights": 4,
                              "electorate_weight": 8, "voted": 4, "voted_weight": 8}
    electorate = (await api.client.get(f"/api/ballots/{ballot_id}/electorate")).json()
    assert electorate["total"] == 4
    assert electorate["electorate_sha256"] == opened["electorate_sha256"]
    assert {(e["delegation_id"], e["holder_delegation_id"], e["weight"]) for e in electorate["items"]} == {
        (big.delegation_id, big.delegation_id, 5), (s1.delegation_id, s1.delegation_id, 1),
        (s2.delegation_id, s2.delegation_id, 1), (s3.delegation_id, s2.delegation_id, 1)}
    api.problem(await api.client.get(f"/api/ballots/{ballot_id}/roll-call"), 409, "ballot_not_closed")

    closed = await api.close(ballot_id)
    result = closed["result"]
    assert (closed["status"], result["outcome"], result["unit"]) == ("closed", "rejected", "weight")
    assert result["counts"] == [{"option": "yes", "heads": 2, "weight": 2}, {"option": "no", "heads": 2, "weight": 6},
                                {"option": "abstain", "heads": 0, "weight": 0}]
    assert result["arithmetic"] == ("simple majority of votes cast, by weight (yes 2, no 6, abstain 0; cast 8): "
                                    "yes 2 <= no 6, rejected")
    again = await api.client.get(f"/api/ballots/{ballot_id}")
    assert again.json()["result"] == result

    roll_call = (await api.client.get(f"/api/ballots/{ballot_id}/roll-call")).json()
    assert roll_call["total"] == 4
    assert {(e["delegation_id"], e["choice"], e["weight"], e["kind"]) for e in roll_call["items"]} == {
        (big.delegation_id, "no", 5, "own"), (s1.delegation_id, "yes", 1, "own"),
        (s2.delegation_id, "yes", 1, "own"), (s3.delegation_id, "no", 1, "proxy")}

    listed = (await api.client.get(f"/api/assemblies/{api.assembly_id}/ballots", params={"status": "closed"})).json()
    assert [b["id"] for b in listed["items"]] == [ballot_id]
    assert listed["total"] == 1


async def test_cast_refusals_carry_problem_details_and_change_nothing(api: BallotApi) -> None:
    await api.setup(parties=3)
    a, b, c = api.parties
    ballot = await api.ballot()
    votes = f"/api/ballots/{ballot['id']}/votes"
    await api.cast(ballot["id"], a, "yes")

    await api.refused("POST", votes, {"choice": "no"}, a.headers, 409, "already_voted")
    await api.refused("POST", votes, {"choice": "perhaps"}, b.headers, 422, "unknown_option", field="choice")
    await api.refused("POST", votes, {"choice": "yes", "delegation_ids": [c.delegation_id]}, b.headers, 403,
                      "right_not_held", field="delegation_ids[0]")
    await api.refused("POST", votes, {"votes": [{"delegation_id": b.delegation_id, "choice": "yes", "split": {
        "yes": 1}}]}, b.headers, 422, "invalid_input", field="votes[0]")
    await api.refused("POST", votes, {"votes": [{"delegation_id": b.delegation_id, "split": {"yes": 1}}]},
                      b.headers, 422, "split_votes_not_allowed", field="votes[0].split")
    await api.refused("POST", votes, {"choice": "yes", "votes": [{"delegation_id": b.delegation_id, "choice": "no"}]},
                      b.headers, 422, "invalid_input", field="choice")
    await api.refused("POST", votes, {"choice": "yes", "colour": "red"}, b.headers, 422, "invalid_input")
    await api.refused("POST", votes, {"choice": "x" * 65}, b.headers, 422, "invalid_input")
    await api.refused("POST", votes, {"choice": "yes"}, api.chair_headers, 403, "not_a_delegate")
    await api.refused("POST", f"/api/ballots/{uuid.uuid4()}/votes", {"choice": "yes"}, b.headers, 404,
                      "ballot_not_found")
    await api.close(ballot["id"])
    await api.refused("POST", votes, {"choice": "yes"}, b.headers, 409, "ballot_closed")


async def test_create_and_open_refusals(api: BallotApi) -> None:
    await api.setup(rules={"weighting": {"scheme": "category_table", "categories": [
        {"category": "big", "weight": 5}, {"category": "small", "weight": 1}]}},
        parties=3, categories=["big", "small", "small"])
    create = f"/api/assemblies/{api.assembly_id}/ballots"
    await api.refused("POST", create, {"subject_kind": "election", "question": "President",
                                       "candidates": [{"key": "ana", "name": "Ana"}, {"key": "ana", "name": "Ana"}],
                                       "seats": 3, "majority": {"kind": "two_thirds_of_votes_cast"}},
                      None, 422, "invalid_input", field="candidates[1].key")
    await api.refused("POST", create, {"subject_kind": "procedural", "question": "Q?", "majority": {
        "kind": "share_of_total_weight", "numerator": 3, "denominator": 2}}, None, 422, "invalid_input",
        field="majority.numerator")
    await api.refused("POST", create, {"subject_kind": "motion", "question": "Adopt?"}, None, 422, "invalid_input",
                      field="subject_id")
    await api.refused("POST", create, {"subject_kind": "motion", "subject_id": str(uuid.uuid4()), "question": "Adopt?"},
                      None, 422, "subject_not_found", field="subject_id")
    await api.refused("POST", create, {"subject_kind": "referendum", "question": "Q?"}, None, 422, "invalid_input")
    await api.refused("POST", f"/api/assemblies/{uuid.uuid4()}/ballots", {"subject_kind": "procedural",
                                                                          "question": "Q?"},
                      None, 404, "assembly_not_found")

    secret = await api.ballot(open_it=False, weighted=True, secret=True, k_anonymity=2)
    body = await api.refused("POST", f"/api/ballots/{secret['id']}/open", None, None, 409, "weights_identify_voters")
    assert body["weight_classes"] == [{"weight": 5, "holders": 1}]
    assert body["k"] == 2
    opened = await api.ballot()
    await api.refused("POST", f"/api/ballots/{opened['id']}/open", None, None, 409, "ballot_already_open")
    draft = await api.ballot(open_it=False)
    await api.refused("POST", f"/api/ballots/{draft['id']}/close", None, None, 409, "ballot_not_open")
    await api.refused("POST", f"/api/ballots/{draft['id']}/revote", {"reason": "again"}, None, 409,
                      "ballot_not_closed")
    await api.refused("POST", f"/api/ballots/{draft['id']}/second-ballot", None, None, 409, "no_second_ballot")
    api.problem(await api.client.get(f"/api/ballots/{draft['id']}/electorate"), 409, "ballot_not_open")


async def test_opening_needs_an_open_assembly(api: BallotApi) -> None:
    await api.setup(parties=2, open_assembly=False)
    draft = await api.ballot(open_it=False)
    await api.refused("POST", f"/api/ballots/{draft['id']}/open", None, None, 409, "assembly_not_open")


async def test_revote_and_second_ballot_through_the_api(api: BallotApi) -> None:
    await api.setup(parties=5)
    election = await api.ballot(subject_kind="election", question="Treasurer", seats=1, candidates=[
        {"key": "ana", "name": "Ana"}, {"key": "bo", "name": "Bo"}, {"key": "cy", "name": "Cy"}])
    for party, choice in zip(api.parties, ["ana", "ana", "bo", "bo", "cy"], strict=True):
        await api.cast(election["id"], party, choice)
    closed = await api.close(election["id"])
    assert closed["result"]["outcome"] == "second_ballot_required"
    assert closed["result"]["election"]["second_ballot_candidates"] == ["ana", "bo"]

    second = await api.ok("POST", f"/api/ballots/{election['id']}/second-ballot", status=201)
    assert (second["runoff_of_id"], second["status"], second["options"]) == (
        election["id"], "draft", ["ana", "bo", "abstain"])
    await api.refused("POST", f"/api/ballots/{election['id']}/second-ballot", None, None, 409,
                      "second_ballot_exists")

    again = await api.ok("POST", f"/api/ballots/{election['id']}/revote", {"reason": "the count was disputed"},
                         status=201)
    assert (again["revote_of_id"], again["revote_reason"], again["runoff_of_id"]) == (
        election["id"], "the count was disputed", None)
    await api.refused("POST", f"/api/ballots/{election['id']}/revote", {"reason": ""}, None, 422, "invalid_input",
                      field="reason")
