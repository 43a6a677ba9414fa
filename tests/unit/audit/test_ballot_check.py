"""Step 9 (spec section 8): a golden ballot log built from fixed keys passes; one alteration per code fails.

Every altered log is re-signed (a log that really signed it), so steps 1-8 pass and only the ballot
check can catch it: the electorate, the lifecycle, every vote against its right, the secret batch,
the recounted tally and the decision under the majority rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assembly.audit.log.canonical import encode_entry
from assembly.audit.log.merkle import leaf_hash
from assembly.audit.verify import verify_bundle
from tests.unit.audit.conftest import GOLDEN_ORIGIN, event, golden_entries
from tests.unit.audit.test_verifier import resigned

PUBLIC = "0190a000-0000-7000-8000-0000000000b1"
SECRET = "0190a000-0000-7000-8000-0000000000b2"
OPTIONS = ["yes", "no", "abstain"]


def _id(kind: str, n: int) -> str:
    return str(uuid.UUID(f"0190a000-0000-7000-{kind}-{n:012x}"))


def _rights(count: int, weight: int = 1) -> list[dict[str, Any]]:
    return [{"right_id": _id("b000", n), "delegation_id": _id("c000", n), "holder_delegation_id": _id("c000", n),
             "kind": "own", "proxy_id": None, "weight": weight, "eligible": True, "reasons": []}
            for n in range(1, count + 1)]


def _opened(ballot: str, *, secret: bool, rule: str = "simple_majority_of_votes_cast",
            change: bool = True) -> dict[str, Any]:
    return {"subject_kind": "procedural", "subject_id": None, "question": "Adjourn?", "options": OPTIONS,
            "weighted": False, "secret": secret, "k_anonymity": 5, "majority_rule": {"kind": rule},
            "quorum_rule": None, "vote_change_allowed": change, "electorate_rights": 4,
            "ballot_id": ballot}


def _vote(ballot: str, right: dict[str, Any], revision: int, choice: str | None) -> dict[str, Any]:
    payload = {"ballot_id": ballot, "right_id": right["right_id"], "delegation_id": right["delegation_id"],
               "holder_delegation_id": right["holder_delegation_id"], "kind": right["kind"],
               "weight": right["weight"], "revision": revision}
    if choice is not None:
        payload.update({"choice": choice, "split": None})
    return payload


def _closed(ballot: str, counts: dict[str, int], *, outcome: str, present: int = 4) -> dict[str, Any]:
    return {"ballot_id": ballot, "counts": [{"option": o, "heads": counts.get(o, 0), "weight": counts.get(o, 0)}
                                            for o in OPTIONS],
            "split_heads": 0, "present_heads": present, "present_weight": present, "membership_heads": 4,
            "membership_weight": 4, "weighted": False, "quorum_met": True, "outcome": outcome}


def _secret(ballot: str, choice: str, n: int) -> bytes:
    return encode_entry(GOLDEN_ORIGIN, "ballot.secret_vote", {"ballot_id": ballot, "choice": choice, "split": None,
                                                              "weight": 1, "nonce": f"{n:032x}"})


def golden_ballot_entries() -> list[bytes]:
    """The golden log, then a public ballot (a change included) and a secret ballot, both closed."""
    rights = _rights(4)
    number = iter(range(100, 200))
    public: list[Any] = [
        ("ballot.opened", _opened(PUBLIC, secret=False)),
        ("ballot.electorate", {"ballot_id": PUBLIC, "part": 1, "parts": 1, "rights": rights}),
        ("ballot.vote_cast", _vote(PUBLIC, rights[0], 1, "yes")),
        ("ballot.vote_cast", _vote(PUBLIC, rights[1], 1, "yes")),
        ("ballot.vote_cast", _vote(PUBLIC, rights[2], 1, "yes")),
        ("ballot.vote_changed", _vote(PUBLIC, rights[2], 2, "no")),
        ("ballot.closed", _closed(PUBLIC, {"yes": 2, "no": 1}, outcome="adopted", present=4)),
    ]
    entries = [*golden_entries(), *(event(next(number), kind, payload) for kind, payload in public)]
    secret_rights = _rights(4)
    participation = [event(next(number), "ballot.vote_cast", _vote(SECRET, r, 1, None)) for r in secret_rights[:3]]
    batch = sorted((_secret(SECRET, c, n) for n, c in enumerate(["no", "no", "yes"])), key=leaf_hash)
    entries += [event(next(number), "ballot.opened", _opened(SECRET, secret=True)),
                event(next(number), "ballot.electorate", {"ballot_id": SECRET, "part": 1, "parts": 1,
                                                          "rights": secret_rights}),
                *participation, *batch,
                event(next(number), "ballot.closed", _closed(SECRET, {"yes": 1, "no": 2}, outcome="rejected"))]
    return entries


def _replace_payload(entries: list[bytes], index: int, **changes: Any) -> list[bytes]:
    import json  # noqa: PLC0415

    members = json.loads(entries[index])
    members["payload"] = {**members["payload"], **changes}
    altered = list(entries)
    altered[index] = encode_entry(GOLDEN_ORIGIN, "event", {k: v for k, v in members.items()
                                                             if k not in ("v", "log", "type")})
    return altered


G = 12  # the ballots start after the twelve golden entries
# public: opened 12, electorate 13, votes 14-16, change 17, closed 18
# secret: opened 19, electorate 20, participation 21-23, batch 24-26, closed 27


def e410_electorate_malformed(e: list[bytes]) -> list[bytes]:
    return _replace_payload(e, G + 1, parts=0)


def e411_right_twice(e: list[bytes]) -> list[bytes]:
    rights = _rights(4)
    return _replace_payload(e, G + 1, rights=[*rights, rights[0]])


def e412_vote_after_close(e: list[bytes]) -> list[bytes]:
    return [*e[:G + 5], e[G + 6], e[G + 5], *e[G + 7:]]  # the change moved after the close


def e413_wrong_weight(e: list[bytes]) -> list[bytes]:
    return _replace_payload(e, G + 2, weight=7)


def e413_unknown_choice(e: list[bytes]) -> list[bytes]:
    return _replace_payload(e, G + 3, choice="maybe")


def e414_batch_unsorted(e: list[bytes]) -> list[bytes]:
    return [*e[:G + 12], e[G + 13], e[G + 12], *e[G + 14:]]


def e414_batch_before_participation(e: list[bytes]) -> list[bytes]:
    return [*e[:G + 11], e[G + 12], e[G + 11], *e[G + 13:]]  # a batch entry before the last participant


def e414_secret_vote_dropped(e: list[bytes]) -> list[bytes]:
    return [*e[:G + 12], *e[G + 13:]]


def e415_counts_changed(e: list[bytes]) -> list[bytes]:
    counts = [{"option": "yes", "heads": 3, "weight": 3}, {"option": "no", "heads": 0, "weight": 0},
              {"option": "abstain", "heads": 0, "weight": 0}]
    return _replace_payload(e, G + 6, counts=counts)


def e416_outcome_changed(e: list[bytes]) -> list[bytes]:
    return _replace_payload(e, G + 15, outcome="adopted")


MUTATIONS: list[tuple[Callable[[list[bytes]], list[bytes]], str]] = [
    (e410_electorate_malformed, "E410"),
    (e411_right_twice, "E411"),
    (e412_vote_after_close, "E412"),
    (e413_wrong_weight, "E413"),
    (e413_unknown_choice, "E413"),
    (e414_batch_unsorted, "E414"),
    (e414_batch_before_participation, "E414"),
    (e414_secret_vote_dropped, "E414"),
    (e415_counts_changed, "E415"),
    (e416_outcome_changed, "E416"),
]


def test_other_entries_may_interleave_with_a_secret_batch(write_bundle: Callable[..., Path]) -> None:
    e = golden_ballot_entries()
    interleaved = [*e[:G + 13], event(300, "delegation.checked_out"), *e[G + 13:]]
    report = verify_bundle(write_bundle(resigned(interleaved)))
    assert report.passed, report.render()


def test_the_golden_ballot_log_recounts_clean(write_bundle: Callable[..., Path]) -> None:
    report = verify_bundle(write_bundle(resigned(golden_ballot_entries())))
    assert report.passed, report.render()
    assert report.steps[8].summary == "2 ballots, 2 closed ballots recounted"


@pytest.mark.parametrize(("mutate", "code"), MUTATIONS, ids=[m.__name__ for m, _ in MUTATIONS])
def test_each_ballot_alteration_fails_step_9_with_its_code(mutate: Callable[[list[bytes]], list[bytes]], code: str,
                                                            write_bundle: Callable[..., Path]) -> None:
    report = verify_bundle(write_bundle(resigned(mutate(golden_ballot_entries()))))
    failed = report.first_failure
    assert failed is not None, report.render()
    assert failed.number == 9, report.render()
    assert code in {f.code for f in failed.findings}, report.render()
    assert all(int(f.code[1:]) in range(410, 450) for f in failed.findings)


def test_ineligible_rights_are_listed_but_not_counted_in_the_electorate(write_bundle: Callable[..., Path]) -> None:
    # A delegation in arrears is in the snapshot with eligible false; the opening counts the 4 eligible rights.
    in_arrears = {**_rights(5)[4], "eligible": False, "reasons": ["in_arrears"]}
    entries = _replace_payload(golden_ballot_entries(), G + 1, rights=[*_rights(4), in_arrears])
    report = verify_bundle(write_bundle(resigned(entries)))
    assert report.passed, report.render()
    counted_too = _replace_payload(entries, G, electorate_rights=5)
    failed = verify_bundle(write_bundle(resigned(counted_too))).first_failure
    assert failed is not None
    assert {f.code for f in failed.findings} == {"E411"}
