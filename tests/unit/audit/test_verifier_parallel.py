"""Step 4 over several processes gives the report of one process, byte for byte.

The bundles are large generated logs; the line count above which step 4 forks workers is lowered
for most tests (the ranges and the merge do not depend on it), and kept for one.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from assembly.audit.log.canonical import canonicalize
from assembly.audit.log.entries import genesis_entry
from assembly.audit.verify import main, parallel, verify_bundle
from assembly.audit.verify.bundle import parse_entry_lines
from tests.unit.audit.conftest import GOLDEN_ORIGIN, build_files, entry_line, event, golden_signer

Files = dict[str, bytes]


def generated(count: int) -> list[bytes]:
    signer = golden_signer()
    entries = [genesis_entry(GOLDEN_ORIGIN, vkey=signer.verifier.vkey, created_ms=1_789_000_000_000)]
    return entries + [event(number) for number in range(1, count)]


@pytest.fixture(scope="module")
def log_3000() -> list[bytes]:
    return generated(3_000)


def signed(entries: list[bytes]) -> Files:
    return build_files(entries, (len(entries) // 2, len(entries)))


def with_entries(files: Files, changes: dict[int, bytes]) -> Files:
    lines = files["entries.jsonl"].splitlines(keepends=True)
    for index, entry in changes.items():
        lines[index] = entry_line(entry)
    return {**files, "entries.jsonl": b"".join(lines)}


def spaced(entry: bytes) -> bytes:
    return entry.replace(b'","', b'", "', 1)


def other_log(entry: bytes) -> bytes:
    return canonicalize({**json.loads(entry), "log": "elsewhere.example"})


@pytest.fixture
def few_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 100)


def reports(path: Path, jobs: tuple[int, ...] = (2, 3)) -> tuple[str, list[str]]:
    one = verify_bundle(path, jobs=1).render()
    return one, [verify_bundle(path, jobs=n).render() for n in jobs]


def test_ranges_cover_every_line_once_and_the_workers_are_used(log_3000: list[bytes], few_lines: None) -> None:
    content = signed(log_3000)["entries.jsonl"]
    for parts in (2, 3, 7):
        ranges = parallel._ranges(content, parts)
        assert len(ranges) == parts
        pieces = [parallel.lines_between(content, start, stop) for start, stop in ranges]
        assert [leaf for piece in pieces for leaf in piece or []] == parse_entry_lines(content)
    checked = parallel.check_entry_lines(content, GOLDEN_ORIGIN, 2)
    assert checked is not None
    assert len(checked[0]) == len(checked[1]) == len(log_3000)


def test_a_passing_log_gives_the_same_report(
    log_3000: list[bytes], few_lines: None, write_bundle: Callable[..., Path]
) -> None:
    path = write_bundle(signed(log_3000))
    one, many = reports(path)
    assert "RESULT: PASS" in one
    assert many == [one, one]


def test_a_non_canonical_entry_in_the_middle_gives_the_same_report(
    log_3000: list[bytes], few_lines: None, write_bundle: Callable[..., Path]
) -> None:
    middle = len(log_3000) // 2
    path = write_bundle(with_entries(signed(log_3000), {middle: spaced(log_3000[middle])}))
    one, many = reports(path)
    assert f"E101 entry {middle}:" in one, one
    assert many == [one, one]


def test_bad_entries_in_different_ranges_are_reported_in_entry_order(
    log_3000: list[bytes], few_lines: None, write_bundle: Callable[..., Path]
) -> None:
    last = len(log_3000) - 2
    changes = {last: other_log(log_3000[last]), 5: spaced(log_3000[5]), 1_600: spaced(log_3000[1_600])}
    path = write_bundle(with_entries(signed(log_3000), changes))
    one, many = reports(path, (2, 3, 5))
    assert one.index("entry 5:") < one.index("entry 1600:") < one.index(f"entry {last}:"), one
    assert many == [one, one, one]


def test_a_bad_line_in_a_later_range_is_named_as_in_one_process(
    log_3000: list[bytes], few_lines: None, write_bundle: Callable[..., Path]
) -> None:
    files = signed(log_3000)
    lines = files["entries.jsonl"].splitlines(keepends=True)
    lines[2_500] = b'"' + base64.b64encode(log_3000[2_500]).rstrip(b"=") + b'"\n'
    lines[2_900] = b'"not base64!"\n'
    path = write_bundle({**files, "entries.jsonl": b"".join(lines)})
    one, many = reports(path)
    assert "line 2501 (entry 2500)" in one, one
    assert many == [one, one]


def test_at_the_real_threshold_a_large_log_with_two_bad_entries_gives_the_same_report(
    write_bundle: Callable[..., Path],
) -> None:
    entries = generated(parallel.PARALLEL_MIN + 500)
    changes = {100: spaced(entries[100]), len(entries) - 100: spaced(entries[len(entries) - 100])}
    files = with_entries(signed(entries), changes)
    assert parallel.check_entry_lines(files["entries.jsonl"], GOLDEN_ORIGIN, 2) is not None
    one, many = reports(write_bundle(files), (2,))
    assert "E101 entry 100:" in one, one
    assert f"E101 entry {len(entries) - 100}:" in one, one
    assert many == [one]


def test_jobs_on_the_command_line(
    log_3000: list[bytes], few_lines: None, write_bundle: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_bundle(signed(log_3000))
    assert main([str(path), "--jobs", "1"]) == 0
    one = capsys.readouterr().out
    assert main([str(path), "--jobs", "2"]) == 0
    assert capsys.readouterr().out == one
    assert main([str(path), "--jobs", "0"]) == 2
    assert main([str(path), "--jobs", "two"]) == 2


def test_small_files_and_one_job_stay_in_one_process(log_3000: list[bytes]) -> None:
    content = signed(log_3000)["entries.jsonl"]
    assert parallel.check_entry_lines(content, GOLDEN_ORIGIN, 2) is None  # fewer lines than PARALLEL_MIN
    assert parallel.check_entry_lines(content, GOLDEN_ORIGIN, 1) is None
    assert 1 <= parallel.default_jobs() <= parallel.MAX_JOBS
