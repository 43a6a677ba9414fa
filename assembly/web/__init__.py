"""The browser client: plain ES modules and one stylesheet, served by the app at ``/app/``."""

from assembly.web.controllers import WEB_PATH, web_client_router

__all__ = ("WEB_PATH", "web_client_router")
