"""Tampering with the stored log, as a database superuser, is caught: by the triggers and roles first, by
``assembly verify`` on an exported bundle whatever was done, and by the signer before it signs again."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from assembly.audit.sequencer import Sequencer, SequencerError
from assembly.audit.verify import Report, verify_bundle
from tests.api.ballots.conftest import BallotApi
from tests.helpers import TEST_LOG_SIGNER, integrate_log


async def _closed_ballot(api: BallotApi) -> str:
    await api.setup(parties=4)
    ballot = await api.ballot()
    for party, choice in zip(api.parties, ["yes", "yes", "no", "abstain"], strict=True):
        await api.cast(ballot["id"], party, choice)
    await api.close(ballot["id"])
    await integrate_log(api.app)
    return str(ballot["id"])


async def _superuser(api: BallotApi, *statements: str, **params: object) -> None:
    """Run ``statements`` as the superuser with triggers off (session_replication_role = replica)."""
    async with api.database.engine.begin() as connection:
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            await connection.execute(text(statement), params)


async def _verify(api: BallotApi, ballot_id: str, tmp_path: Path) -> Report:
    response = await api.client.get(f"/api/ballots/{ballot_id}/audit-bundle", headers=api.auditor_headers)
    assert response.status_code == 200, response.text
    path = tmp_path / "bundle.json"
    path.write_bytes(response.content)
    return verify_bundle(path, trusted_key=TEST_LOG_SIGNER.verifier.vkey)


def _failed_step(report: Report) -> tuple[int, set[str]]:
    failed = report.first_failure
    assert failed is not None, report.render()
    return failed.number, {f.code for f in failed.findings}


async def _vote_index(api: BallotApi, choice: str) -> int:
    rows = await api.rows("SELECT idx, entry FROM audit_log_entry ORDER BY idx")
    return next(r.idx for r in rows if b'"kind":"ballot.vote_cast"' in r.entry
                and f'"choice":"{choice}"'.encode() in r.entry)


async def test_the_clean_log_verifies(api: BallotApi, tmp_path: Path) -> None:
    ballot_id = await _closed_ballot(api)
    report = await _verify(api, ballot_id, tmp_path)
    assert report.passed, report.render()


async def test_triggers_and_the_app_role_refuse_to_rewrite_log_rows(api: BallotApi) -> None:
    await _closed_ballot(api)
    before = await api.rows("SELECT idx, entry FROM audit_log_entry ORDER BY idx")
    for statement in ("UPDATE audit_log_entry SET entry = entry WHERE idx = 1",
                      "DELETE FROM audit_log_entry WHERE idx = 1",
                      "DELETE FROM audit_log_checkpoint",
                      "TRUNCATE audit_log_entry"):
        async with api.database.engine.connect() as connection:
            with pytest.raises(DBAPIError, match="append-only"):
                await connection.execute(text(statement))
    async with api.database.engine.connect() as connection:  # the application's role has no such grant
        await connection.execute(text("SET ROLE assembly_app"))
        with pytest.raises(DBAPIError, match="permission denied"):
            await connection.execute(text("UPDATE audit_log_entry SET entry = entry WHERE idx = 1"))
    assert await api.rows("SELECT idx, entry FROM audit_log_entry ORDER BY idx") == before


@pytest.mark.parametrize("tamper", ["edit", "delete", "reorder", "insert"])
async def test_a_superuser_rewriting_log_rows_is_caught_by_the_verifier(api: BallotApi, tmp_path: Path,
                                                                        tamper: str) -> None:
    ballot_id = await _closed_ballot(api)
    index = await _vote_index(api, "no")
    if tamper == "edit":  # the "no" becomes a "yes"
        await _superuser(api, "UPDATE audit_log_entry SET entry = convert_to(replace(convert_from(entry, 'UTF8'), "
                              "'\"choice\":\"no\"', '\"choice\":\"yes\"'), 'UTF8') WHERE idx = :i", i=index)
    elif tamper == "delete":  # the vote disappears and the later entries close the gap
        await _superuser(api, "DELETE FROM audit_log_entry WHERE idx = :i",
                         "UPDATE audit_log_entry SET idx = idx - 1 WHERE idx > :i", i=index)
    elif tamper == "reorder":
        await _superuser(api, "UPDATE audit_log_entry SET idx = 1000000 WHERE idx = :i",
                         "UPDATE audit_log_entry SET idx = :i WHERE idx = :i - 1",
                         "UPDATE audit_log_entry SET idx = :i - 1 WHERE idx = 1000000", i=index)
    else:  # a forged vote slipped in before the close
        forged = await api.rows("SELECT entry FROM audit_log_entry WHERE idx = :i", i=index)
        await _superuser(api, "UPDATE audit_log_entry SET idx = idx + 1000 WHERE idx > :i",
                         "UPDATE audit_log_entry SET idx = idx - 999 WHERE idx > :i + 1000",
                         "INSERT INTO audit_log_entry (idx, leaf_hash, entry) VALUES (:i + 1, :h, :e)",
                         i=index, h=b"\x00" * 32, e=forged[0].entry.replace(b'"revision":1', b'"revision":2'))
    report = await _verify(api, ballot_id, tmp_path)
    assert _failed_step(report)[0] == 6, report.render()  # entries against the latest checkpoint
    assert "E201" in report.render() or "E205" in report.render()


async def test_a_superuser_editing_a_checkpoint_is_caught(api: BallotApi, tmp_path: Path) -> None:
    ballot_id = await _closed_ballot(api)
    await _superuser(api, "UPDATE audit_log_checkpoint SET note = replace(note, '—', '-') "
                          "WHERE tree_size = (SELECT max(tree_size) FROM audit_log_checkpoint)")
    report = await _verify(api, ballot_id, tmp_path)
    assert _failed_step(report)[0] == 5, report.render()


async def test_a_superuser_changing_a_vote_projection_row_is_caught_by_the_recount(api: BallotApi,
                                                                                   tmp_path: Path) -> None:
    await api.setup(parties=4)
    ballot = await api.ballot()
    for party, choice in zip(api.parties, ["yes", "yes", "no", "no"], strict=True):
        await api.cast(ballot["id"], party, choice)
    # Before the close, the "no" votes become "yes" in the vote table: the stored tally will follow them,
    # the logged votes do not.
    await _superuser(api, "UPDATE vote SET choice = 'yes' WHERE ballot_id = :b", b=ballot["id"])
    closed = await api.close(ballot["id"])
    assert closed["result"]["outcome"] == "adopted"
    await integrate_log(api.app)
    report = await _verify(api, str(ballot["id"]), tmp_path)
    assert _failed_step(report) == (9, {"E415"}), report.render()


async def test_the_signer_refuses_a_rolled_back_or_edited_log(api: BallotApi, tmp_path: Path) -> None:
    await api.setup(parties=2)
    record = tmp_path / "audit-log.signed"
    sequencer = Sequencer(TEST_LOG_SIGNER, record)
    ballot = await api.ballot()

    async def integrate() -> int:
        async with api.app.state.database.sessionmaker() as session:
            try:
                async with session.begin():
                    added = await sequencer.integrate(session)
            except BaseException:
                sequencer.rolled_back()
                raise
        sequencer.committed()
        return added

    await integrate()
    signed = record.read_text().split()
    await api.cast(ballot["id"], api.parties[0], "yes")
    await integrate()
    # A restore of an older backup: the last batch and its checkpoint are gone, the state points back.
    await _superuser(api, "DELETE FROM audit_log_entry WHERE idx >= :s", "DELETE FROM audit_log_checkpoint "
                          "WHERE tree_size > :s", "UPDATE audit_log_state SET tree_size = :s, root = :r",
                     s=int(signed[0]), r=bytes.fromhex(signed[1]))
    await api.cast(ballot["id"], api.parties[1], "no")
    with pytest.raises(SequencerError, match="does not extend"):
        await integrate()
    # An edited entry under an unchanged state: the stored log no longer gives the signed root.
    fresh = Sequencer(TEST_LOG_SIGNER)
    await _superuser(api, "UPDATE audit_log_entry SET entry = entry || ' '::bytea WHERE idx = 0")
    async with api.app.state.database.sessionmaker() as session, session.begin():
        with pytest.raises(SequencerError, match="does not reproduce"):
            await fresh.integrate(session)
    assert await api.rows("SELECT seq FROM audit_log_pending") != [], "nothing was integrated or signed"
