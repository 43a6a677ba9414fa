"""Use cases of ballots: create, open, cast, close, vote again; and the read side.

A package rather than one ``services.py``: the lifecycle, the casting hot path, the tally and the
reads are four groups, together well past the ~400-line mark (CONVENTIONS.md, Layout). Import from
``assembly.ballots.services``. Services run inside the caller's transaction and never commit.
"""

from __future__ import annotations

from assembly.ballots.services.casting import TURNOUT_SHARDS, CastResult, CastVote, VoteRequest, cast_votes
from assembly.ballots.services.lifecycle import (
    ELECTORATE_CHUNK,
    BallotView,
    Candidate,
    close_ballot,
    create_ballot,
    create_revote,
    create_second_ballot,
    open_ballot,
    view_ballot,
)
from assembly.ballots.services.reading import (
    ElectorateEntry,
    MyRight,
    MyRights,
    RollCallEntry,
    Turnout,
    electorate_page,
    get_ballot,
    list_ballots,
    my_rights,
    roll_call_page,
    turnout,
)

__all__ = (
    "ELECTORATE_CHUNK",
    "TURNOUT_SHARDS",
    "BallotView",
    "Candidate",
    "CastResult",
    "CastVote",
    "ElectorateEntry",
    "MyRight",
    "MyRights",
    "RollCallEntry",
    "Turnout",
    "VoteRequest",
    "cast_votes",
    "close_ballot",
    "create_ballot",
    "create_revote",
    "create_second_ballot",
    "electorate_page",
    "get_ballot",
    "list_ballots",
    "my_rights",
    "open_ballot",
    "roll_call_page",
    "turnout",
    "view_ballot",
)
