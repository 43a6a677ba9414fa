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

The checks and their codes (E410-E416) are specified in docs/audit-log-spec.md, step 9.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from assembly.audit.verify.model import CheckedLog, Entry, Finding, TypeSchema
from assembly.audit.verify.types import natural, nullable, object_, text, uuid_text

__all__ = ("BallotCheck",)


@dataclass
class _Ballot:
    """What the log says about one ballot, gathered in log order."""

    ballot_id: str
    opened: Mapping[str, Any] | None = None
    opened_at: int = -1
    closed: Mapping[str, Any] | None = None
    closed_at: int = -1
    parts: dict[int, list[Mapping[str, Any]]] = field(default_factory=dict)
    part_count: int | None = None
    rights: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    votes: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    """right id -> its last vote entry's payload."""
    revisions: dict[str, int] = field(default_factory=dict)
    secret_entries: list[Entry] = field(default_factory=list)
    last_vote_at: int = -1
    """Index of the ballot's last vote or participation entry."""


def _int(value: Any) -> int | None:
    return value if type(value) is int else None


class BallotCheck:
    """Electorates, votes and tallies of every ballot in the log (spec section 8, step 9)."""

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
        findings: list[Finding] = []
        ballots: dict[str, _Ballot] = {}
        for entry in log.entries:
            type_name = entry.type
            # An event's kind (ballot facts recorded through record_event), or the entry's own type.
            kind = str(entry.members.get("kind", "")) if type_name == "event" else type_name
            if not kind.startswith("ballot.") or kind == "ballot.created":
                continue
            if type_name == "ballot.secret_vote":
                ballot_id = str(entry.members["ballot_id"])
                payload: Mapping[str, Any] = entry.members
            else:
                raw = entry.members.get("payload")
                payload = raw if isinstance(raw, dict) else {}
                ballot_id = str(payload.get("ballot_id") or entry.members.get("subject_id"))
            ballot = ballots.get(ballot_id)
            if ballot is None:  # not setdefault: that would build a _Ballot for every entry
                ballot = ballots[ballot_id] = _Ballot(ballot_id)
            findings.extend(self._entry(ballot, entry, kind, payload))
        counted = 0
        for ballot in ballots.values():
            if ballot.opened is None:
                continue
            if ballot.closed is not None:
                findings.extend(self._close(ballot))
                counted += 1
        summary = (f"{len(ballots)} ballots, {counted} closed ballots recounted"
                   if ballots else "no ballot entries")
        return summary, findings

    # -- one entry ----------------------------------------------------------------------------------

    def _entry(self, b: _Ballot, entry: Entry, kind: str, p: Mapping[str, Any]) -> list[Finding]:  # noqa: PLR0911
        at = f"entry {entry.index} ({kind}, ballot {b.ballot_id})"
        if kind == "ballot.opened":
            if b.opened is not None:
                return [Finding("E412", f"{at}: the ballot is opened a second time")]
            if not isinstance(p.get("options"), list) or type(p.get("secret")) is not bool \
                    or type(p.get("weighted")) is not bool:
                return [Finding("E410", f"{at}: the opening lacks options, secret or weighted")]
            b.opened, b.opened_at = p, entry.index
            return []
        if b.opened is None:
            return [Finding("E412", f"{at}: comes before the ballot's opening")]
        if b.closed is not None and kind != "ballot.secret_vote":
            return [Finding("E412", f"{at}: comes after the ballot's close")]
        if kind == "ballot.electorate":
            return self._electorate(b, at, p)
        if kind in ("ballot.vote_cast", "ballot.vote_changed"):
            b.last_vote_at = entry.index
            return self._vote(b, at, kind, p)
        if kind == "ballot.secret_vote":
            if not b.opened.get("secret"):
                return [Finding("E414", f"{at}: a secret vote in a ballot that is not secret")]
            if b.closed is not None:
                return [Finding("E412", f"{at}: a secret vote after the ballot's close")]
            b.secret_entries.append(entry)
            return []
        if kind == "ballot.closed":
            b.closed, b.closed_at = p, entry.index
            return []
        return []  # other ballot events (re-votes, notes) carry nothing this step recomputes

    def _electorate(self, b: _Ballot, at: str, p: Mapping[str, Any]) -> list[Finding]:
        part, parts, rights = _int(p.get("part")), _int(p.get("parts")), p.get("rights")
        if part is None or parts is None or not isinstance(rights, list) or not 1 <= part <= parts:
            return [Finding("E410", f"{at}: part, parts or rights malformed")]
        if b.votes or b.secret_entries:
            return [Finding("E411", f"{at}: an electorate part after votes were cast")]
        if (b.part_count is not None and b.part_count != parts) or part in b.parts:
            return [Finding("E411", f"{at}: part {part} of {parts} repeats or disagrees with earlier parts")]
        b.part_count = parts
        b.parts[part] = rights
        found = []
        for right in rights:
            right_id = right.get("right_id") if isinstance(right, dict) else None
            weight = _int(right.get("weight")) if isinstance(right, dict) else None
            if not isinstance(right_id, str) or weight is None or weight < 0 \
                    or type(right.get("eligible")) is not bool:
                found.append(Finding("E410", f"{at}: a right without right_id, integer weight >= 0 or eligible"))
                continue
            if right_id in b.rights:
                found.append(Finding("E411", f"{at}: right {right_id} appears twice in the electorate"))
            b.rights[right_id] = right
        return found

    def _vote(self, b: _Ballot, at: str, kind: str, p: Mapping[str, Any]) -> list[Finding]:
        assert b.opened is not None
        if b.part_count is None or len(b.parts) != b.part_count:
            return [Finding("E411", f"{at}: a vote before the whole electorate is in the log")]
        right_id = str(p.get("right_id"))
        right = b.rights.get(right_id)
        if right is None:
            return [Finding("E413", f"{at}: right {right_id} is not in the ballot's electorate")]
        found = []
        for member in ("delegation_id", "holder_delegation_id", "kind", "weight"):
            if p.get(member) != right.get(member):
                found.append(Finding("E413", f"{at}: {member} differs from the right's in the electorate"))
        if not right.get("eligible"):
            found.append(Finding("E413", f"{at}: right {right_id} holds no vote (not eligible)"))
        revision = _int(p.get("revision"))
        expected = b.revisions.get(right_id, 0) + 1
        if revision != expected or (kind == "ballot.vote_cast") != (expected == 1):
            found.append(Finding("E413", f"{at}: revision {revision}, expected {expected}"))
        if expected > 1 and not b.opened.get("vote_change_allowed"):
            found.append(Finding("E413", f"{at}: a vote change in a ballot that allows none"))
        if b.opened.get("secret"):
            if "choice" in p or "split" in p:
                found.append(Finding("E414", f"{at}: a secret ballot's participation entry names a choice"))
        else:
            found.extend(self._choice(at, b.opened, p.get("choice"), p.get("split"), right.get("weight")))
        b.revisions[right_id] = expected
        b.votes[right_id] = p
        return found

    @staticmethod
    def _choice(at: str, opened: Mapping[str, Any], choice: Any, split: Any, weight: Any) -> list[Finding]:
        options = opened.get("options") or []
        if (choice is None) == (split is None):
            return [Finding("E413", f"{at}: exactly one of choice and split is required")]
        if choice is not None and choice not in options:
            return [Finding("E413", f"{at}: choice {choice!r} is not an option of the ballot")]
        if split is not None:
            if not isinstance(split, dict) or any(k not in options or _int(v) is None or v < 0
                                                  for k, v in split.items()):
                return [Finding("E413", f"{at}: the split names an unknown option or a bad share")]
            if sum(split.values()) != weight:
                return [Finding("E413", f"{at}: the split's shares do not add up to the right's weight")]
        return []

    # -- the close --------------------------------------------------------------------------------

    def _close(self, b: _Ballot) -> list[Finding]:  # noqa: PLR0912  (one numbered check per branch)
        assert b.opened is not None
        assert b.closed is not None
        at = f"ballot {b.ballot_id} (closed at entry {b.closed_at})"
        found: list[Finding] = []
        if b.part_count is None or len(b.parts) != b.part_count:
            found.append(Finding("E411", f"{at}: electorate parts are missing"))
        eligible = [r for r in b.rights.values() if r.get("eligible")]
        # The opening counts eligible rights only; ineligible ones (arrears) are listed for completeness.
        if _int(b.opened.get("electorate_rights")) not in (None, len(eligible)):
            found.append(Finding("E411", f"{at}: the opening announces {b.opened.get('electorate_rights')} rights, "
                                         f"the electorate lists {len(eligible)} eligible"))
        ballots: list[tuple[Any, Any, int]]  # (choice, split, weight) of each counted vote
        if b.opened.get("secret"):
            found.extend(self._secret_batch(b, at))
            ballots = [(e.members.get("choice"), e.members.get("split"), int(e.members["weight"]))
                       for e in b.secret_entries]
            for entry in b.secret_entries:
                found.extend(self._choice(f"entry {entry.index} (ballot.secret_vote)", b.opened,
                                          entry.members.get("choice"), entry.members.get("split"),
                                          entry.members.get("weight")))
        else:
            ballots = [(v.get("choice"), v.get("split"), int(b.rights[r]["weight"])) for r, v in b.votes.items()]
        by_option: dict[str, list[int]] = {}
        split_heads = 0
        for choice, split, weight in ballots:
            if isinstance(split, dict):
                split_heads += 1
                for option, share in split.items():
                    by_option.setdefault(option, [0, 0])[1] += int(share)
            elif choice is not None:
                pair = by_option.setdefault(str(choice), [0, 0])
                pair[0] += 1
                pair[1] += weight
        counts = [{"option": o, "heads": by_option.get(o, [0, 0])[0], "weight": by_option.get(o, [0, 0])[1]}
                  for o in b.opened.get("options") or []]
        stated = b.closed
        if stated.get("counts") != counts:
            found.append(Finding("E415", f"{at}: the close states counts {stated.get('counts')}, the votes give "
                                         f"{counts}"))
        membership = (len(eligible), sum(int(r["weight"]) for r in eligible))
        if (stated.get("membership_heads"), stated.get("membership_weight")) != membership:
            found.append(Finding("E415", f"{at}: membership stated differs from the electorate's {membership}"))
        if stated.get("split_heads") != split_heads:
            found.append(Finding("E415", f"{at}: split votes stated differ from the {split_heads} in the log"))
        present = (_int(stated.get("present_heads")), _int(stated.get("present_weight")))
        voted = (len(ballots), sum(w for _, _, w in ballots))
        if present[0] is None or present[1] is None or not (voted[0] <= present[0] <= membership[0]) \
                or not (voted[1] <= present[1] <= membership[1]):
            found.append(Finding("E415", f"{at}: presence {present} is not between the votes cast {voted} and "
                                         f"the membership {membership}"))
        elif not found:
            found.extend(self._decision(b, at, counts, (present[0], present[1]), membership))
        return found

    @staticmethod
    def _secret_batch(b: _Ballot, at: str) -> list[Finding]:
        found = []
        entries = b.secret_entries
        indices = [e.index for e in entries]
        if indices and (indices[0] < b.last_vote_at or indices[-1] > b.closed_at):
            found.append(Finding("E414", f"{at}: the secret votes are not one batch between the last "
                                         "participation entry and the close"))
        hashes = [e.leaf_hash for e in entries]
        if hashes != sorted(hashes):
            found.append(Finding("E414", f"{at}: the secret batch is not sorted by leaf hash"))
        weights = sorted(int(e.members["weight"]) for e in entries)
        voted = sorted(int(b.rights[r]["weight"]) for r in b.votes)
        if weights != voted:
            found.append(Finding("E414", f"{at}: {len(entries)} secret votes (weights {weights[:10]}...) do not match "
                                         f"the {len(voted)} rights that took part"))
        return found

    @staticmethod
    def _decision(b: _Ballot, at: str, counts: list[dict[str, Any]], present: tuple[int, int],
                  membership: tuple[int, int]) -> list[Finding]:
        """Recompute adoption for question ballots under the single-threshold majority rules."""
        assert b.opened is not None
        assert b.closed is not None
        stated = b.closed
        outcome = stated.get("outcome")
        if (outcome == "no_quorum") == bool(stated.get("quorum_met")):
            return [Finding("E416", f"{at}: outcome {outcome!r} contradicts quorum_met {stated.get('quorum_met')}")]
        rule = b.opened.get("majority_rule")
        kind = rule.get("kind") if isinstance(rule, dict) else None
        if b.opened.get("subject_kind") == "election" or outcome == "no_quorum" or kind not in _RULES:
            return []
        unit = 1 if b.opened.get("weighted") else 0
        value = {c["option"]: (c["heads"], c["weight"])[unit] for c in counts}
        yes, no = value.get("yes", 0), value.get("no", 0)
        adopted = _RULES[str(kind)](yes, no, present[unit], membership[unit], rule) and yes > no
        if (outcome == "adopted") != adopted:
            return [Finding("E416", f"{at}: under {kind} yes {yes}, no {no} the proposal is "
                                    f"{'adopted' if adopted else 'rejected'}, the close says {outcome!r}")]
        return []


def _share(yes: int, membership: int, rule: Mapping[str, Any]) -> bool:
    return yes * int(rule.get("denominator", 1)) >= int(rule.get("numerator", 1)) * membership


_RULES: dict[str, Any] = {
    # kind -> threshold(yes, no, present, membership, rule); every rule also needs yes > no.
    "simple_majority_of_votes_cast": lambda y, n, p, m, r: y > n,
    "two_thirds_of_votes_cast": lambda y, n, p, m, r: 3 * y >= 2 * (y + n),
    "majority_of_members_present": lambda y, n, p, m, r: 2 * y > p,
    "majority_of_membership": lambda y, n, p, m, r: 2 * y > m,
    "share_of_total_weight": lambda y, n, p, m, r: _share(y, m, r),
}
