"""A secret ballot never pairs a delegation (or its right, or its voter) with a choice: not in any API answer,
live event, audit event or log line. Roll-call ballots publish every right's choice once closed."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from assembly.live.services import CHANNEL
from tests.api.ballots.conftest import BallotApi

CHOICE_WORD = re.compile(r"\b(yes|no|abstain)\b")


class _Collect(logging.Handler):
    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        if formatter is not None:
            self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def _every_log_line() -> Iterator[list[str]]:
    """Capture every log line of every logger at DEBUG, rendered as the application renders them."""
    root = logging.getLogger()
    formatter = root.handlers[0].formatter if root.handlers else None
    handler = _Collect(formatter)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _pairs(text: str, identities: set[str]) -> bool:
    """Whether ``text`` names one of the voters' identities and a choice as well."""
    return any(identity in text for identity in identities) and CHOICE_WORD.search(text) is not None


async def test_nothing_links_a_delegation_to_its_choice_in_a_secret_ballot(api: BallotApi, database_url: str) -> None:
    await api.setup(rules={"proxies": {"allowed": True, "max_per_holder": 2}, "vote_change_allowed": True},
                    parties=5)
    p0, p1, p2, p3, p4 = api.parties
    await api.proxy(p4, p3)
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    listener = await asyncpg.connect(dsn)
    notified: list[str] = []
    await listener.add_listener(CHANNEL, lambda *args: notified.append(args[3]))
    answers: list[Any] = []
    try:
        with _every_log_line() as lines:
            ballot = await api.ballot(secret=True, question="Shall the chair be censured?")
            ballot_id = ballot["id"]
            answers.append(await api.cast(ballot_id, p0, "yes"))
            answers.append(await api.cast(ballot_id, p1, "no"))
            answers.append(await api.cast(ballot_id, p2, "abstain"))
            answers.append(await api.cast(ballot_id, p3, {"votes": [
                {"delegation_id": p3.delegation_id, "choice": "yes"},
                {"delegation_id": p4.delegation_id, "choice": "no"}]}))
            answers.append(await api.cast(ballot_id, p1, "yes"))   # a change
            for party in api.parties:
                answers.append(await api.ok("GET", f"/api/ballots/{ballot_id}/my-rights", headers=party.headers))
            answers.append((await api.client.get(f"/api/ballots/{ballot_id}/turnout")).json())
            answers.append((await api.client.get(f"/api/ballots/{ballot_id}/electorate")).json())
            closed = await api.close(ballot_id)
            answers.append(closed)
            answers.append((await api.client.get(f"/api/ballots/{ballot_id}")).json())
            roll_call = await api.client.get(f"/api/ballots/{ballot_id}/roll-call")
            api.problem(roll_call, 409, "ballot_secret")
            logging.getLogger("assembly.test").info("capture works: yes")  # the capture itself is live
    finally:
        await listener.close()

    assert closed["result"]["counts"] == [{"option": "yes", "heads": 3, "weight": 3},
                                          {"option": "no", "heads": 1, "weight": 1},
                                          {"option": "abstain", "heads": 1, "weight": 1}]
    rights = await api.rows("SELECT id FROM ballot_right WHERE ballot_id = :b", b=ballot_id)
    identities = ({p.delegation_id for p in api.parties} | {str(p.user.id) for p in api.parties}
                  | {str(r.id) for r in rights})

    # API answers: receipts and "my rights" say that a right voted, never how.
    for answer in answers:
        for item in answer.get("votes", []) + answer.get("rights", []):
            assert (item["choice"], item["split"]) == (None, None), item
    texts = [json.dumps(a) for a in answers]
    assert not [t for t in texts if _pairs(t, identities) and '"choice": null' not in t], "an answer pairs"

    # Audit events: participation per right, choices only as counts.
    events = await api.rows("SELECT kind, payload, actor_user_id FROM audit_event WHERE subject_id = :b ORDER BY id",
                            b=ballot_id)
    kinds = [e.kind for e in events]
    assert kinds.count("ballot.vote_cast") == 5
    assert kinds.count("ballot.vote_changed") == 1
    for event in events:
        payload = json.dumps(event.payload)
        if event.kind in {"ballot.vote_cast", "ballot.vote_changed"}:
            assert "choice" not in event.payload
            assert "split" not in event.payload
        names_a_voter = any(i in payload for i in identities) or str(event.actor_user_id) in identities
        assert not (names_a_voter and CHOICE_WORD.search(payload.replace('"options": ["yes", "no", "abstain"]', ""))), (
            event.kind, payload)

    # Live events, stored and unsequenced (turnout hints), carry no choice at all.
    stored = await api.rows("SELECT type, data FROM live_event WHERE subject_id = :b", b=ballot_id)
    assert [row.type for row in stored] == ["ballot.created", "ballot.opened", "ballot.closed"]
    assert not [n for n in notified if _pairs(n, identities)]
    assert sum('"ballot.turnout"' in n for n in notified) == 5

    # Log lines: none names a voter together with a choice.
    assert any("capture works: yes" in line for line in lines)
    assert len(lines) > 10
    assert not [line for line in lines if _pairs(line, identities)]


async def test_a_roll_call_ballot_publishes_each_right_and_its_choice(api: BallotApi) -> None:
    await api.setup(parties=3)
    a, b, c = api.parties
    ballot = await api.ballot(secret=False)
    receipt = await api.cast(ballot["id"], a, "yes")
    assert receipt["votes"][0]["choice"] == "yes"
    await api.cast(ballot["id"], b, "no")
    await api.close(ballot["id"])
    roll_call = (await api.client.get(f"/api/ballots/{ballot['id']}/roll-call")).json()
    assert {(e["delegation_id"], e["voted"], e["choice"]) for e in roll_call["items"]} == {
        (a.delegation_id, True, "yes"), (b.delegation_id, True, "no"), (c.delegation_id, False, None)}
    events = await api.rows("SELECT payload FROM audit_event WHERE kind = 'ballot.vote_cast' AND subject_id = :b",
                            b=ballot["id"])
    assert {(e.payload["delegation_id"], e.payload["choice"]) for e in events} == {
        (a.delegation_id, "yes"), (b.delegation_id, "no")}
