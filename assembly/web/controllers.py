"""Serving the web client's static files (docs/web-client.md, docs/adr/0007-web-client.md)."""

from __future__ import annotations

from pathlib import Path

from litestar import Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.response import Redirect
from litestar.static_files import create_static_files_router

__all__ = ("WEB_PATH", "web_client_router")

WEB_PATH = "/app"
"""Where the client is served; ``assembly demo`` prints this URL."""

STATIC_DIR = Path(__file__).parent / "static"

WEB_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
"""Only the app's own files and API: no inline script, no third party (the API keeps its stricter CSP)."""


def _web_headers(response: Response[object]) -> Response[object]:
    # The request-context middleware adds the API's "default-src 'none'" unless a CSP is already set.
    response.headers["Content-Security-Policy"] = WEB_CSP
    return response


@get("/", include_in_schema=False, opt={"exclude_from_auth": True})
async def root_redirect() -> Redirect:
    """The site root opens the web client."""
    return Redirect(path=f"{WEB_PATH}/")


def web_client_router() -> Router:
    """Static files under ``/app/`` (public: the pages hold no data until the user logs in)."""
    static = create_static_files_router(
        path=WEB_PATH,
        directories=[STATIC_DIR],
        html_mode=True,
        name="web",
        opt={"exclude_from_auth": True},
        # Short cache plus revalidation: a new release is picked up on the next load.
        cache_control=CacheControlHeader(max_age=60, must_revalidate=True),
        after_request=_web_headers,
    )
    return Router(path="/", route_handlers=[static, root_redirect])
