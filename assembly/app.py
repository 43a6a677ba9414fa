"""The Litestar application factory."""

from __future__ import annotations

from granian.utils.proxies import wrap_asgi_with_proxy_headers
from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin

from assembly import __version__
from assembly.accounts.auth import PUBLIC_PATHS, create_jwt_auth
from assembly.accounts.controllers import AuthController, UserController
from assembly.agenda.controllers import AgendaController, AgendaItemController, SpeakerRequestController
from assembly.assemblies.controllers import (
    AssemblyController,
    DelegationController,
    MyAssembliesController,
    ProxyController,
)
from assembly.audit.controllers import AuditController, LogKeyController
from assembly.ballots.controllers import AssemblyBallotController, BallotController
from assembly.core.errors import exception_handlers
from assembly.core.health import HealthController
from assembly.core.logging import configure_logging
from assembly.core.middleware import RequestContextMiddleware, check_request
from assembly.core.openapi import add_problem_responses
from assembly.db import Database, provide_db_session
from assembly.live.controllers import LiveController
from assembly.live.hub import EventHub
from assembly.members.controllers import MemberController
from assembly.motions.controllers import (
    AmendmentController,
    AssemblyMotionsController,
    MotionController,
    MotionPartController,
)
from assembly.positions.controllers import (
    BallotResultsController,
    MinutesController,
    MotionPositionController,
    PositionController,
    SymbolPatternController,
    WebhookController,
)
from assembly.positions.worker import DeliveryWorker
from assembly.settings import Settings
from assembly.web import web_client_router

__all__ = ("create_app", "create_app_from_env")


def create_app(settings: Settings) -> Litestar:
    """Build the application for ``settings``; nothing is read from the environment here."""
    configure_logging(settings.log_level, settings.log_format)
    database = Database(settings)
    live_hub = EventHub(settings.require_database_url())
    jwt_auth = create_jwt_auth(settings)
    # Webhook deliveries go out from every server process unless turned off (then `assembly worker` does it).
    worker = DeliveryWorker(database, settings) if settings.delivery_worker else None
    app = Litestar(
        route_handlers=[
            HealthController, AuthController, UserController, MemberController, LiveController,
            AssemblyController, DelegationController, ProxyController, MyAssembliesController,
            AgendaController, AgendaItemController, SpeakerRequestController,
            AssemblyMotionsController, MotionController, AmendmentController, MotionPartController,
            AssemblyBallotController, BallotController, AuditController, LogKeyController,
            PositionController, MotionPositionController, SymbolPatternController, WebhookController,
            BallotResultsController, MinutesController,
            web_client_router(),
        ],
        dependencies={"db_session": Provide(provide_db_session)},
        exception_handlers=exception_handlers,
        before_request=check_request,
        cors_config=CORSConfig(allow_origins=list(settings.cors_origins)) if settings.cors_origins else None,
        request_max_body_size=settings.max_request_body_bytes,
        openapi_config=OpenAPIConfig(
            title="assembly API",
            version=__version__,
            description="Deliberation and voting for a world assembly of local and regional governments.",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin(), ScalarRenderPlugin()],
        ),
        state=State({"database": database, "settings": settings, "jwt_auth": jwt_auth, "live_hub": live_hub}),
        on_startup=[worker.start] if worker else [],
        on_shutdown=[*([worker.close] if worker else []), live_hub.close, database.dispose],
        on_app_init=[jwt_auth.on_app_init],
        logging_config=None,
        debug=False,
    )
    add_problem_responses(app, public_paths=PUBLIC_PATHS)
    # Wrap the whole handler (router, exception handling, CORS) so routing errors get the same
    # request id and security headers as everything else.
    handler = app.asgi_handler
    if settings.trusted_proxies:
        # Only a trusted proxy may say who the client is (login throttling counts per client address).
        handler = wrap_asgi_with_proxy_headers(handler, trusted_hosts=list(settings.trusted_proxies))
    app.asgi_handler = RequestContextMiddleware(handler, hsts=settings.hsts)
    return app


def create_app_from_env() -> Litestar:
    """Factory for the server processes: read the settings the parent process validated."""
    return create_app(Settings.from_env())
