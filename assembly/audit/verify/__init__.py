"""The offline verifier for audit log bundles (docs/audit-log-spec.md, "Verification").

Independent by design: it imports nothing from the application outside this package (a test
scans its source), only the standard library and ``cryptography`` for Ed25519. It re-implements
from the specification what it needs: canonical JSON, Merkle hashing and proofs, signed notes.

Entry points: :func:`main` (the ``assembly verify`` command, also ``python -m
assembly.audit.verify``) and :func:`verify_bundle` (returns a :class:`Report`).
"""

from assembly.audit.verify.cli import main
from assembly.audit.verify.model import CheckedLog, Entry, Finding, SemanticCheck, TypeSchema
from assembly.audit.verify.report import Report, StepResult
from assembly.audit.verify.verifier import DEFAULT_CHECKS, verify_bundle

__all__ = (
    "DEFAULT_CHECKS",
    "CheckedLog",
    "Entry",
    "Finding",
    "Report",
    "SemanticCheck",
    "StepResult",
    "TypeSchema",
    "main",
    "verify_bundle",
)
