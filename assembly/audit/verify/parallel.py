"""Step 4 over several processes: entries.jsonl cut into contiguous ranges of lines, each range
decoded, checked and hashed by a forked worker or by this process, the results joined in entry
order.

The outcome is the one of the single-process path, entry for entry: the ranges are decoded by
the same cutter (:func:`bundle.lines_between`) and checked by the same :func:`jcs.check_entries`.
When any range has a line the fast cutter refuses, nothing is taken from the workers: the caller
reads the whole file in one process, which names the first bad line as before. Workers are
forked: they read the file's bytes from the parent's memory (one object, shared copy-on-write)
and are sent only where their range starts and stops.
"""

from __future__ import annotations

import marshal
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from assembly.audit.verify.bundle import lines_between
from assembly.audit.verify.jcs import EntryError, check_entries
from assembly.audit.verify.tree import leaf_hash

__all__ = ("MAX_JOBS", "PARALLEL_MIN", "check_entry_lines", "default_jobs")

MAX_JOBS = 8
"""The default number of processes for step 4 is the number of usable CPUs, at most this."""
PIECES = 4
"""entries.jsonl is cut into this many ranges per process, so that a process that is done early
(the other one slowed by the machine's other work, or sending its result) takes more of them."""
PARALLEL_MIN = 20_000
"""Files of fewer lines than this are checked in one process: forking would cost more than it saves."""

Checked = tuple[list[dict[str, Any] | EntryError], list[bytes]]
"""Per entry its members or its EntryError, and per entry its leaf hash, in entry order."""
_Wire = tuple[list[dict[str, Any] | tuple[str, str]], list[bytes]]

_SHARED: list[tuple[bytes, str]] = []
"""entries.jsonl's bytes and the origin, set (as the only item) before the workers are forked."""


def default_jobs() -> int:
    """The number of CPUs this process may run on, at most MAX_JOBS."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    return max(1, min(count, MAX_JOBS))


def _ranges(content: bytes, parts: int) -> list[tuple[int, int]]:
    """About ``parts`` ranges of content, each from after a line's opening '"' to before a later
    line's closing '"', together covering every line; ``content`` is '"' ... '"\\n'."""
    ranges = []
    start, end = 1, len(content) - 2
    for part in range(1, parts):
        cut = content.find(b'"\n"', max(start, len(content) * part // parts), end)
        if cut < 0:
            break
        ranges.append((start, cut))
        start = cut + 3
    ranges.append((start, end))
    return ranges


def _check_range(start: int, stop: int) -> _Wire | None:
    """The lines in content[start:stop], checked and hashed; errors as (code, message) so that
    they cross the process boundary (the parent rebuilds the same EntryError); None if a line is
    not canonical base64. The members are JSON values: str, int, bool, None, lists and dicts."""
    content, origin = _SHARED[0]
    leaves = lines_between(content, start, stop)
    if leaves is None:
        return None
    results = [
        (result.code, result.message) if isinstance(result, EntryError) else result
        for result in check_entries(leaves, origin)
    ]
    return results, [leaf_hash(leaf) for leaf in leaves]


def _marshalled(start: int, stop: int) -> bytes:
    """In a worker: :func:`_check_range`, marshalled. marshal writes and reads these values exactly
    (JSON values, tuples of str, bytes, None) and is some fifteen times faster than pickle here; the
    bytes come from this program's own forked process, never from the bundle."""
    return marshal.dumps(_check_range(start, stop))


def _large_and_well_formed(content: bytes) -> bool:
    """At least PARALLEL_MIN lines, starting with '"' and ending with '"\\n' (else one process)."""
    return len(content) >= 3 and content[:1] == b'"' and content[-2:] == b'"\n' and content.count(b"\n") >= PARALLEL_MIN


def check_entry_lines(content: bytes, origin: str, jobs: int) -> Checked | None:
    """Step 4's entry results and the leaf hashes, computed by ``jobs`` processes; None if this
    path does not apply (one job, a small or malformed file, no fork) or a line is bad: the caller
    then checks in one process, with the same results and the same first bad line."""
    if jobs <= 1 or not _large_and_well_formed(content):
        return None
    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: workers would need a copy of the file
        return None
    ranges = _ranges(content, jobs * PIECES)
    if len(ranges) < 2:
        return None
    _SHARED[:] = [(content, origin)]
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(ranges)) - 1, mp_context=context) as pool:
            futures = [pool.submit(_marshalled, start, stop) for start, stop in ranges[1:]]
            # This process takes the first range, then, from the last one backwards, every range
            # no worker has started (the workers take them from the front): whoever is free works.
            local = {0: _check_range(*ranges[0])}
            for number in range(len(ranges) - 1, 0, -1):
                if not futures[number - 1].cancel():
                    break
                local[number] = _check_range(*ranges[number])
            # Our own forked workers wrote these bytes (see _marshalled), not the bundle.
            parts = [
                local[number] if number in local else marshal.loads(futures[number - 1].result())  # noqa: S302
                for number in range(len(ranges))
            ]
    except (OSError, BrokenProcessPool):  # cannot fork, or a worker died: one process decides
        return None
    finally:
        _SHARED.clear()
    results: list[dict[str, Any] | EntryError] = []
    hashes: list[bytes] = []
    for part in parts:
        if part is None:
            return None
        results.extend(EntryError(*result) if isinstance(result, tuple) else result for result in part[0])
        hashes.extend(part[1])
    return results, hashes
