"""The offline verifier on the golden bundle, and one altered copy per error code, each failing at its step.

Steps (docs/audit-log-spec.md, "Verification"): 1 read the bundle, 2 manifest, 3 public key,
4 entries, 5 checkpoints, 6 entries against the latest checkpoint, 7 consistency, 8 entry types,
9 ballots.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import warnings
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from assembly.audit.log.canonical import canonicalize, encode_entry
from assembly.audit.log.checkpoint import Checkpoint, NoteSigner, sign_note
from assembly.audit.log.entries import genesis_entry
from assembly.audit.verify import CheckedLog, Finding, Report, main, verify_bundle
from assembly.audit.verify.ballots import BallotCheck
from tests.unit.audit.conftest import (
    GOLDEN_ORIGIN,
    GOLDEN_SIZES,
    OTHER_SEED,
    VECTORS,
    build_files,
    entry_line,
    event,
    golden_entries,
    golden_signer,
    join_notes,
    reencoded,
    signed_checkpoints,
    split_lines,
)

Files = dict[str, bytes]
GOLDEN_ROOT = "c6030d1efaaa3ff1677e6b6c82295c135a1ef822f82e58da51c0682b609ae800"
STEPS = 9


def assert_fails_at(report: Report, step: int, code: str) -> None:
    """The report fails at ``step`` with only ``code``; earlier steps passed, later ones did not run."""
    failed = report.first_failure
    assert failed is not None, report.render()
    assert (failed.number, {f.code for f in failed.findings}) == (step, {code}), report.render()
    assert [s.status for s in report.steps] == ["pass"] * (step - 1) + ["fail"] + ["not run"] * (STEPS - step)


def golden_files() -> Files:
    return build_files()


def test_the_golden_bundle_is_reproduced_byte_for_byte_from_the_fixed_keys() -> None:
    vendored = VECTORS / "golden-bundle"

    assert {name: (vendored / name).read_bytes() for name in golden_files()} == golden_files()


def test_the_golden_bundle_passes_every_step(write_bundle: Callable[..., Path]) -> None:
    report = verify_bundle(VECTORS / "golden-bundle", trusted_key=golden_signer().verifier.vkey)

    assert report.passed, report.render()
    assert [s.number for s in report.steps] == list(range(1, STEPS + 1))
    text = report.render()
    assert f"the 12 entries reproduce the root of checkpoint 4, {GOLDEN_ROOT}" in text
    assert "3 consecutive pairs consistent" in text
    assert "11 event, 1 log.genesis" in text
    assert text.endswith("RESULT: PASS (9 of 9 steps passed)\n")
    assert verify_bundle(write_bundle(golden_files(), as_zip=True)).passed


def test_without_a_trusted_key_the_report_says_the_key_came_from_the_bundle() -> None:
    report = verify_bundle(VECTORS / "golden-bundle")

    assert report.passed
    assert "not compared with a trusted key" in report.steps[2].summary
    assert any("taken from the bundle" in note for note in report.notes)


def replace_entry(files: Files, index: int, entry: bytes) -> Files:
    lines = split_lines(files["entries.jsonl"])
    lines[index] = entry_line(entry)
    return {**files, "entries.jsonl": b"".join(lines)}


def entry_at(files: Files, index: int) -> bytes:
    return base64.b64decode(split_lines(files["entries.jsonl"])[index].strip()[1:-1])


def notes_of(files: Files) -> list[str]:
    blocks = files["checkpoints.txt"].decode()[:-2].split("\n\n")
    return [blocks[i] + "\n\n" + blocks[i + 1] + "\n" for i in range(0, len(blocks), 2)]


def with_note(files: Files, number: int, note: str) -> Files:
    notes = notes_of(files)
    notes[number - 1] = note
    return {**files, "checkpoints.txt": join_notes(notes)}


def resigned(entries: list[bytes], sizes: tuple[int, ...] | None = None) -> Files:
    """What a log that really signed ``entries`` would export: roots and signatures all valid."""
    return build_files(entries, sizes or (*GOLDEN_SIZES[:-1], len(entries)))


OTHER = NoteSigner(GOLDEN_ORIGIN, OTHER_SEED)


def e101_whitespace(files: Files) -> Files:
    return replace_entry(files, 3, entry_at(files, 3).replace(b'","', b'", "', 1))


def e101_float(files: Files) -> Files:
    return replace_entry(files, 2, entry_at(files, 2).replace(b'"version":2', b'"version":2.0'))


def e102_too_large(files: Files) -> Files:
    return replace_entry(files, 4, canonicalize({**json.loads(entry_at(files, 4)), "payload": {"x": "y" * 65_535}}))


def e200_extension_line(files: Files) -> Files:
    body = Checkpoint(GOLDEN_ORIGIN, 5, base64.b64decode(notes_of(files)[1].split("\n")[2])).body()
    return with_note(files, 2, sign_note(body + "extension\n", [golden_signer()]))


def e202_flipped_signature(files: Files) -> Files:
    note = notes_of(files)[2]
    at = note.rindex(" ") + 10
    return with_note(files, 3, note[:at] + ("A" if note[at] != "A" else "B") + note[at + 1 :])


def e202_other_key(files: Files) -> Files:
    return with_note(files, 1, signed_checkpoints(golden_entries(), [1], OTHER)[0])


def e203_other_origin(files: Files) -> Files:
    note = notes_of(files)[0]
    body = note.split("\n\n")[0].replace(GOLDEN_ORIGIN, "wa.example.org/audit/other") + "\n"
    return with_note(files, 1, sign_note(body, [golden_signer()]))


def e204_out_of_order(files: Files) -> Files:
    notes = notes_of(files)
    return {**files, "checkpoints.txt": join_notes([notes[1], notes[0], *notes[2:]])}


def e204_repeated(files: Files) -> Files:
    notes = notes_of(files)
    return {**files, "checkpoints.txt": join_notes([notes[0], *notes])}


def e205_last_entry_removed(files: Files) -> Files:
    return {**files, "entries.jsonl": b"".join(split_lines(files["entries.jsonl"])[:-1])}


def e206_entry_appended(files: Files) -> Files:
    return {**files, "entries.jsonl": files["entries.jsonl"] + entry_line(event(99))}


def e201_payload_changed(files: Files) -> Files:
    changed = reencoded(entry_at(files, 6), payload={"previous_status": "submitted", "credentials_status": "accepted"})
    return replace_entry(files, 6, changed)


def e201_swapped(files: Files) -> Files:
    lines = split_lines(files["entries.jsonl"])
    lines[9], lines[10] = lines[10], lines[9]
    return {**files, "entries.jsonl": b"".join(lines)}


def e201_deleted_and_appended(files: Files) -> Files:
    lines = split_lines(files["entries.jsonl"])
    del lines[3]
    return {**files, "entries.jsonl": b"".join(lines) + entry_line(event(99))}


def e201_inserted(files: Files) -> Files:
    lines = split_lines(files["entries.jsonl"])
    lines.insert(1, entry_line(event(98)))
    return {**files, "entries.jsonl": b"".join(lines[:-1])}


def e301_forked_checkpoint(files: Files) -> Files:
    # The log key signed size 5 over another history: a split view.
    other_history = [*golden_entries()[:4], event(97)]
    return with_note(files, 2, signed_checkpoints(other_history, [5], golden_signer())[0])


def e401_unknown_type(files: Files) -> Files:
    return resigned([*golden_entries(), encode_entry(GOLDEN_ORIGIN, "ballot.cast", {"choice": "yes"})])


def e402_missing_member(files: Files) -> Files:
    entries = golden_entries()
    members = json.loads(entries[5])
    del members["subject_id"]
    entries[5] = canonicalize(members)
    return resigned(entries)


def e402_extra_member(files: Files) -> Files:
    entries = golden_entries()
    entries[5] = reencoded(entries[5], comment="not in the schema")
    return resigned(entries)


def e402_bad_uuid(files: Files) -> Files:
    entries = golden_entries()
    entries[7] = reencoded(entries[7], event_id="0190A000-0000-7000-8000-000000000007")
    return resigned(entries)


def e403_genesis_not_first(files: Files) -> Files:
    entries = golden_entries()
    entries[0], entries[1] = entries[1], entries[0]
    return resigned(entries)


def e403_second_genesis(files: Files) -> Files:
    signer = golden_signer()
    return resigned([*golden_entries(), genesis_entry(GOLDEN_ORIGIN, vkey=signer.verifier.vkey, created_ms=1)])


def e403_genesis_of_another_key(files: Files) -> Files:
    entries = golden_entries()
    entries[0] = genesis_entry(GOLDEN_ORIGIN, vkey=OTHER.verifier.vkey, created_ms=1)
    return resigned(entries)


MUTATIONS: list[tuple[Callable[[Files], Files], int, str]] = [
    (lambda f: {k: v for k, v in f.items() if k != "checkpoints.txt"}, 1, "E002"),
    (lambda f: {**f, "manifest.json": b"{not json"}, 2, "E003"),
    (lambda f: {**f, "manifest.json": f["manifest.json"].replace(b"bundle/1", b"bundle/2")}, 2, "E003"),
    (lambda f: {**f, "manifest.json": b'{"format":"assembly-audit-bundle/1","origin":"a","scope":{}}'}, 2, "E003"),
    (lambda f: {**f, "manifest.json": b'{"format":"assembly-audit-bundle/1","origin":"a","origin":"b"}'}, 2, "E003"),
    (lambda f: {**f, "manifest.json": b'{"format":"assembly-audit-bundle/1"}'}, 2, "E003"),
    (lambda f: {**f, "public_key.txt": f["public_key.txt"].replace(b"+cfa12a7a+", b"+cfa12a7b+")}, 3, "E004"),
    (lambda f: {**f, "public_key.txt": f["public_key.txt"] + f["public_key.txt"]}, 3, "E004"),
    (lambda f: {**f, "public_key.txt": f["public_key.txt"].strip()}, 3, "E004"),
    (
        lambda f: {
            **f,
            "public_key.txt": NoteSigner("other.example.org/log", OTHER_SEED).verifier.vkey.encode() + b"\n",
        },
        3,
        "E006",
    ),
    (lambda f: {**f, "entries.jsonl": f["entries.jsonl"].replace(b'"\n"', b'"\n\n"', 1)}, 4, "E100"),
    (lambda f: {**f, "entries.jsonl": f["entries.jsonl"][:-1]}, 4, "E100"),
    (lambda f: {**f, "entries.jsonl": f["entries.jsonl"].replace(b'="\n', b'"\n', 1)}, 4, "E100"),
    (e101_whitespace, 4, "E101"),
    (e101_float, 4, "E101"),
    (e102_too_large, 4, "E102"),
    (lambda f: replace_entry(f, 2, entry_at(f, 2).replace(b"audit/golden", b"audit/other")), 4, "E103"),
    (lambda f: {**f, "checkpoints.txt": b""}, 5, "E200"),
    (lambda f: {**f, "checkpoints.txt": f["checkpoints.txt"].replace(b"\n\nwa.", b"\nwa.", 1)}, 5, "E200"),
    (e200_extension_line, 5, "E200"),
    (e202_flipped_signature, 5, "E202"),
    (e202_other_key, 5, "E202"),
    (e203_other_origin, 5, "E203"),
    (e204_out_of_order, 5, "E204"),
    (e204_repeated, 5, "E204"),
    (e205_last_entry_removed, 6, "E205"),
    (e206_entry_appended, 6, "E206"),
    (e201_payload_changed, 6, "E201"),
    (e201_swapped, 6, "E201"),
    (e201_deleted_and_appended, 6, "E201"),
    (e201_inserted, 6, "E201"),
    (e301_forked_checkpoint, 7, "E301"),
    (e401_unknown_type, 8, "E401"),
    (e402_missing_member, 8, "E402"),
    (e402_extra_member, 8, "E402"),
    (e402_bad_uuid, 8, "E402"),
    (e403_genesis_not_first, 8, "E403"),
    (e403_second_genesis, 8, "E403"),
    (e403_genesis_of_another_key, 8, "E403"),
]


def mutation_id(case: tuple[Callable[[Files], Files], int, str]) -> str:
    mutate, step, code = case
    name = mutate.__name__ if mutate.__name__ != "<lambda>" else f"inline{MUTATIONS.index(case)}"
    return f"{code}-step{step}-{name}"


@pytest.mark.parametrize("case", MUTATIONS, ids=mutation_id)
@pytest.mark.parametrize("as_zip", [False, True], ids=["directory", "zip"])
def test_each_alteration_fails_at_its_step_with_its_code(
    case: tuple[Callable[[Files], Files], int, str], as_zip: bool, write_bundle: Callable[..., Path]
) -> None:
    mutate, step, code = case

    report = verify_bundle(write_bundle(mutate(golden_files()), as_zip=as_zip))

    assert_fails_at(report, step, code)


def test_a_changed_entry_is_located_between_the_checkpoints_around_it(write_bundle: Callable[..., Path]) -> None:
    report = verify_bundle(write_bundle(e201_payload_changed(golden_files())))

    message = report.steps[5].findings[0].message
    assert message.startswith("root mismatch at checkpoint 4 (size 12)")
    assert "the first checkpoint they disagree with is 3 (size 8): an entry among 5..7 was changed" in message


def test_an_unreadable_path_fails_at_step_1(tmp_path: Path) -> None:
    assert_fails_at(verify_bundle(tmp_path / "missing.zip"), 1, "E001")
    (tmp_path / "garbage.zip").write_bytes(b"not a zip file")
    assert_fails_at(verify_bundle(tmp_path / "garbage.zip"), 1, "E001")


def test_a_zip_with_a_file_twice_fails_at_step_1(tmp_path: Path) -> None:
    path = tmp_path / "twice.zip"
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name: that is the point
        for name, content in golden_files().items():
            archive.writestr(name, content)
        archive.writestr("entries.jsonl", b"")

    assert_fails_at(verify_bundle(path), 1, "E001")


def test_a_zip_whose_files_sit_in_a_folder_misses_them(tmp_path: Path) -> None:
    path = tmp_path / "nested.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in golden_files().items():
            archive.writestr(f"bundle/{name}", content)

    report = verify_bundle(path)

    assert_fails_at(report, 1, "E002")
    assert "missing entries.jsonl, checkpoints.txt, public_key.txt, manifest.json" in report.render()


def test_other_files_in_the_bundle_are_ignored_and_named(write_bundle: Callable[..., Path]) -> None:
    report = verify_bundle(write_bundle({**golden_files(), "README.txt": b"hello"}))

    assert report.passed
    assert "ignored files in the bundle: README.txt" in report.notes


def test_a_bundle_signed_by_another_key_fails_against_the_trusted_key(write_bundle: Callable[..., Path]) -> None:
    # A forger re-signs the golden entries with a key of his own under the log's name ...
    swapped_key = build_files(signer=OTHER)
    # ... and, to be thorough, rewrites the genesis entry to name his key.
    entries = golden_entries()
    entries[0] = genesis_entry(GOLDEN_ORIGIN, vkey=OTHER.verifier.vkey, created_ms=1_789_000_000_000)
    forged = build_files(entries, signer=OTHER)

    # The genesis entry binds the log's key: re-signing alone is caught even without a trusted key.
    assert_fails_at(verify_bundle(write_bundle(swapped_key)), 8, "E403")
    # A fully forged log is self-consistent; only the trusted key, obtained elsewhere, exposes it.
    assert verify_bundle(write_bundle(forged)).passed
    assert_fails_at(verify_bundle(write_bundle(forged), trusted_key=golden_signer().verifier.vkey), 3, "E005")


def test_the_latest_checkpoint_may_cover_an_empty_log_prefix_of_size_0(write_bundle: Callable[..., Path]) -> None:
    entries = golden_entries()
    files = build_files(entries, (0, 1, 12))

    assert verify_bundle(write_bundle(files)).passed
    forked_empty = with_note(files, 1, sign_note(Checkpoint(GOLDEN_ORIGIN, 0, b"\x01" * 32).body(), [golden_signer()]))
    assert_fails_at(verify_bundle(write_bundle(forked_empty)), 7, "E301")


def test_many_failures_in_one_step_are_all_reported(write_bundle: Callable[..., Path]) -> None:
    files = golden_files()
    for index in (2, 4, 6):
        files = replace_entry(files, index, entry_at(files, index) + b" ")

    report = verify_bundle(write_bundle(files))

    assert [f.message.split(":")[0] for f in report.steps[3].findings] == ["entry 2", "entry 4", "entry 6"]


def test_a_ballot_event_without_its_opening_fails_the_ballot_step(write_bundle: Callable[..., Path]) -> None:
    vote = event(60, "ballot.vote_cast", {"ballot_id": "0190a000-0000-7000-8000-0000000000e1", "option": "yes"})

    golden = verify_bundle(VECTORS / "golden-bundle")
    report = verify_bundle(write_bundle(resigned([*golden_entries(), vote])))

    assert golden.steps[8].summary == "no ballot entries"
    assert_fails_at(report, 9, "E412")


class RecordingBallotCheck(BallotCheck):
    """A stand-in for the ballots' check: owns one type and fails on a tally it dislikes."""

    title = "Ballots: electorates, votes and tallies"
    entry_types: Mapping[str, Any] = {
        "ballot.close": {"tally": lambda v: None if isinstance(v, int) else "is not an int"},
    }

    def run(self, log: CheckedLog) -> tuple[str, list[Finding]]:
        closes = [e for e in log.entries if e.type == "ballot.close"]
        findings = [Finding("E414", f"entry {e.index}: tally differs") for e in closes if e.members["tally"] < 0]
        return f"{len(closes)} ballot closes", findings


def test_a_semantic_check_plugs_in_as_its_own_step_with_its_own_types(write_bundle: Callable[..., Path]) -> None:
    close = encode_entry(GOLDEN_ORIGIN, "ballot.close", {"tally": 3})
    bad_close = encode_entry(GOLDEN_ORIGIN, "ballot.close", {"tally": -1})

    assert_fails_at(verify_bundle(write_bundle(resigned([*golden_entries(), close]))), 8, "E401")
    good = verify_bundle(write_bundle(resigned([*golden_entries(), close])), checks=[RecordingBallotCheck()])
    assert good.passed
    assert good.steps[8].summary == "1 ballot closes"
    bad = verify_bundle(write_bundle(resigned([*golden_entries(), bad_close])), checks=[RecordingBallotCheck()])
    assert_fails_at(bad, 9, "E414")


def test_main_prints_the_numbered_report_and_exits_0_on_pass(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(VECTORS / "golden-bundle"), "--key", golden_signer().verifier.vkey])

    out = capsys.readouterr().out
    assert code == 0
    assert " 1. Read the bundle " in out
    assert " 9. Ballots: electorates, votes and tallies " in out
    assert out.rstrip().endswith("RESULT: PASS (9 of 9 steps passed)")


def test_main_exits_1_on_a_failure_and_names_the_step_and_code(
    capsys: pytest.CaptureFixture[str], write_bundle: Callable[..., Path]
) -> None:
    code = main([str(write_bundle(e201_swapped(golden_files()), as_zip=True))])

    out = capsys.readouterr().out
    assert code == 1
    assert " 6. Entries against the latest checkpoint " in out
    assert "      E201 root mismatch at checkpoint 4" in out
    assert " 7. Consistency between consecutive checkpoints " in out
    assert out.rstrip().endswith("RESULT: FAIL at step 6 (E201)")


def test_main_reads_the_trusted_key_from_a_file_and_prints_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    key_file = tmp_path / "log.vkey"
    key_file.write_text(OTHER.verifier.vkey + "\n")

    code = main([str(VECTORS / "golden-bundle"), "--key-file", str(key_file), "--json"])

    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["result"] == "fail"
    assert report["steps"][2]["findings"][0]["code"] == "E005"
    assert [s["status"] for s in report["steps"]] == ["pass", "pass", "fail"] + ["not run"] * 6


@pytest.mark.parametrize(
    "argv",
    [[], ["a", "b"], ["bundle", "--key", "not a key"], ["bundle", "--key-file", "/nonexistent/key"], ["--bogus"]],
)
def test_main_exits_2_on_bad_arguments(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err


def test_main_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert "exits 0 if every step passes" in " ".join(capsys.readouterr().out.split())


def test_the_verifier_runs_as_a_module_without_loading_the_application(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from assembly.audit.verify import main\n"
        f"code = main([{str(VECTORS / 'golden-bundle')!r}])\n"
        "watched = {'assembly', 'litestar', 'sqlalchemy', 'msgspec'}\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in watched)\n"
        "print('LOADED', ' '.join(loaded))\n"
        "sys.exit(code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=60)
    module = subprocess.run(
        [sys.executable, "-m", "assembly.audit.verify", str(VECTORS / "golden-bundle")],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    loaded = done.stdout.rsplit("LOADED", 1)[1].split()
    assert all(m in {"assembly", "assembly.audit"} or m.startswith("assembly.audit.verify") for m in loaded), loaded
    assert module.returncode == 0, module.stderr
    assert "RESULT: PASS" in module.stdout
