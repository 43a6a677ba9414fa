"""A ballot's opening, casting and closing follow the database's clock, not the app servers'.

App servers behind a load balancer never agree exactly on the time. The app's clock is moved three
hours ahead (every ``datetime`` the ballot and assembly code can read); the times the ballot records
must still fall between two readings of the database's clock taken around the requests, and a vote
after closing is refused by the ballot's state, whatever any clock says.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.api.ballots.conftest import BallotApi

SKEW = timedelta(hours=3)


class _SkewedDatetime(datetime):
    """``datetime`` of an app server whose clock runs three hours ahead."""

    @classmethod
    def now(cls, tz: Any = None) -> _SkewedDatetime:  # type: ignore[override]
        return super().now(tz) + SKEW

    @classmethod
    def utcnow(cls) -> _SkewedDatetime:  # type: ignore[override]
        return super().now(UTC).replace(tzinfo=None) + SKEW


def _skew_app_clock(monkeypatch: pytest.MonkeyPatch) -> int:
    patched = 0
    for name, module in list(sys.modules.items()):
        if name.startswith(("assembly.ballots", "assembly.assemblies", "assembly.audit")) and \
                getattr(module, "datetime", None) is datetime:
            monkeypatch.setattr(module, "datetime", _SkewedDatetime)
            patched += 1
    return patched


async def _db_now(api: BallotApi) -> datetime:
    value: datetime = (await api.rows("SELECT clock_timestamp()"))[0][0]
    return value


async def test_opening_casting_and_closing_use_the_database_clock(api: BallotApi,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    await api.setup(parties=2)
    assert _skew_app_clock(monkeypatch) > 0
    before = await _db_now(api)
    ballot = await api.ballot()
    await api.cast(ballot["id"], api.parties[0], "yes")
    closed = await api.close(ballot["id"])
    after = await _db_now(api)
    opened_at = datetime.fromisoformat(closed["opened_at"])
    closed_at = datetime.fromisoformat(closed["closed_at"])
    assert before <= opened_at <= closed_at <= after
    (cast_at,) = (await api.rows("SELECT cast_at FROM vote WHERE ballot_id = :b", b=ballot["id"]))[0]
    assert opened_at <= cast_at <= closed_at
    # Closed is closed: the state decides, no clock comparison lets a late vote in.
    await api.refused("POST", f"/api/ballots/{ballot['id']}/votes", {"choice": "no"}, api.parties[1].headers,
                      409, "ballot_closed")
