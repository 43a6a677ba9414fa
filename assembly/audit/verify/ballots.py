"""The ballot check: the hook the ballots fill (spec "Ballot entry types", defined with the ballots).

What this step must establish, once the ballot entry types exist (error codes E410-E449 are
reserved for it in the spec):

- the electorate snapshot of each ballot: rights, holders and weights as frozen at opening, each
  right held once, weights integers >= 0;
- the lifecycle: opening (with its settings and the SHA-256 of the text voted on), then votes,
  then exactly one close; nothing for a ballot after its close;
- every vote against its right: cast for a right of that ballot's electorate, by its holder,
  with the right's weight and a valid choice; the last valid vote before the close counts where
  the ballot allows changes;
- secret ballots: participation entries, the close-time batch sorted by leaf hash, counts and
  weight multisets that match;
- every tally recomputed from the counted votes with the ballot's majority rule and quorum, equal
  to the tally in the close entry.

Ballot facts reach the log either as entry types of their own (declare them in
:attr:`BallotCheck.entry_types`: their schemas make step 8 check their members) or as ``event``
entries whose ``kind`` starts with ``ballot.`` (how the ballots record them today, through
``record_event``); the check reads whichever the specification settles on. Implement
:meth:`BallotCheck.run` from the spec alone, without importing the application (the verifier's
import rule is enforced by a test).

Until then the step passes but says, in its summary and in a note of the report, how many ballot
entries it did not check, so that no one mistakes a pass for a recounted tally.
"""

from __future__ import annotations

from collections.abc import Mapping

from assembly.audit.verify.model import CheckedLog, Finding, TypeSchema
from assembly.audit.verify.types import natural, nullable, object_, text, uuid_text

__all__ = ("BallotCheck",)


class BallotCheck:
    """Electorates, votes and tallies of every ballot in the log."""

    title = "Ballots: electorates, votes and tallies"
    entry_types: Mapping[str, TypeSchema] = {
        # Spec 3.3: one secret vote of the close-time batch, unlinked from any right or delegation.
        "ballot.secret_vote": {
            "ballot_id": uuid_text,
            "choice": nullable(text(r".{1,64}", 64)),
            "split": nullable(object_),
            "weight": natural,
            "nonce": text(r"[0-9a-f]{32}", 32),
        },
    }

    def run(self, log: CheckedLog) -> tuple[str, list[Finding]]:
        ballot_entries = [
            entry
            for entry in log.entries
            if entry.type in self.entry_types
            or entry.type.startswith("ballot.")
            or (entry.type == "event" and str(entry.members.get("kind", "")).startswith("ballot."))
        ]
        if not ballot_entries:
            return "no ballot entries", []
        message = (
            f"{len(ballot_entries)} ballot entries NOT CHECKED: this version of the verifier has no "
            "ballot checks yet (electorates, votes and tallies are defined with the ballots)"
        )
        log.notes.append(message)
        return message, []
