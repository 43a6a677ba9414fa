"""Structured logging: every line is one event with its request id.

Both structlog loggers and the standard library's (``logging``, used by Litestar, SQLAlchemy and
granian) go through one structlog formatter, so every line has the same shape: JSON objects, one a
line, in production; aligned key=value lines for people with ``ASSEMBLY_LOG_FORMAT=console``.
The request id is bound in a context variable by the request middleware and merged into each line.
"""

from __future__ import annotations

import logging
import sys

import structlog

__all__ = ("configure_logging",)

_configured: tuple[str, str] | None = None


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    """Route all logging through structlog; safe to call more than once (the last call wins)."""
    global _configured  # noqa: PLW0603  (logging is process-wide state by nature)
    if _configured == (level, fmt):
        return
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    # Litestar and uvicorn-style servers log every request themselves; our middleware already does.
    for noisy in ("sqlalchemy.engine", "asyncio", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    _configured = (level, fmt)
