"""Rules of the agenda, the speakers' list and the quorum call (pure, no I/O).

Each ``*_refusal`` function answers "may this happen now?" with None (yes) or a
:class:`~assembly.assemblies.rules.Refusal` carrying the stable error code the API returns; the
services turn refusals into domain errors. Times are the database's (the services pass ``now()`` in).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from assembly.assemblies.rules import QuorumRule, Refusal
from assembly.ballots.rules.quorum import QuorumCheck, quorum_met

__all__ = (
    "MAX_AGENDA_ITEMS",
    "AgendaProblem",
    "QueuedRequest",
    "SittingQuorum",
    "SpeechTiming",
    "agenda_change_refusal",
    "clear_current_refusal",
    "end_speech_refusal",
    "floor_request_refusal",
    "floor_right_refusal",
    "give_floor_refusal",
    "item_edit_refusal",
    "item_transition_refusal",
    "list_switch_refusal",
    "reorder_problems",
    "sitting_quorum",
    "sitting_refusal",
    "speaker_command_refusal",
    "speaking_order",
    "speech_timing",
    "time_used",
    "withdraw_refusal",
)

MAX_AGENDA_ITEMS = 500
"""Most items one agenda holds (bounds the reorder command's list)."""


# -- The sitting -----------------------------------------------------------------------------------


def agenda_change_refusal(assembly_status: str) -> Refusal | None:
    """The agenda is built and edited while the assembly is planned or open; a closed one's is final."""
    if assembly_status == "closed":
        return Refusal("assembly_closed", "the assembly is closed; its agenda no longer changes")
    return None


def sitting_refusal(assembly_status: str) -> Refusal | None:
    """Items are opened, closed, deferred and made current, speakers heard and quorum called only
    while the assembly sits (status ``open``)."""
    if assembly_status != "open":
        return Refusal("assembly_not_open", f"the assembly is {assembly_status}; the sitting is not under way")
    return None


# -- Agenda items ----------------------------------------------------------------------------------

# target: the statuses it may come from, and the code when the item is already there.
_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "open": (frozenset({"pending", "deferred"}), "item_already_open"),
    "closed": (frozenset({"open"}), "item_already_closed"),
    "deferred": (frozenset({"pending", "open"}), "item_already_deferred"),
}


def item_transition_refusal(current: str, target: str) -> Refusal | None:
    """An item goes pending -> open -> closed; pending or open -> deferred; deferred -> open.

    A closed item is final (409 ``item_closed``); closing needs an open item (409 ``item_not_open``);
    a command that would leave the status as it is gets 409 ``item_already_<status>``.
    """
    sources, same_code = _TRANSITIONS[target]
    if current == target:
        return Refusal(same_code, f"the item is already {current}")
    if current == "closed":
        return Refusal("item_closed", "the item is closed; it can no longer change")
    if current not in sources:
        return Refusal("item_not_open", f"the item is {current}; only an open item can be closed")
    return None


def item_edit_refusal(status: str) -> Refusal | None:
    """A closed item's title, kind, times and links are final."""
    if status == "closed":
        return Refusal("item_closed", "the item is closed; it can no longer change")
    return None


@dataclass(frozen=True, slots=True)
class AgendaProblem:
    """One refused entry of a command: its code, the field it names, and what is wrong."""

    code: str
    field: str
    message: str


def reorder_problems(current: Iterable[uuid.UUID], proposed: Sequence[uuid.UUID]) -> list[AgendaProblem]:
    """The new order must name every item of the agenda exactly once, and nothing else.

    Problems, in this order: an item named twice (``duplicate_items``, field ``item_ids[i]``), an id
    that is not an item of this agenda (``unknown_items``, field ``item_ids[i]``), items left out
    (``missing_items``, field ``item_ids``, the message lists them). An empty list means the order
    is accepted: item ``proposed[i]`` gets position i + 1.
    """
    known = set(current)
    problems: list[AgendaProblem] = []
    seen: set[uuid.UUID] = set()
    for index, item_id in enumerate(proposed):
        if item_id in seen:
            problems.append(AgendaProblem("duplicate_items", f"item_ids[{index}]", "this item is named twice"))
        seen.add(item_id)
    for index, item_id in enumerate(proposed):
        if item_id not in known:
            problems.append(AgendaProblem("unknown_items", f"item_ids[{index}]", "not an item of this agenda"))
    missing = sorted(known - seen)
    if missing:
        listed = ", ".join(str(item_id) for item_id in missing)
        problems.append(AgendaProblem("missing_items", "item_ids",
                                      f"the new order leaves out {len(missing)} item(s): {listed}"))
    return problems


def clear_current_refusal(current_item_id: uuid.UUID | None, target: uuid.UUID | None) -> Refusal | None:
    """Making an item current that already is (or clearing when none is) changes nothing: refused."""
    if current_item_id == target:
        what = "no item is current" if target is None else "this item is already current"
        return Refusal("already_current", what)
    return None


# -- The speakers' list ----------------------------------------------------------------------------


def speaker_command_refusal(item_status: str) -> Refusal | None:
    """The speakers' list is worked only while its item is open (409 ``item_closed``/``item_not_open``)."""
    if item_status == "closed":
        return Refusal("item_closed", "the item is closed; its speakers' list no longer changes")
    if item_status != "open":
        return Refusal("item_not_open", f"the item is {item_status}; open it first")
    return None


def floor_right_refusal(credentials_status: str) -> Refusal | None:
    """A delegation whose credentials were rejected is not seated and may not ask for the floor (403
    ``credentials_rejected``); one seated provisionally (credentials submitted) or without a vote
    (fees in arrears) may speak."""
    if credentials_status == "rejected":
        return Refusal("credentials_rejected", "your delegation's credentials were rejected; it may not take the floor")
    return None


def floor_request_refusal(*, item_status: str, list_open: bool, kind: str, has_pending: bool) -> Refusal | None:
    """May a delegation ask for the floor on this item now?

    - the item is open (``item_closed``, ``item_not_open``);
    - the list is open, except for a point of order, which may be raised at any time (UN GA r.71);
      a closed list refuses requests to speak (``speakers_list_closed``);
    - the delegation has no other pending request on the item, of either kind (``request_pending``).
    """
    refusal = speaker_command_refusal(item_status)
    if refusal:
        return refusal
    if not list_open and kind != "point_of_order":
        return Refusal("speakers_list_closed", "the chair has closed the list of speakers")
    if has_pending:
        return Refusal("request_pending", "your delegation already has a pending request on this item; "
                                          "withdraw it first")
    return None


def withdraw_refusal(status: str) -> Refusal | None:
    """Only a pending request can be withdrawn (a speech under way is ended by the chair)."""
    if status != "pending":
        return Refusal("request_not_pending", f"the request is {status}; only a pending request can be withdrawn")
    return None


def give_floor_refusal(*, item_status: str, someone_speaking: bool, waiting: int) -> Refusal | None:
    """The chair gives the floor on an open item, to nobody while somebody speaks, and only to a waiting request.

    A closed list still lets the delegations already on it speak.
    """
    refusal = speaker_command_refusal(item_status)
    if refusal:
        return refusal
    if someone_speaking:
        return Refusal("speaker_has_floor", "a speaker has the floor; end the speech first")
    if waiting == 0:
        return Refusal("no_pending_requests", "nobody is waiting to speak")
    return None


def end_speech_refusal(*, item_status: str, someone_speaking: bool) -> Refusal | None:
    """A speech can be ended only while one is under way."""
    refusal = speaker_command_refusal(item_status)
    if refusal:
        return refusal
    if not someone_speaking:
        return Refusal("no_current_speaker", "nobody has the floor")
    return None


def list_switch_refusal(*, item_status: str, list_open: bool, open_it: bool) -> Refusal | None:
    """The chair closes an open list or reopens a closed one, on an open item."""
    refusal = speaker_command_refusal(item_status)
    if refusal:
        return refusal
    if list_open and open_it:
        return Refusal("speakers_list_already_open", "the list of speakers is already open")
    if not list_open and not open_it:
        return Refusal("speakers_list_already_closed", "the list of speakers is already closed")
    return None


@dataclass(frozen=True, slots=True)
class QueuedRequest:
    """What the speaking order needs to know of a pending request."""

    request_id: uuid.UUID
    kind: str
    request_no: int


def speaking_order(pending: Iterable[QueuedRequest]) -> list[QueuedRequest]:
    """The order in which waiting delegations get the floor.

    Points of order first, in the order they were raised; then requests to speak in the order they
    were made (``request_no``, numbered by the database under the item's lock).
    """
    return sorted(pending, key=lambda r: (r.kind != "point_of_order", r.request_no))


@dataclass(frozen=True, slots=True)
class SpeechTiming:
    """Whole seconds of one speech, measured on the database's clock."""

    elapsed_seconds: int
    remaining_seconds: int | None
    """Of the speech limit; None when the item sets none; 0 once the limit is reached."""
    overrun_seconds: int
    """Seconds spoken past the limit (0 within it or without one)."""


def speech_timing(started_at: datetime, until: datetime, limit_seconds: int | None) -> SpeechTiming:
    """Elapsed = floor(until - started_at) in seconds (never negative); remaining = limit - elapsed, at least 0.

    ``until`` is the end of the speech, or the database's ``now()`` while it goes on.
    """
    elapsed = max(0, int((until - started_at).total_seconds()))
    if limit_seconds is None:
        return SpeechTiming(elapsed, None, 0)
    return SpeechTiming(elapsed, max(0, limit_seconds - elapsed), max(0, elapsed - limit_seconds))


def time_used(speeches: Iterable[tuple[datetime, datetime]]) -> int:
    """Seconds of the item's allotment used: the sum of whole seconds of each (started, until) speech."""
    return sum(max(0, int((until - started).total_seconds())) for started, until in speeches)


# -- The quorum call -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SittingQuorum:
    """The outcome of a quorum call and the counts behind it."""

    membership_count: int
    membership_weight: int
    present_count: int
    present_weight: int
    present_without_vote_count: int
    debate: QuorumCheck
    decide: QuorumCheck

    @property
    def may_debate(self) -> bool:
        """The quorum to debate is met."""
        return self.debate.met

    @property
    def may_decide(self) -> bool:
        """The quorum to decide is met."""
        return self.decide.met


def sitting_quorum(rule: QuorumRule, delegations: Iterable[tuple[bool, bool, int]]) -> SittingQuorum:
    """Count who is present and apply the assembly's quorum rule (UN GA r.67 shape).

    ``delegations`` gives, for each delegation of the assembly, (eligible, checked in, weight). The
    membership is the delegations entitled to vote (eligible under the rules in force) and their
    total weight; present are those of them checked in, with their weight. Delegations checked in
    without a vote are reported but not counted. The thresholds (``to_debate``, ``to_decide``:
    ``majority_of_members``, ``fraction_of_members`` n/d, ``fraction_of_weight`` n/d) are applied by
    :func:`assembly.ballots.rules.quorum.quorum_met`, in integers.
    """
    membership_count = membership_weight = present_count = present_weight = without_vote = 0
    for eligible, checked_in, weight in delegations:
        if eligible:
            membership_count += 1
            membership_weight += weight
            if checked_in:
                present_count += 1
                present_weight += weight
        elif checked_in:
            without_vote += 1
    counts = {"present_heads": present_count, "present_weight": present_weight,
              "membership_heads": membership_count, "membership_weight": membership_weight}
    return SittingQuorum(
        membership_count=membership_count,
        membership_weight=membership_weight,
        present_count=present_count,
        present_weight=present_weight,
        present_without_vote_count=without_vote,
        debate=quorum_met(rule, purpose="debate", **counts),
        decide=quorum_met(rule, purpose="decide", **counts),
    )
