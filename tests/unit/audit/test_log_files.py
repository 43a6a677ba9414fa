"""The log's files beside the database: a dropped database (``assembly demo --reset``) starts a new log."""

from __future__ import annotations

from pathlib import Path

import pytest

from assembly.audit.log.merkle import MerkleTree
from assembly.audit.sequencer import (
    KEY_FILE,
    SIGNED_FILE,
    Sequencer,
    SequencerError,
    discard_log_files,
    load_signer,
)
from assembly.settings import Settings


def _settings(data_dir: Path) -> Settings:
    return Settings.from_env({"ASSEMBLY_DATA_DIR": str(data_dir)})


def test_a_discarded_log_gets_a_new_key_and_no_record_of_the_old_size(tmp_path: Path) -> None:
    signer, record = load_signer(_settings(tmp_path))
    assert record == tmp_path / SIGNED_FILE
    record.write_text(f"938 {'ab' * 32}\n", encoding="ascii")  # what the old log's signer had signed
    with pytest.raises(SequencerError, match="does not extend"):  # the new database's log, as it stands
        Sequencer(signer, record)._check_extends_record(MerkleTree())

    removed = discard_log_files(tmp_path)

    assert sorted(p.name for p in removed) == sorted([KEY_FILE, SIGNED_FILE])
    renewed, record_again = load_signer(_settings(tmp_path))
    assert renewed.verifier.vkey != signer.verifier.vkey, "a new log, a new key"
    assert record_again is not None
    assert not record_again.exists()
    Sequencer(renewed, record_again)._check_extends_record(MerkleTree())  # a new, empty log: signed


def test_discarding_what_is_not_there_removes_nothing(tmp_path: Path) -> None:
    assert discard_log_files(tmp_path) == []
