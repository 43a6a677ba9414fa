"""Who may call what: every ballot endpoint against every role that must be refused (nothing changed)."""

from __future__ import annotations

import pytest

from tests.api.ballots.conftest import BallotApi

CHAIR_COMMANDS = ("open", "close", "revote", "second-ballot")


async def test_only_the_chair_or_the_secretariat_runs_a_ballot(api: BallotApi) -> None:
    await api.setup(parties=2)
    delegate = api.parties[0]
    create = f"/api/assemblies/{api.assembly_id}/ballots"
    body = {"subject_kind": "procedural", "question": "Q?"}
    for headers, status, code in ((api.observer_headers, 403, "assembly_role_required"),
                                  (api.auditor_headers, 403, "assembly_role_required"),
                                  (delegate.headers, 403, "assembly_role_required"),
                                  ({}, 401, "unauthorized")):
        await api.refused("POST", create, body, headers, status, code)
    draft = await api.ballot(open_it=False)
    for command in CHAIR_COMMANDS:
        json = {"reason": "again"} if command == "revote" else None
        for headers, status, code in ((api.observer_headers, 403, "assembly_role_required"),
                                      (api.auditor_headers, 403, "assembly_role_required"),
                                      (delegate.headers, 403, "assembly_role_required"),
                                      ({}, 401, "unauthorized")):
            await api.refused("POST", f"/api/ballots/{draft['id']}/{command}", json, headers, status, code)
    # The secretariat may stand in for the chair.
    opened = await api.ok("POST", f"/api/ballots/{draft['id']}/open", headers=api.admin_headers)
    assert opened["status"] == "open"


@pytest.mark.parametrize("who", ["chair", "auditor", "observer", "secretariat"])
async def test_only_a_delegations_voter_casts(api: BallotApi, who: str) -> None:
    await api.setup(parties=2)
    ballot = await api.ballot()
    headers = {"chair": api.chair_headers, "auditor": api.auditor_headers, "observer": api.observer_headers,
               "secretariat": api.admin_headers}[who]
    await api.refused("POST", f"/api/ballots/{ballot['id']}/votes", {"choice": "yes"}, headers, 403, "not_a_delegate")
    await api.refused("POST", f"/api/ballots/{ballot['id']}/votes", {"choice": "yes"}, {}, 401, "unauthorized")
    api.problem(await api.client.get(f"/api/ballots/{ballot['id']}/my-rights", headers=headers), 403,
                "not_a_delegate")
    api.problem(await api.client.get(f"/api/ballots/{ballot['id']}/my-rights"), 401, "unauthorized")


async def test_results_are_public(api: BallotApi) -> None:
    await api.setup(parties=2)
    ballot = await api.ballot()
    await api.cast(ballot["id"], api.parties[0], "yes")
    await api.close(ballot["id"])
    for path in (f"/api/ballots/{ballot['id']}", f"/api/ballots/{ballot['id']}/turnout",
                 f"/api/ballots/{ballot['id']}/electorate", f"/api/ballots/{ballot['id']}/roll-call",
                 f"/api/assemblies/{api.assembly_id}/ballots"):
        response = await api.client.get(path)   # no token at all
        assert response.status_code == 200, (path, response.text)
    schema = (await api.client.get("/schema/openapi.json")).json()
    operations = {op["operationId"] for item in schema["paths"].values() for op in item.values()
                  if isinstance(op, dict) and "operationId" in op}
    assert {"CreateBallot", "ListBallots", "GetBallot", "OpenBallot", "CloseBallot", "CastVotes", "GetBallotTurnout",
            "GetBallotElectorate", "GetBallotRollCall", "GetMyBallotRights", "RevoteBallot",
            "CreateSecondBallot"} <= operations
