"""What a ballot request must satisfy before anything is loaded or written (pure, no I/O).

The arithmetic of majorities, quorum, elections, splits and secrecy is in :mod:`assembly.ballots.rules`;
these are the shape rules of the ballot API: which settings go together (issue 6, "Ballots"), the
options a ballot offers, and the forms a cast may take. Each problem names the request field.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from assembly.assemblies.rules import FieldProblem, MajorityRule, RuleSet, rule_set_problems

__all__ = (
    "ABSTAIN",
    "MOTION_OPTIONS",
    "SUBJECT_KINDS_WITH_SUBJECT",
    "CastTarget",
    "FieldProblem",
    "ballot_options",
    "ballot_settings_problems",
    "cast_request_problem",
    "normalize_split",
)

ABSTAIN = "abstain"
MOTION_OPTIONS = ("yes", "no", ABSTAIN)
"""The options of every ballot that is not an election (issue 6: yes / no / abstain)."""

SUBJECT_KINDS_WITH_SUBJECT = frozenset({"motion", "amendment", "motion_part"})
"""Kinds that name a subject of the motions domain; procedural questions and elections name none."""

_CANDIDATE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True, slots=True)
class CastTarget:
    """One right a cast names: the delegation whose right it is, and the choice or the split for it."""

    delegation_id: uuid.UUID | None
    """None: every right the caller's delegation holds."""
    choice: str | None
    split: Mapping[str, int] | None
    field: str
    """Where the request named it (``votes[2]``, ``delegation_ids[0]``, or ``choice``)."""


def ballot_options(subject_kind: str, candidate_keys: Sequence[str] | None) -> list[str]:
    """The options of a ballot: yes, no, abstain; for an election each candidate's key, then abstain.

    In an election "abstain" is the blank ballot: reported, never a valid vote (docs/procedures.md).
    """
    if subject_kind == "election":
        return [*(candidate_keys or ()), ABSTAIN]
    return list(MOTION_OPTIONS)


def ballot_settings_problems(
    *,
    subject_kind: str,
    subject_id: uuid.UUID | None,
    question: str,
    majority: MajorityRule | None,
    candidate_keys: Sequence[str] | None,
    seats: int | None,
) -> list[FieldProblem]:
    """Check a new ballot's settings; an empty list means they go together.

    - a motion, amendment or motion-part ballot names its ``subject_id``; a procedural question and
      an election name none;
    - the question is not blank;
    - an election lists ``candidates`` (keys ``[a-z0-9][a-z0-9_-]*``, each once, never ``abstain``)
      and ``seats`` (at most one per candidate), and takes no ``majority`` (it is decided by the
      election rules); other ballots take neither candidates nor seats;
    - a majority's fractions are proper (numerator <= denominator), as in a rule set.
    """
    problems: list[FieldProblem] = []
    if subject_kind in SUBJECT_KINDS_WITH_SUBJECT and subject_id is None:
        problems.append(FieldProblem("subject_id", f"a {subject_kind} ballot names the {subject_kind} voted on"))
    if subject_kind not in SUBJECT_KINDS_WITH_SUBJECT and subject_id is not None:
        problems.append(FieldProblem("subject_id", f"a {subject_kind} ballot has no subject; leave it out"))
    if not question.strip():
        problems.append(FieldProblem("question", "must not be blank"))
    if subject_kind == "election":
        problems += _election_problems(majority, candidate_keys, seats)
    else:
        if candidate_keys is not None:
            problems.append(FieldProblem("candidates", "only an election has candidates"))
        if seats is not None:
            problems.append(FieldProblem("seats", "only an election has seats"))
    if majority is not None:
        problems += [FieldProblem(p.field.replace("default_majority", "majority", 1), p.message)
                     for p in rule_set_problems(RuleSet(default_majority=majority))]
    return problems


def _election_problems(majority: MajorityRule | None, keys: Sequence[str] | None,
                       seats: int | None) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if majority is not None:
        problems.append(FieldProblem("majority", "an election is decided by the election rules, not a majority rule"))
    if not keys:
        problems.append(FieldProblem("candidates", "an election needs at least one candidate"))
    seen: set[str] = set()
    for index, key in enumerate(keys or ()):
        if not _CANDIDATE_KEY.match(key):
            problems.append(FieldProblem(f"candidates[{index}].key",
                                         "1 to 64 characters: lower-case letters, digits, '-' or '_', "
                                         "starting with a letter or digit"))
        elif key == ABSTAIN:
            problems.append(FieldProblem(f"candidates[{index}].key", "'abstain' is the blank ballot's option"))
        elif key in seen:
            problems.append(FieldProblem(f"candidates[{index}].key", f"candidate {key!r} is listed twice"))
        seen.add(key)
    if seats is None:
        problems.append(FieldProblem("seats", "an election says how many seats it fills"))
    elif keys and seats > len(keys):
        problems.append(FieldProblem("seats", f"more seats ({seats}) than candidates ({len(keys)})"))
    return problems


def cast_request_problem(
    *,
    choice: str | None,
    delegation_ids: Sequence[uuid.UUID] | None,
    votes: Sequence[tuple[uuid.UUID, str | None, Mapping[str, int] | None]] | None,
) -> FieldProblem | None:
    """Check the form of a cast: one choice for several rights, or one entry per right.

    Exactly one of ``choice`` (with ``delegation_ids``, or alone for every right the caller's
    delegation holds) and ``votes`` (``(delegation_id, choice, split)`` per right, each with exactly
    one of choice and split); no delegation named twice.
    """
    if (choice is None) == (votes is None):
        return FieldProblem("choice", "send either 'choice' (the same vote for several rights) or 'votes' "
                                      "(one entry per right), not both and not neither")
    if votes is not None and delegation_ids is not None:
        return FieldProblem("delegation_ids", "name the rights inside 'votes', or use 'choice' with 'delegation_ids'")
    named = list(delegation_ids or ()) if votes is None else [entry[0] for entry in votes]
    seen: set[uuid.UUID] = set()
    for index, delegation_id in enumerate(named):
        if delegation_id in seen:
            where = f"votes[{index}].delegation_id" if votes is not None else f"delegation_ids[{index}]"
            return FieldProblem(where, "this delegation's right is named twice")
        seen.add(delegation_id)
    for index, (_, entry_choice, split) in enumerate(votes or ()):
        if (entry_choice is None) == (split is None):
            return FieldProblem(f"votes[{index}]", "give either 'choice' or 'split' for each right")
    return None


def normalize_split(split: Mapping[str, int]) -> tuple[str | None, dict[str, int] | None]:
    """A valid split as stored: parts of 0 dropped; all the weight on one option is a whole vote.

    Returns ``(choice, None)`` when a single option holds the whole weight, else ``(None, parts)``
    with the positive parts, so that one right is counted under one option whenever it can be.
    """
    positive = {option: part for option, part in split.items() if part > 0}
    if len(positive) == 1:
        return next(iter(positive)), None
    return None, dict(sorted(positive.items()))
