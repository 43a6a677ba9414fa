"""Use cases of motions and amendments, and the service API the ballots and agenda domains build on.

A package rather than one ``services.py``: drafting, amendments, the chair's commands, decisions and
consolidation, the ballot hooks and the read side are six groups of use cases, together well past
the ~400-line mark (CONVENTIONS.md, Layout). Import from ``assembly.motions.services``.

Services run inside the caller's transaction and never commit. Every command locks the motion row
first, applies the pure rules of :mod:`assembly.motions.rules`, records an audit event and emits a
live event for every change, and raises :mod:`assembly.core.errors` with stable codes.

Service API for the ballots and agenda domains
----------------------------------------------

``on_ballot_opened(session, *, subject_kind, subject_id, ballot_id) -> str``
    ``subject_kind`` is ``"motion"``, ``"amendment"`` or ``"motion_part"``. Checks the subject may be
    voted on now (motion under debate with its amendments decided and consolidated and any division
    decided; amendment admitted and next in the chair's voting order; the next part of a divided
    motion), moves it to voting, and returns the SHA-256 hex of the exact text voted on (canonical
    text: docs/motions.md). Raises Conflict ``not_votable``. Idempotent for the same ballot id.

``on_ballot_closed(session, *, subject_kind, subject_id, ballot_id, adopted) -> None``
    Applies the outcome: amendments adopted or rejected (an adopted one makes conflicting ones lapse,
    with the reason); parts adopted or rejected (when every operative part falls, the motion falls);
    the motion adopted or rejected. Raises Conflict ``ballot_mismatch`` when the subject is not
    voting in that ballot.

``on_ballot_undecided(session, *, subject_kind, subject_id, ballot_id, reason) -> None``
    The ballot took no decision (no quorum to decide): the motion returns under debate, the amendment
    to admitted, the part to pending, without a ballot, so that a re-vote can open on it.

``consolidate(session, motion_id, *, actor=None) -> MotionVersion``
    The consolidated version after the amendments were voted (also the chair's command).

``open_debate(session, principal, motion_id) -> Motion``
    admitted -> under_debate (the agenda may call it when it opens the motion's item).
"""

from __future__ import annotations

from assembly.motions.services.amendments import (
    admit_amendment,
    resolve_amendment,
    rule_amendment_out_of_order,
    set_voting_order,
    table_amendment,
    withdraw_amendment,
)
from assembly.motions.services.ballots import SubjectKind, on_ballot_closed, on_ballot_opened, on_ballot_undecided
from assembly.motions.services.chair import (
    admit_motion,
    adopt_by_consensus,
    call_consensus,
    divide_motion,
    open_debate,
    record_objection,
    resolve_motion,
    resolve_part,
    rule_motion_out_of_order,
)
from assembly.motions.services.drafting import (
    answer_invitation,
    create_motion,
    invite_cosponsor,
    revise_motion,
    submit_motion,
    withdraw_motion,
)
from assembly.motions.services.outcomes import consolidate
from assembly.motions.services.reads import (
    AmendmentView,
    Comparison,
    CosponsorView,
    MotionView,
    compare_versions,
    export_motion,
    get_amendment,
    get_motion,
    get_version,
    list_amendments,
    list_motions,
    list_versions,
)

__all__ = (
    "AmendmentView",
    "Comparison",
    "CosponsorView",
    "MotionView",
    "SubjectKind",
    "admit_amendment",
    "admit_motion",
    "adopt_by_consensus",
    "answer_invitation",
    "call_consensus",
    "compare_versions",
    "consolidate",
    "create_motion",
    "divide_motion",
    "export_motion",
    "get_amendment",
    "get_motion",
    "get_version",
    "invite_cosponsor",
    "list_amendments",
    "list_motions",
    "list_versions",
    "on_ballot_closed",
    "on_ballot_opened",
    "on_ballot_undecided",
    "open_debate",
    "record_objection",
    "resolve_amendment",
    "resolve_motion",
    "resolve_part",
    "revise_motion",
    "rule_amendment_out_of_order",
    "rule_motion_out_of_order",
    "set_voting_order",
    "submit_motion",
    "table_amendment",
    "withdraw_amendment",
    "withdraw_motion",
)
