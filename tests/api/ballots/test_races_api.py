"""Over HTTP: voters race the chair's close (sent to a second app instance); a 200 is a vote that counts."""

from __future__ import annotations

import asyncio
from collections import Counter

from assembly.settings import Settings
from tests.api.ballots.conftest import BallotApi, Party
from tests.helpers import api_client

OPTIONS = ("yes", "no", "abstain")


async def test_every_acknowledged_vote_is_counted_and_no_other(api: BallotApi, settings: Settings) -> None:
    await api.setup(parties=60)
    ballot = await api.ballot()
    ballot_id = ballot["id"]
    acknowledged: dict[str, str] = {}
    refused: Counter[str] = Counter()
    enough = asyncio.Event()

    async def voter(index: int, party: Party) -> None:
        # Votes arrive over about a second, many at once, as in a hall; the close falls among them.
        await asyncio.sleep(index * 0.02)
        choice = OPTIONS[index % 3]
        response = await api.client.post(f"/api/ballots/{ballot_id}/votes", json={"choice": choice},
                                         headers=party.headers)
        if response.status_code == 200:
            assert response.json()["votes"][0]["revision"] == 1
            acknowledged[party.delegation_id] = choice
            if len(acknowledged) >= 15:
                enough.set()
        else:
            refused[api.problem(response, 409, "ballot_closed")["code"]] += 1

    # The chair's request goes through another app process (its own pool), as behind a load balancer.
    async with api_client(settings) as chair_client:
        warm = await chair_client.get(f"/api/ballots/{ballot_id}", headers=api.chair_headers)
        assert warm.status_code == 200

        async def chair() -> None:
            await enough.wait()
            response = await chair_client.post(f"/api/ballots/{ballot_id}/close", headers=api.chair_headers)
            assert response.status_code == 200, response.text

        await asyncio.gather(chair(), *(voter(i, party) for i, party in enumerate(api.parties)))

    assert acknowledged, "some votes come before the close"
    assert refused, "the close must fall in the middle of the votes"
    assert len(acknowledged) + refused["ballot_closed"] == 60
    result = (await api.client.get(f"/api/ballots/{ballot_id}")).json()["result"]
    expected = Counter(acknowledged.values())
    assert {c["option"]: c["heads"] for c in result["counts"]} == {o: expected[o] for o in OPTIONS}
    roll_call = (await api.client.get(f"/api/ballots/{ballot_id}/roll-call")).json()
    assert {e["delegation_id"]: e["choice"] for e in roll_call["items"] if e["voted"]} == acknowledged
