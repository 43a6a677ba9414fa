"""The numbered verification steps of the spec ("Verification"), run in order over one bundle.

A step that fails stops the run: the later steps are reported as not run, because each builds on
what the earlier ones established (the entries are only worth interpreting once the signed
checkpoints cover them). Within a step every failure found is reported.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assembly.audit.verify.ballots import BallotCheck
from assembly.audit.verify.bundle import (
    CHECKPOINTS,
    ENTRIES,
    MANIFEST,
    PUBLIC_KEY,
    BundleProblem,
    parse_entry_lines,
    parse_manifest,
    read_bundle,
)
from assembly.audit.verify.jcs import EntryError, check_entries
from assembly.audit.verify.model import CheckedLog, Entry, Finding, SemanticCheck, TypeSchema
from assembly.audit.verify.notes import Key, NoteProblem, SignedCheckpoint, open_checkpoint, parse_key, split_notes
from assembly.audit.verify.parallel import check_entry_lines, default_jobs
from assembly.audit.verify.report import Report, StepResult
from assembly.audit.verify.tree import EMPTY_ROOT, Tree, check_consistency, leaf_hash
from assembly.audit.verify.types import CORE_TYPES, check_entry_types

__all__ = ("DEFAULT_CHECKS", "verify_bundle")

DEFAULT_CHECKS: tuple[SemanticCheck, ...] = (BallotCheck(),)


class _Failed(Exception):
    def __init__(self, findings: list[Finding]) -> None:
        super().__init__()
        self.findings = findings


def _fail(code: str, message: str) -> _Failed:
    return _Failed([Finding(code, message)])


class _Run:
    """State built up by the steps, in order."""

    def __init__(self, path: Path, trusted: Key | None, checks: Sequence[SemanticCheck], jobs: int) -> None:
        self.path = path
        self.jobs = jobs
        self.trusted = trusted
        self.checks = checks
        self.notes: list[str] = []
        self.files: dict[str, bytes] = {}
        self.origin = ""
        self.key: Key | None = None
        self.leaf_hashes: list[bytes] = []
        self.members: list[dict[str, Any]] = []
        self.checkpoints: list[SignedCheckpoint] = []
        self.tree: Tree | None = None
        self._checked: CheckedLog | None = None

    # Step 1
    def read(self) -> str:
        try:
            self.files, others = read_bundle(self.path)
        except BundleProblem as problem:
            raise _fail(problem.code, problem.message) from None
        if others:
            self.notes.append(f"ignored files in the bundle: {', '.join(others)}")
        kind = "directory" if self.path.is_dir() else "zip file"
        return f"{len(self.files)} files from a {kind}"

    # Step 2
    def manifest(self) -> str:
        try:
            manifest = parse_manifest(self.files[MANIFEST])
        except BundleProblem as problem:
            raise _fail(problem.code, problem.message) from None
        self.origin = manifest["origin"]
        return f"origin {self.origin}"

    # Step 3
    def public_key(self) -> str:
        try:
            text = self.files[PUBLIC_KEY].decode("utf-8")
        except UnicodeDecodeError:
            raise _fail("E004", "public_key.txt is not UTF-8") from None
        if not text.endswith("\n") or "\n" in text[:-1]:
            raise _fail("E004", "public_key.txt is not one line ending with a newline")
        try:
            key = parse_key(text[:-1])
        except NoteProblem as problem:
            raise _fail(problem.code, problem.message) from None
        if self.trusted is not None and (key.name, key.key_id, key.public) != (
            self.trusted.name,
            self.trusted.key_id,
            self.trusted.public,
        ):
            raise _fail("E005", f"the bundle's key {key.text} is not the trusted key {self.trusted.text}")
        if key.name != self.origin:
            raise _fail("E006", f"the key name {key.name!r} is not the manifest's origin {self.origin!r}")
        self.key = key
        if self.trusted is None:
            self.notes.append(
                "the public key was taken from the bundle itself; compare it with the key the log "
                "publishes (or pass it with --key) before relying on this result"
            )
            return f"{key.text} (from the bundle, not compared with a trusted key)"
        return f"{key.text} (the trusted key)"

    # Step 4
    def entries(self) -> str:
        # The file's text is not needed again: released once the entries' values are built.
        content = self.files.pop(ENTRIES)
        checked = check_entry_lines(content, self.origin, self.jobs)
        if checked is None:  # one process: the straightforward path, which names a bad line
            try:
                leaves = parse_entry_lines(content)
            except BundleProblem as problem:
                raise _fail(problem.code, problem.message) from None
            del content
            results = check_entries(leaves, self.origin)
            self.leaf_hashes = [leaf_hash(leaf) for leaf in leaves]
            del leaves
        else:
            del content
            results, self.leaf_hashes = checked
        findings = []
        for index, result in enumerate(results):
            if isinstance(result, EntryError):
                findings.append(Finding(result.code, f"entry {index}: {result.message}"))
            else:
                self.members.append(result)
        if findings:
            raise _Failed(findings)
        return f"{len(self.leaf_hashes)} entries, all canonical"

    # Step 5
    def checkpoint_notes(self) -> str:
        assert self.key is not None
        try:
            notes = split_notes(self.files[CHECKPOINTS])
        except NoteProblem as problem:
            raise _fail(problem.code, problem.message) from None
        findings = []
        for number, note in enumerate(notes, start=1):
            try:
                self.checkpoints.append(open_checkpoint(note, self.key))
            except NoteProblem as problem:
                findings.append(Finding(problem.code, f"checkpoint {number}: {problem.message}"))
        if not findings:
            for number in range(1, len(self.checkpoints)):
                before, after = self.checkpoints[number - 1], self.checkpoints[number]
                if after.size <= before.size:
                    findings.append(
                        Finding(
                            "E204",
                            f"checkpoint {number + 1} (size {after.size}) does not follow checkpoint "
                            f"{number} (size {before.size}) in increasing size order",
                        )
                    )
        if findings:
            raise _Failed(findings)
        sizes = ", ".join(str(c.size) for c in self.checkpoints)
        return f"{len(self.checkpoints)} checkpoints signed by the log key, sizes {sizes}"

    # Step 6
    def latest_root(self) -> str:
        latest, number = self.checkpoints[-1], len(self.checkpoints)
        count = len(self.leaf_hashes)
        if count < latest.size:
            raise _fail(
                "E205",
                f"checkpoint {number} covers {latest.size} entries but the bundle holds {count}: "
                f"entries {count}..{latest.size - 1} are missing",
            )
        if count > latest.size:
            raise _fail(
                "E206",
                f"the bundle holds {count} entries but the latest checkpoint ({number}) covers "
                f"{latest.size}: entries {latest.size}..{count - 1} are not signed",
            )
        self.tree = Tree(self.leaf_hashes)
        self.leaf_hashes = self.tree.levels[0]
        root = self.tree.root(count)
        if root != latest.root:
            raise _Failed([Finding("E201", self._mismatch(number, latest, root))])
        return f"the {count} entries reproduce the root of checkpoint {number}, {root.hex()}"

    def _mismatch(self, number: int, latest: SignedCheckpoint, root: bytes) -> str:
        assert self.tree is not None
        message = (
            f"root mismatch at checkpoint {number} (size {latest.size}): the entries give {root.hex()}, "
            f"the checkpoint signs {latest.root.hex()}"
        )
        # Point the auditor at the first signed prefix the entries no longer reproduce.
        previous = 0
        for earlier, checkpoint in enumerate(self.checkpoints, start=1):
            if self.tree.root(checkpoint.size) != checkpoint.root:
                return message + (
                    f"; the first checkpoint they disagree with is {earlier} (size {checkpoint.size}): "
                    f"an entry among {previous}..{checkpoint.size - 1} was changed, removed, inserted or moved"
                )
            previous = checkpoint.size
        return message

    # Step 7
    def consistency(self) -> str:
        assert self.tree is not None
        findings = []
        for number in range(1, len(self.checkpoints)):
            old, new = self.checkpoints[number - 1], self.checkpoints[number]
            if old.size == 0:
                problem = None if old.root == EMPTY_ROOT else "a tree of size 0 has the root SHA-256('')"
            else:
                proof = self.tree.consistency_proof(old.size, new.size)
                problem = check_consistency(old.size, new.size, old.root, new.root, proof)
            if problem:
                findings.append(
                    Finding(
                        "E301",
                        f"checkpoints {number} (size {old.size}) and {number + 1} (size {new.size}) are "
                        f"inconsistent: {problem}; the log key signed two different histories",
                    )
                )
        if findings:
            raise _Failed(findings)
        pairs = len(self.checkpoints) - 1
        return f"{pairs} consecutive pairs consistent" if pairs else "one checkpoint: nothing to compare"

    def checked_log(self) -> CheckedLog:
        # Built once and shared by step 8 and the semantic checks: the entries are read-only
        # (frozen, members as parsed), so each check sees the same authenticated log.
        assert self.key is not None
        assert self.tree is not None
        if self._checked is None:
            entries = list(map(Entry, range(len(self.members)), self.tree.levels[0], self.members))
            checkpoints = [(c.size, c.root) for c in self.checkpoints]
            self._checked = CheckedLog(self.origin, self.key.text, entries, checkpoints, notes=self.notes)
        return self._checked

    # Step 8
    def entry_types(self) -> str:
        schemas: dict[str, TypeSchema] = dict(CORE_TYPES)
        for check in self.checks:
            schemas.update(check.entry_types)
        summary, findings = check_entry_types(self.checked_log(), schemas)
        if findings:
            raise _Failed(findings)
        return summary


def verify_bundle(
    path: Path,
    *,
    trusted_key: str | None = None,
    checks: Sequence[SemanticCheck] = DEFAULT_CHECKS,
    jobs: int | None = None,
) -> Report:
    """Run every step over the bundle at ``path`` (a directory or a zip) and return the report.

    ``trusted_key`` is the log's verifier key as obtained independently of the bundle; when given,
    the bundle's key must be that key (E005). Raises ValueError if ``trusted_key`` is malformed.
    ``jobs``: processes for step 4 (default: the usable CPUs, at most 8; 1 checks in this process
    only); the report is the same whatever the number.
    """
    trusted = None
    if trusted_key is not None:
        try:
            trusted = parse_key(trusted_key.strip())
        except NoteProblem as problem:
            raise ValueError(f"the trusted key is malformed: {problem.message}") from None
    run = _Run(path, trusted, checks, default_jobs() if jobs is None else jobs)
    steps: list[tuple[str, Any]] = [
        ("Read the bundle", run.read),
        ("Manifest", run.manifest),
        ("Public key", run.public_key),
        ("Entries: encoding and canonical form", run.entries),
        ("Checkpoints: format, signatures and order", run.checkpoint_notes),
        ("Entries against the latest checkpoint", run.latest_root),
        ("Consistency between consecutive checkpoints", run.consistency),
        ("Entry types", run.entry_types),
    ]
    for check in checks:
        steps.append((check.title, _semantic(run, check)))
    report = Report(str(path))
    failed = False
    # The steps build millions of small objects (entries, members) that form no reference cycles;
    # the cyclic collector would rescan all of them again and again (a quarter of step 4's time
    # at 250,000 entries). Reference counting still frees everything; collection resumes after.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for number, (title, action) in enumerate(steps, start=1):
            if failed:
                report.steps.append(StepResult(number, title, "not run"))
                continue
            try:
                summary = action()
            except _Failed as failure:
                report.steps.append(StepResult(number, title, "fail", findings=failure.findings))
                failed = True
            else:
                report.steps.append(StepResult(number, title, "pass", summary))
    finally:
        if collecting:
            gc.enable()
    report.notes = run.notes
    return report


def _semantic(run: _Run, check: SemanticCheck) -> Any:
    def action() -> str:
        summary, findings = check.run(run.checked_log())
        if findings:
            raise _Failed(findings)
        return summary

    return action
