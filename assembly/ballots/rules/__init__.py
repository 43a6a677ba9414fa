"""Rules of procedure for ballots: pure functions and frozen records, no I/O.

A package rather than one ``rules.py`` because majorities, quorum, elections and lots, vote
changes and split votes, and the secrecy check together pass the ~400-line mark (CONVENTIONS.md,
Layout); import from ``assembly.ballots.rules`` as from a module. Every formula is stated in
docs/procedures.md, precisely enough to recompute any outcome by hand.

The majority and quorum rules take the rule-set documents of :mod:`assembly.assemblies.rules`
(``MajorityRule``, ``QuorumRule``) directly, so a ``kind`` string and its parameters are defined in
one place only.
"""

from __future__ import annotations

from assembly.ballots.rules.elections import (
    ElectionResult,
    LotDraw,
    SecondBallot,
    draw_lots,
    second_ballot_candidates,
    second_ballot_result,
    several_seats_result,
    single_seat_first_ballot,
)
from assembly.ballots.rules.majorities import (
    Base,
    Decision,
    MajorityResult,
    Outcome,
    Unit,
    apply_majority,
    decide,
    double_majority,
    majority_kind,
    majority_of_members_present,
    majority_of_membership,
    share_of_total_weight,
    simple_majority_of_votes_cast,
    two_thirds_of_votes_cast,
)
from assembly.ballots.rules.quorum import Purpose, QuorumCheck, quorum_kind, quorum_met, threshold_met
from assembly.ballots.rules.secrecy import (
    WeightClass,
    secret_weighted_ballot_refusal,
    weight_classes,
    weight_classes_too_small,
)
from assembly.ballots.rules.tally import OPTIONS, Counts, Option, Tally, Vote, VoteCounts, count_votes
from assembly.ballots.rules.votes import (
    SPLIT_CODES,
    SplitProblem,
    VoteChange,
    effective_votes,
    split_votes_permitted,
    validate_split,
)

__all__ = (
    "OPTIONS",
    "SPLIT_CODES",
    "Base",
    "Counts",
    "Decision",
    "ElectionResult",
    "LotDraw",
    "MajorityResult",
    "Option",
    "Outcome",
    "Purpose",
    "QuorumCheck",
    "SecondBallot",
    "SplitProblem",
    "Tally",
    "Unit",
    "Vote",
    "VoteChange",
    "VoteCounts",
    "WeightClass",
    "apply_majority",
    "count_votes",
    "decide",
    "double_majority",
    "draw_lots",
    "effective_votes",
    "majority_kind",
    "majority_of_members_present",
    "majority_of_membership",
    "quorum_kind",
    "quorum_met",
    "second_ballot_candidates",
    "second_ballot_result",
    "secret_weighted_ballot_refusal",
    "several_seats_result",
    "share_of_total_weight",
    "simple_majority_of_votes_cast",
    "single_seat_first_ballot",
    "split_votes_permitted",
    "threshold_met",
    "two_thirds_of_votes_cast",
    "validate_split",
    "weight_classes",
    "weight_classes_too_small",
)
