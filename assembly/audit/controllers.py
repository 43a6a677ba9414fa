"""HTTP routes of the audit log: receipts, checkpoints, consistency proofs, the log key, bundles.

Receipts, checkpoints, proofs and the key are public: anyone may check the log. A bundle holds the
whole log up to its latest checkpoint (the roots need every entry); it is given to the secretariat
and to the chair or auditor of the assembly it is asked for.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.security.jwt import Token
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.models import AssemblyRoleKind
from assembly.assemblies.services import get_assembly, require_assembly_role
from assembly.audit import services
from assembly.audit.log.bundle import MANIFEST_FILE
from assembly.audit.models import LogState
from assembly.audit.schemas import CheckpointRead, ConsistencyRead, ReceiptRead
from assembly.ballots.services._common import load_ballot
from assembly.core.errors import NotFound
from assembly.core.guards import current_principal, requires_login
from assembly.core.openapi import DEFAULT_PROBLEM_DESCRIPTIONS, problem_responses
from assembly.core.security import Principal

__all__ = ("AuditController", "LogKeyController")

CallerRequest = Request[Principal, Token, Any]
PUBLIC: dict[str, Any] = {"exclude_from_auth": True}
Size = Annotated[int, QueryParameter(ge=0, le=2**53 - 1, description="A tree size")]

_PROBLEM_DESCRIPTIONS = {
    **DEFAULT_PROBLEM_DESCRIPTIONS,
    403: "The caller is not the secretariat, nor chair or auditor of the assembly",
    404: "Not found (the code says why: receipt_pending means retry later)",
}
_problems = partial(problem_responses, _PROBLEM_DESCRIPTIONS)


def _bundle_document(files: dict[str, bytes]) -> dict[str, str]:
    """The bundle as one JSON object: file name to its exact text (docs/audit-log-spec.md section 7)."""
    return {name: content.decode("utf-8") for name, content in sorted(files.items())}


class AuditController(Controller):
    """Receipts, checkpoints and consistency proofs (public)."""

    path = "/api/audit"
    tags = ["Audit log"]  # noqa: RUF012  (Litestar reads a plain class attribute)

    @get("/receipts/{tracker:str}", operation_id="GetReceipt", summary="Inclusion proof of a vote's tracker",
         opt=PUBLIC, security=[{}], responses=_problems(404, 422))
    async def receipt(self, tracker: FromPath[str], db_session: NamedDependency[AsyncSession]) -> ReceiptRead:
        """Public: the entry's index and its inclusion proof against the latest signed checkpoint.

        404 ``receipt_pending`` (accepted, not integrated yet, or a secret ballot still open: retry);
        404 ``receipt_unknown``; 422 ``invalid_tracker``.
        """
        r = await services.lookup_receipt(db_session, tracker)
        return ReceiptRead(tracker=r.tracker, leaf_index=r.leaf_index, tree_size=r.tree_size,
                           inclusion_proof=r.inclusion_proof, checkpoint=r.checkpoint)

    @get("/checkpoint", operation_id="GetCheckpoint", summary="The latest signed checkpoint",
         opt=PUBLIC, security=[{}], responses=_problems(404))
    async def checkpoint(self, db_session: NamedDependency[AsyncSession]) -> CheckpointRead:
        """Public: the latest signed note; 404 ``log_empty`` before the first."""
        c = await services.latest_checkpoint(db_session)
        return CheckpointRead(checkpoint=c.note, tree_size=c.tree_size, root=c.root.hex())

    @get("/consistency", operation_id="GetConsistencyProof", summary="Consistency proof between two sizes",
         opt=PUBLIC, security=[{}], responses=_problems(404, 422))
    async def consistency(self, first: FromQuery[Size], second: FromQuery[Size],
                          db_session: NamedDependency[AsyncSession]) -> ConsistencyRead:
        """Public: proof that the tree of size ``first`` is a prefix of the tree of size ``second``."""
        proof = await services.consistency_proof(db_session, first, second)
        return ConsistencyRead(first=first, second=second, proof=proof)


class LogKeyController(Controller):
    """The log's verifier key at a well-known address, and the bundles."""

    path = "/"
    tags = ["Audit log"]  # noqa: RUF012  (Litestar reads a plain class attribute)

    @get("/.well-known/assembly-log-key", operation_id="GetLogKey", summary="The log's Ed25519 verifier key",
         opt=PUBLIC, security=[{}], media_type="text/plain", responses=_problems(404))
    async def log_key(self, db_session: NamedDependency[AsyncSession]) -> str:
        """Public: the signed-note verifier key (``origin+keyid+base64``) and a newline."""
        state = await db_session.get(LogState, 1)
        if state is None:
            raise NotFound("the log has not been started yet: no key", code="log_empty")
        return state.vkey + "\n"

    @get("/api/ballots/{ballot_id:uuid}/audit-bundle", operation_id="GetBallotAuditBundle",
         summary="Download the audit bundle covering a ballot", guards=[requires_login],
         responses=_problems(401, 403, 404))
    async def ballot_bundle(self, ballot_id: FromPath[uuid.UUID], request: CallerRequest,
                            db_session: NamedDependency[AsyncSession]) -> Response[dict[str, str]]:
        """Secretariat, or chair or auditor of the ballot's assembly: the bundle (verify it with
        ``assembly verify``)."""
        ballot = await load_ballot(db_session, ballot_id)
        return await self._bundle(db_session, request, ballot.assembly_id, f"ballot-{ballot_id}")

    @get("/api/assemblies/{assembly_id:uuid}/audit-bundle", operation_id="GetAssemblyAuditBundle",
         summary="Download the audit bundle covering an assembly", guards=[requires_login],
         responses=_problems(401, 403, 404))
    async def assembly_bundle(self, assembly_id: FromPath[uuid.UUID], request: CallerRequest,
                              db_session: NamedDependency[AsyncSession]) -> Response[dict[str, str]]:
        """Secretariat, or chair or auditor of the assembly: the bundle."""
        await get_assembly(db_session, assembly_id)
        return await self._bundle(db_session, request, assembly_id, f"assembly-{assembly_id}")

    async def _bundle(self, session: AsyncSession, request: CallerRequest, assembly_id: uuid.UUID,
                      name: str) -> Response[dict[str, str]]:
        await require_assembly_role(session, current_principal(request), assembly_id,
                                    [AssemblyRoleKind.CHAIR, AssemblyRoleKind.AUDITOR])
        files = await services.audit_bundle(session)
        assert MANIFEST_FILE in files
        return Response(_bundle_document(files),
                        headers={"Content-Disposition": f'attachment; filename="{name}-audit-bundle.json"'})
