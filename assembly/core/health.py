"""Liveness and readiness probes."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.datastructures import State
from litestar.openapi import ResponseSpec

from assembly.core.errors import DatabaseUnavailable

__all__ = ("HealthController", "HealthStatus")


class HealthStatus(msgspec.Struct, frozen=True):
    """The answer of a health probe."""

    status: str


class HealthController(Controller):
    """Probes for load balancers and orchestrators; public, no token needed."""

    path = "/health"
    tags = ["health"]  # noqa: RUF012  (Litestar reads a plain class attribute)
    opt = {"exclude_from_auth": True}  # noqa: RUF012

    @get("/live", operation_id="CheckLiveness", summary="The process is up", security=[{}])
    async def live(self) -> HealthStatus:
        """Answer 200 while the process can serve requests at all."""
        return HealthStatus(status="ok")

    @get(
        "/ready",
        operation_id="CheckReadiness",
        summary="The process can reach its database",
        security=[{}],
        responses={503: ResponseSpec(data_container=dict, description="The database is unavailable")},
    )
    async def ready(self, state: State) -> HealthStatus:
        """Answer 200 when the database answers ``SELECT 1``, else 503 problem details."""
        try:
            await state.database.ping()
        except Exception as exc:
            raise DatabaseUnavailable from exc
        return HealthStatus(status="ok")
