"""Issue 6, "Done when": a weighted roll-call ballot and a secret one-member-one-vote ballot on a motion's
amendments and on the motion; delegations and a proxy holder vote; the chair closes; the stored tallies,
the outcomes and the motion's state are right."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.api.ballots.conftest import BallotApi, Party

RULES = {
    "weighting": {"scheme": "category_table", "categories": [{"category": "big", "weight": 3},
                                                            {"category": "small", "weight": 1}]},
    "proxies": {"allowed": True, "max_per_holder": 2},
}
PARAGRAPHS = [
    {"kind": "preambular", "text": "Recalling the New Urban Agenda,"},
    {"text": "Calls on local governments to publish their climate budgets;"},
    {"text": "Invites the secretariat to report every year;"},
    {"text": "Decides to remain seized of the matter."},
]
MOTION_TABLES = ("motion", "motion_version", "amendment")


async def _motion_under_debate(api: BallotApi, sponsor: Party, cosponsor: Party) -> str:
    motion = await api.ok("POST", f"/api/assemblies/{api.assembly_id}/motions",
                          {"title": "Localizing climate finance", "paragraphs": PARAGRAPHS}, sponsor.headers,
                          status=201)
    motion_id: str = motion["id"]
    await api.ok("POST", f"/api/motions/{motion_id}/cosponsors", {"delegation_id": cosponsor.delegation_id},
                 sponsor.headers, status=201)
    await api.ok("POST", f"/api/motions/{motion_id}/cosponsors/{cosponsor.delegation_id}/accept",
                 headers=cosponsor.headers)
    await api.ok("POST", f"/api/motions/{motion_id}/submit", headers=sponsor.headers)
    await api.ok("POST", f"/api/motions/{motion_id}/admit")
    await api.ok("POST", f"/api/motions/{motion_id}/open-debate")
    return motion_id


async def _amendment(api: BallotApi, motion_id: str, party: Party, operations: list[dict[str, Any]]) -> str:
    amendment = await api.ok("POST", f"/api/motions/{motion_id}/amendments",
                             {"motion_version": 1, "operations": operations}, party.headers, status=201)
    await api.ok("POST", f"/api/amendments/{amendment['id']}/admit")
    return str(amendment["id"])


async def _motion_state(api: BallotApi) -> dict[str, list[tuple[Any, ...]]]:
    async with api.database.engine.connect() as connection:
        return {table: [tuple(r) for r in await connection.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2"))]
                for table in MOTION_TABLES}


async def test_amendments_and_the_motion_decided_by_weighted_roll_call_and_secret_ballots(api: BallotApi) -> None:
    await api.setup(rules=RULES, parties=5, categories=["big", "small", "small", "small", "small"])
    a, b, c, d, e = api.parties
    await api.proxy(e, d)                        # D holds E's vote
    motion_id = await _motion_under_debate(api, a, b)
    first = await _amendment(api, motion_id, c, [{"op": "replace", "paragraph_id": "p2",
                                                  "text": "Calls on all local governments to publish their budgets;"}])
    second = await _amendment(api, motion_id, b, [{"op": "delete", "paragraph_id": "p3"}])
    await api.ok("POST", f"/api/motions/{motion_id}/voting-order",
                 {"amendment_ids": [first, second], "reason": "in the order of the paragraphs"})
    create = f"/api/assemblies/{api.assembly_id}/ballots"

    # Bad input: a ballot on the motion before its amendments are decided, on the second amendment first.
    too_early = await api.ok("POST", create, {"subject_kind": "motion", "subject_id": motion_id,
                                              "question": "Adopt the motion?"}, status=201)
    before = await _motion_state(api)
    await api.refused("POST", f"/api/ballots/{too_early['id']}/open", None, None, 409, "not_votable")
    out_of_order = await api.ok("POST", create, {"subject_kind": "amendment", "subject_id": second,
                                                 "question": "Amendment 2?"}, status=201)
    await api.refused("POST", f"/api/ballots/{out_of_order['id']}/open", None, None, 409, "not_votable")
    assert await _motion_state(api) == before

    # Amendment 1: weighted roll call. By weight 4 to 3 (heads would be 2 to 3).
    roll_call = await api.ballot(subject_kind="amendment", subject_id=first, question="Amendment 1?", weighted=True)
    amendment_state = await api.ok("GET", f"/api/amendments/{first}")
    assert (amendment_state["status"], amendment_state["ballot_id"]) == ("voting", roll_call["id"])
    detail = await api.ok("GET", f"/api/motions/{motion_id}")
    assert detail["current_version"]["number"] == 1
    for party, choice in ((a, "yes"), (b, "yes"), (c, "no")):
        await api.cast(roll_call["id"], party, choice)
    await api.cast(roll_call["id"], d, "no")     # D's own vote and E's, in one step
    decided = await api.close(roll_call["id"])
    assert decided["result"]["outcome"] == "adopted"
    assert decided["result"]["counts"] == [{"option": "yes", "heads": 2, "weight": 4},
                                           {"option": "no", "heads": 3, "weight": 3},
                                           {"option": "abstain", "heads": 0, "weight": 0}]
    assert decided["result"]["arithmetic"].endswith("yes 4 > no 3, adopted")
    assert (await api.ok("GET", f"/api/amendments/{first}"))["status"] == "adopted"
    published = (await api.client.get(f"/api/ballots/{roll_call['id']}/roll-call")).json()
    assert {(i["delegation_id"], i["choice"], i["holder_delegation_id"]) for i in published["items"]} == {
        (a.delegation_id, "yes", a.delegation_id), (b.delegation_id, "yes", b.delegation_id),
        (c.delegation_id, "no", c.delegation_id), (d.delegation_id, "no", d.delegation_id),
        (e.delegation_id, "no", d.delegation_id)}

    # Amendment 2: secret, one member one vote. Rejected 1 to 3, one abstention.
    secret = await api.ballot(subject_kind="amendment", subject_id=second, question="Amendment 2?", secret=True)
    await api.cast(secret["id"], a, "yes")
    await api.cast(secret["id"], b, "no")
    await api.cast(secret["id"], c, "no")
    await api.cast(secret["id"], d, {"votes": [{"delegation_id": d.delegation_id, "choice": "no"},
                                              {"delegation_id": e.delegation_id, "choice": "abstain"}]})
    decided = await api.close(secret["id"])
    assert (decided["result"]["outcome"], decided["result"]["unit"]) == ("rejected", "heads")
    assert [c["heads"] for c in decided["result"]["counts"]] == [1, 3, 1]
    assert (await api.ok("GET", f"/api/amendments/{second}"))["status"] == "rejected"
    api.problem(await api.client.get(f"/api/ballots/{secret['id']}/roll-call"), 409, "ballot_secret")

    # The adopted amendment is consolidated; the motion is voted on its new text.
    await api.ok("POST", f"/api/motions/{motion_id}/consolidate", status=201)
    consolidated = await api.ok("GET", f"/api/motions/{motion_id}")
    text_sha256 = consolidated["current_version"]["text_sha256"]
    final = await api.ballot(subject_kind="motion", subject_id=motion_id, question="Adopt the motion as amended?",
                             weighted=True, majority={"kind": "two_thirds_of_votes_cast"})
    assert final["text_sha256"] == text_sha256
    assert (await api.ok("GET", f"/api/motions/{motion_id}"))["status"] == "voting"
    for party, choice in ((a, "yes"), (b, "yes"), (c, "no")):
        await api.cast(final["id"], party, choice)
    await api.cast(final["id"], d, {"votes": [{"delegation_id": d.delegation_id, "choice": "yes"},
                                             {"delegation_id": e.delegation_id, "choice": "abstain"}]})
    decided = await api.close(final["id"])
    assert decided["result"]["arithmetic"] == ("two-thirds of votes cast, by weight (yes 5, no 1, abstain 1; "
                                               "cast 6): 3 x 5 = 15 >= 2 x 6 = 12, adopted")
    motion = await api.ok("GET", f"/api/motions/{motion_id}")
    assert (motion["status"], motion["ballot_id"]) == ("adopted", final["id"])

    # The early ballot on the motion can no longer open: the motion is decided.
    await api.refused("POST", f"/api/ballots/{too_early['id']}/open", None, None, 409, "not_votable")


async def test_a_motion_ballot_without_quorum_sends_the_motion_back_to_be_voted_again(api: BallotApi) -> None:
    await api.setup(parties=5)
    a, b, c, d, e = api.parties
    motion_id = await _motion_under_debate(api, a, b)
    first = await api.ballot(subject_kind="motion", subject_id=motion_id, question="Adopt the motion?")
    for party in (a, b):
        await api.cast(first["id"], party, "yes")
    for absent in (c, d, e):                     # 2 present of 5 members: no quorum to decide
        await api.ok("POST", f"/api/delegations/{absent.delegation_id}/check-out", headers=api.admin_headers)

    decided = await api.close(first["id"])
    assert decided["result"]["outcome"] == "no_quorum"
    motion = await api.ok("GET", f"/api/motions/{motion_id}")
    assert (motion["status"], motion["ballot_id"]) == ("under_debate", None)

    # The question is voted again on the same text: the re-vote opens on the motion and decides it.
    for present in (c, d, e):
        await api.ok("POST", f"/api/delegations/{present.delegation_id}/check-in", headers=api.admin_headers)
    again = await api.ok("POST", f"/api/ballots/{first['id']}/revote", {"reason": "no quorum"}, status=201)
    reopened = await api.ok("POST", f"/api/ballots/{again['id']}/open")
    assert reopened["text_sha256"] == first["text_sha256"]
    assert (await api.ok("GET", f"/api/motions/{motion_id}"))["ballot_id"] == again["id"]
    for party in (a, b, c):
        await api.cast(again["id"], party, "yes")
    assert (await api.close(again["id"]))["result"]["outcome"] == "adopted"
    assert (await api.ok("GET", f"/api/motions/{motion_id}"))["status"] == "adopted"
