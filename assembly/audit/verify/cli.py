"""``assembly verify BUNDLE``: the auditor's command. Exit status 0 pass, 1 fail, 2 usage error."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from assembly.audit.verify.verifier import verify_bundle

__all__ = ("main",)

EXIT_PASS = 0
EXIT_FAIL = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assembly verify",
        description=(
            "Verify an audit log bundle offline (docs/audit-log-spec.md): canonical entries, roots "
            "against the signed checkpoints, consistency between checkpoints, entry types and ballots. "
            "Prints a numbered report; exits 0 if every step passes, 1 if one fails, 2 on bad arguments."
        ),
    )
    parser.add_argument("bundle", type=Path, help="the bundle: a directory or a .zip file")
    key = parser.add_mutually_exclusive_group()
    key.add_argument("--key", metavar="VKEY", help="the log's public key as published (name+keyid+key)")
    key.add_argument("--key-file", metavar="PATH", type=Path, help="a file holding the log's public key")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--jobs",
        metavar="N",
        type=_jobs,
        default=None,
        help="processes checking the entries' canonical form (default: the CPUs, at most 8; 1: one process)",
    )
    return parser


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the verifier with command-line arguments ``argv`` (default: sys.argv[1:])."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error already printed by argparse
        return EXIT_PASS if exit_.code in (0, None) else EXIT_USAGE
    trusted = args.key
    if args.key_file is not None:
        try:
            trusted = args.key_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"assembly verify: error: cannot read the key file: {exc}", file=sys.stderr)
            return EXIT_USAGE
    try:
        report = verify_bundle(args.bundle, trusted_key=trusted, jobs=args.jobs)
    except ValueError as exc:
        print(f"assembly verify: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(report.render())
    return EXIT_PASS if report.passed else EXIT_FAIL
