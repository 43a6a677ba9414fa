"""The tamper-evident audit log: canonical entries, RFC 9162 Merkle hashing, signed checkpoints.

The format is specified in docs/audit-log-spec.md. Modules:

- :mod:`assembly.audit.log.canonical`: RFC 8785 canonical JSON (integers only) and the entry envelope;
- :mod:`assembly.audit.log.merkle`: leaf and node hashing, roots, inclusion and consistency proofs;
- :mod:`assembly.audit.log.checkpoint`: C2SP checkpoints and signed notes with Ed25519;
- :mod:`assembly.audit.log.entries`: the ``log.genesis`` and ``event`` entry types;
- :mod:`assembly.audit.log.bundle`: the offline bundle an auditor downloads.

The offline verifier (:mod:`assembly.audit.verify`) re-implements what it needs from the spec and
imports nothing from here.
"""

from assembly.audit.log import bundle, canonical, checkpoint, entries, merkle

__all__ = ("bundle", "canonical", "checkpoint", "entries", "merkle")
