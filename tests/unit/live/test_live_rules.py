"""Who sees which live event."""

from __future__ import annotations

import uuid

import pytest

from assembly.live.rules import (
    AUDIENCE_CHAIR,
    AUDIENCE_PUBLIC,
    check_audience,
    delegation_audience,
    subscriber_audiences,
    visible,
)


def test_observer_sees_public_events_only() -> None:
    audiences = subscriber_audiences(is_chair=False, delegation_ids=[])
    assert visible(AUDIENCE_PUBLIC, audiences)
    assert not visible(AUDIENCE_CHAIR, audiences)
    assert not visible(delegation_audience(uuid.uuid4()), audiences)


def test_delegate_sees_own_delegation_not_others() -> None:
    own, other = uuid.uuid4(), uuid.uuid4()
    audiences = subscriber_audiences(is_chair=False, delegation_ids=[own])
    assert visible(delegation_audience(own), audiences)
    assert not visible(delegation_audience(other), audiences)
    assert not visible(AUDIENCE_CHAIR, audiences)


def test_chair_sees_chair_events() -> None:
    assert visible(AUDIENCE_CHAIR, subscriber_audiences(is_chair=True, delegation_ids=[]))


@pytest.mark.parametrize("audience", ["everyone", "delegation:", "delegation:not-a-uuid", ""])
def test_unknown_audiences_are_refused(audience: str) -> None:
    with pytest.raises(ValueError, match="audience"):
        check_audience(audience)
