"""When a motion, an amendment or a part may be voted on, and division of the question (pure, no I/O).

- Amendments are voted before the motion, in the chair's order (UN GA r.90); a motion is put to the
  vote only when no amendment awaits a decision and the adopted ones are consolidated into its text.
- Division (UN GA r.89): the chair splits the motion into parts voted separately; the parts adopted
  are then voted as a whole; if every operative part is rejected, the whole proposal is rejected.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, TypeVar

from assembly.assemblies.rules import Refusal
from assembly.motions.rules.amendments import Paragraph

__all__ = (
    "after_division",
    "amendment_vote_refusal",
    "division_falls",
    "division_refusal",
    "motion_vote_refusal",
    "paragraphs_in_text_order",
    "part_is_operative",
    "part_vote_refusal",
)

K = TypeVar("K", bound=Hashable)


def _not_votable(message: str) -> Refusal:
    return Refusal("not_votable", message)


def motion_vote_refusal(*, status: str, pending_amendments: Sequence[str], unapplied_adopted: Sequence[str],
                        pending_parts: Sequence[int]) -> Refusal | None:
    """The motion may be voted on as a whole now (409 ``not_votable`` otherwise).

    It is under debate; no amendment awaits a decision (they are voted first, UN GA r.90); every
    adopted amendment is in its text (consolidation); and, if it was divided, every part is decided.
    """
    if status != "under_debate":
        return _not_votable(f"the motion is {status}; only a motion under debate can be put to the vote")
    if pending_amendments:
        return _not_votable("amendments are voted before the motion; still to decide: "
                            + ", ".join(pending_amendments))
    if unapplied_adopted:
        return _not_votable("consolidate the motion first: adopted amendments not yet in its text: "
                            + ", ".join(unapplied_adopted))
    if pending_parts:
        return _not_votable("the motion was divided; parts still to vote on: "
                            + ", ".join(str(number) for number in pending_parts))
    return None


def amendment_vote_refusal(key: K, *, motion_status: str, status: str, voting_now: str | None,
                           positions: Mapping[K, int | None], labels: Mapping[K, str]) -> Refusal | None:
    """The amendment may be voted on now: admitted and next in the chair's voting order (UN GA r.90).

    ``positions`` maps every admitted amendment of the motion awaiting a vote to its place in the
    order (None: not placed yet). ``voting_now`` labels an amendment of the motion being voted on.
    """
    if motion_status != "under_debate":
        return _not_votable(f"the motion is {motion_status}; amendments are voted while it is under debate")
    if status != "admitted":
        return _not_votable(f"the amendment is {status}; only an admitted amendment can be put to the vote")
    if voting_now is not None:
        return _not_votable(f"amendment {voting_now} is being voted on; one at a time")
    unplaced = sorted((labels[k] for k, position in positions.items() if position is None))
    if unplaced:
        return _not_votable("the chair has not placed every admitted amendment in the voting order: "
                            + ", ".join(unplaced))
    first = min(positions, key=lambda k: positions[k] or 0)
    if first != key:
        return _not_votable(f"{labels[first]} comes first in the chair's voting order")
    return None


def part_vote_refusal(number: int, *, motion_status: str, status: str, voting_now: int | None,
                      next_pending: int | None) -> Refusal | None:
    """The part may be voted on now: the motion is under debate and this is the next pending part."""
    if motion_status != "under_debate":
        return _not_votable(f"the motion is {motion_status}; its parts are voted while it is under debate")
    if status != "pending":
        return _not_votable(f"part {number} is {status}")
    if voting_now is not None:
        return _not_votable(f"part {voting_now} is being voted on; one at a time")
    if next_pending != number:
        return _not_votable(f"part {next_pending} comes first; parts are voted in their order")
    return None


def paragraphs_in_text_order(paragraph_ids: Sequence[str], paragraphs: Sequence[Paragraph]) -> list[str]:
    """The ids in the order the paragraphs appear in the text."""
    wanted = set(paragraph_ids)
    return [p.id for p in paragraphs if p.id in wanted]


def division_refusal(parts: Sequence[Sequence[str]], paragraphs: Sequence[Paragraph]) -> Refusal | None:
    """Parts are sets of paragraphs of the current version: each known, none in two parts (422 naming it)."""
    known = {p.id for p in paragraphs}
    owner: dict[str, int] = {}
    for i, part in enumerate(parts):
        for j, pid in enumerate(part):
            field = f"parts[{i}].paragraph_ids[{j}]"
            if pid not in known:
                return Refusal("unknown_paragraph", f"the version has no paragraph {pid!r}", kind="invalid",
                               field=field)
            if pid in owner:
                where = "earlier in this part" if owner[pid] == i else f"in part {owner[pid] + 1}"
                return Refusal("paragraph_in_two_parts", f"paragraph {pid} is already {where}", kind="invalid",
                               field=field)
            owner[pid] = i
    return None


def part_is_operative(paragraph_ids: Sequence[str], paragraphs: Sequence[Paragraph]) -> bool:
    """A part is operative when it holds at least one operative paragraph."""
    wanted = set(paragraph_ids)
    return any(p.kind == "operative" for p in paragraphs if p.id in wanted)


def division_falls(paragraphs: Sequence[Paragraph], kept: Sequence[Paragraph]) -> bool:
    """UN GA r.89: "if all operative parts of the proposal have been rejected, the proposal shall be
    considered to have been rejected as a whole".

    ``paragraphs`` is the divided text, ``kept`` what is left once the rejected parts are removed. The
    motion falls when it had operative paragraphs and none is left (paragraphs in no part stay), or
    when nothing at all is left.
    """
    had_operative = any(p.kind == "operative" for p in paragraphs)
    return not kept or (had_operative and not any(p.kind == "operative" for p in kept))


def after_division(paragraphs: Sequence[Paragraph], rejected: Sequence[tuple[int, Sequence[str]]], *,
                   based_on: int) -> tuple[list[Paragraph], dict[str, Any]]:
    """The text voted on as a whole: the paragraphs of rejected parts removed, with lineage.

    ``rejected`` holds (part number, paragraph ids) of the parts rejected; paragraphs in no part stay.
    """
    removed = {pid: number for number, ids in rejected for pid in ids}
    kept = [p for p in paragraphs if p.id not in removed]
    lineage: dict[str, Any] = {
        "based_on": based_on,
        "amendments": [],
        "paragraphs": [{"paragraph_id": p.id, "change": "unchanged"} for p in kept],
        "deleted": [{"paragraph_id": p.id, "part_number": removed[p.id]} for p in paragraphs if p.id in removed],
    }
    return kept, lineage
