"""Receipts, checkpoints, consistency proofs, the well-known key and bundles, through the API, on real ballots."""

from __future__ import annotations

import json
from pathlib import Path

from assembly.audit.log.checkpoint import NoteVerifier, verify_checkpoint
from assembly.audit.log.merkle import verify_consistency, verify_inclusion
from assembly.audit.verify.verifier import verify_bundle
from tests.api.ballots.conftest import BallotApi
from tests.helpers import TEST_LOG_SIGNER, assert_problem, integrate_log


async def _verified_receipt(api: BallotApi, tracker: str) -> dict[str, object]:
    """Fetch a receipt and check it as a delegation would: signature by the published key, then inclusion."""
    key = await api.client.get("/.well-known/assembly-log-key")
    assert key.status_code == 200
    verifier = NoteVerifier.from_vkey(key.text.strip())
    receipt = await api.client.get(f"/api/audit/receipts/{tracker}")
    assert receipt.status_code == 200, receipt.text
    body: dict[str, object] = receipt.json()
    checkpoint = verify_checkpoint(str(body["checkpoint"]), verifier)
    assert checkpoint.size == body["tree_size"]
    proof = [bytes.fromhex(h) for h in body["inclusion_proof"]]  # type: ignore[attr-defined]
    verify_inclusion(int(body["leaf_index"]), checkpoint.size, bytes.fromhex(tracker), proof,  # type: ignore[call-overload]
                     checkpoint.root)
    return body


async def test_a_vote_receipt_verifies_against_a_signed_checkpoint(api: BallotApi) -> None:
    await api.setup(parties=3)
    p0, p1, _ = api.parties
    ballot = await api.ballot()
    first = await api.cast(ballot["id"], p0, "yes")
    tracker = first["tracker"]
    assert tracker == first["votes"][0]["tracker"]
    assert len(tracker) == 64

    # Accepted, not yet integrated: pending (retry), never unknown.
    assert_problem(await api.client.get(f"/api/audit/receipts/{tracker}"), 404, "receipt_pending")
    assert_problem(await api.client.get("/api/audit/checkpoint"), 404, "log_empty")
    assert await integrate_log(api.app) > 0
    receipt = await _verified_receipt(api, tracker)

    # A later vote: a larger checkpoint, consistent with the first one.
    second = await api.cast(ballot["id"], p1, "no")
    await integrate_log(api.app)
    later = await _verified_receipt(api, second["tracker"])
    assert later["tree_size"] > receipt["tree_size"]  # type: ignore[operator]
    checkpoint = (await api.client.get("/api/audit/checkpoint")).json()
    assert checkpoint["tree_size"] == later["tree_size"]
    first_size, second_size = int(receipt["tree_size"]), int(later["tree_size"])  # type: ignore[call-overload]
    proof = (await api.client.get(f"/api/audit/consistency?first={first_size}&second={second_size}")).json()
    verifier = TEST_LOG_SIGNER.verifier
    old_root = verify_checkpoint(str(receipt["checkpoint"]), verifier).root
    verify_consistency(first_size, second_size, old_root, bytes.fromhex(checkpoint["root"]),
                       [bytes.fromhex(h) for h in proof["proof"]])
    # The old receipt still verifies against the newer checkpoint.
    await _verified_receipt(api, tracker)


async def test_bad_receipt_and_proof_requests_are_refused(api: BallotApi) -> None:
    await api.setup(parties=2)
    ballot = await api.ballot()
    await api.cast(ballot["id"], api.parties[0], "yes")
    await integrate_log(api.app)
    assert_problem(await api.client.get("/api/audit/receipts/" + "ab" * 32), 404, "receipt_unknown")
    assert_problem(await api.client.get("/api/audit/receipts/XYZ"), 422, "invalid_tracker", field="tracker")
    size = (await api.client.get("/api/audit/checkpoint")).json()["tree_size"]
    assert_problem(await api.client.get("/api/audit/consistency?first=0&second=1"), 422, "invalid_input",
                   field="first")
    assert_problem(await api.client.get(f"/api/audit/consistency?first={size}&second={size - 1}"), 422,
                   "invalid_input", field="second")
    assert_problem(await api.client.get(f"/api/audit/consistency?first=1&second={size + 1}"), 422,
                   "invalid_input", field="second")


async def test_a_secret_vote_enters_the_log_at_close_in_a_batch_sorted_by_hash(api: BallotApi) -> None:
    await api.setup(parties=4)
    ballot = await api.ballot(secret=True)
    trackers = [(await api.cast(ballot["id"], party, choice))["tracker"]
                for party, choice in zip(api.parties, ["yes", "no", "yes", "abstain"], strict=True)]
    await integrate_log(api.app)
    for tracker in trackers:  # the ballot is open: its choices are not in the log yet
        assert_problem(await api.client.get(f"/api/audit/receipts/{tracker}"), 404, "receipt_pending")
    await api.close(ballot["id"])
    await integrate_log(api.app)
    indices = [int((await _verified_receipt(api, tracker))["leaf_index"]) for tracker in trackers]  # type: ignore[call-overload]
    rows = await api.rows("SELECT idx, leaf_hash, entry FROM audit_log_entry WHERE idx = ANY(:i) ORDER BY idx",
                          i=indices)
    assert [r.idx for r in rows] == list(range(min(indices), min(indices) + 4)), "one contiguous batch"
    assert [r.leaf_hash for r in rows] == sorted(r.leaf_hash for r in rows), "sorted by leaf hash"
    for row in rows:  # nothing in a batch entry names a right, a delegation or a voter
        entry = json.loads(row.entry)
        assert set(entry) == {"v", "log", "type", "ballot_id", "choice", "split", "weight", "nonce"}
        assert entry["type"] == "ballot.secret_vote"


async def test_bundle_for_chair_and_auditor_verifies_offline(api: BallotApi, tmp_path: Path) -> None:
    await api.setup(parties=3)
    ballot = await api.ballot()
    secret = await api.ballot(secret=True, question="Shall the chair be censured?")
    for party in api.parties:
        await api.cast(ballot["id"], party, "yes")
        await api.cast(secret["id"], party, "no")
    await api.close(ballot["id"])
    await api.close(secret["id"])
    await integrate_log(api.app)
    path = f"/api/ballots/{ballot['id']}/audit-bundle"
    assert_problem(await api.client.get(path, headers=api.parties[0].headers), 403, "assembly_role_required")
    assert_problem(await api.client.get(path, headers={}), 401, "unauthorized")
    for headers in (api.chair_headers, api.auditor_headers, api.admin_headers):
        response = await api.client.get(path, headers=headers)
        assert response.status_code == 200, response.text
    whole = await api.client.get(f"/api/assemblies/{api.assembly_id}/audit-bundle", headers=api.auditor_headers)
    assert whole.status_code == 200
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(whole.content)
    report = verify_bundle(bundle, trusted_key=TEST_LOG_SIGNER.verifier.vkey)
    assert report.passed, report.render()
    assert report.steps[8].summary == "2 ballots, 2 closed ballots recounted"
