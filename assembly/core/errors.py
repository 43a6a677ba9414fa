"""Domain errors and their rendering as RFC 9457 problem details.

Services raise :class:`AssemblyError` subclasses; they never raise HTTP exceptions. Every error that
leaves the application, from the framework, the database or the code, is turned into an
``application/problem+json`` body by the handlers in :data:`exception_handlers`:

``type``      a URI naming the problem kind (``urn:assembly:problem:<code>``)
``title``     a short, stable summary of the kind
``status``    the HTTP status
``detail``    what went wrong this time, in words a user can act on
``instance``  the request path
``code``      the stable machine-readable code (also the tail of ``type``)
``request_id`` the request id, also sent as the ``X-Request-ID`` header
``errors``    for validation problems, one ``{"field": ..., "message": ...}`` per bad field
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

import asyncpg
from advanced_alchemy.exceptions import (
    DuplicateKeyError,
    ForeignKeyError,
    IntegrityError,
    NotFoundError,
    RepositoryError,
)
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy import exc as sa_exc

__all__ = (
    "AssemblyError",
    "Conflict",
    "DatabaseUnavailable",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "ServerBusy",
    "Throttled",
    "Unauthorized",
    "UnsupportedMediaType",
    "exception_handlers",
    "problem_response",
)

PROBLEM_MEDIA_TYPE = "application/problem+json"

logger = logging.getLogger("assembly.errors")


class AssemblyError(Exception):
    """Base of every domain error: carries its HTTP status, stable code and title."""

    status_code: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        errors: list[dict[str, str]] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.errors = errors
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


class InvalidInput(AssemblyError):
    """The request is well-formed but a value breaks a rule (422)."""

    status_code = 422
    code = "invalid_input"
    title = "Invalid input"

    @classmethod
    def for_field(cls, field: str, message: str, *, code: str | None = None) -> InvalidInput:
        """Build the error for one named field."""
        return cls(f"{field}: {message}", code=code, errors=[{"field": field, "message": message}])


class Unauthorized(AssemblyError):
    """No identity, or an identity that cannot be trusted (401)."""

    status_code = 401
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(AssemblyError):
    """The caller is known but has no right to do this (403)."""

    status_code = 403
    code = "forbidden"
    title = "Not permitted"


class NotFound(AssemblyError):
    """The named resource does not exist, or the caller may not know it exists (404)."""

    status_code = 404
    code = "not_found"
    title = "Not found"


class UnsupportedMediaType(AssemblyError):
    """The body is not in a media type the operation reads (415)."""

    status_code = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class Conflict(AssemblyError):
    """The resource is not in a state that allows this command (409)."""

    status_code = 409
    code = "conflict"
    title = "Conflict with the current state"


class Throttled(AssemblyError):
    """Too many attempts; ``Retry-After`` says when to try again (429)."""

    status_code = 429
    code = "throttled"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after_seconds))})


class DatabaseUnavailable(AssemblyError):
    """The database cannot be reached right now (503); the service recovers when it returns."""

    status_code = 503
    code = "database_unavailable"
    title = "Service temporarily unavailable"

    def __init__(self, detail: str = "The database is unavailable; try again shortly.") -> None:
        super().__init__(detail, headers={"Retry-After": "2"})


class ServerBusy(AssemblyError):
    """Every database connection of this process stayed busy for the whole pool timeout (503).

    Overload, not an outage: the request was not started, so retrying it after Retry-After is safe.
    """

    status_code = 503
    code = "server_busy"
    title = "Server busy"

    def __init__(self, detail: str = "The server is busy: no database connection came free in time; "
                                     "nothing was done, try again shortly.") -> None:
        super().__init__(detail, headers={"Retry-After": "1"})


_TITLES = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not permitted"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    409: ("conflict", "Conflict with the current state"),
    413: ("payload_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("invalid_input", "Invalid input"),
    429: ("throttled", "Too many requests"),
    500: ("internal_error", "Internal server error"),
    503: ("service_unavailable", "Service temporarily unavailable"),
}


def _request_id(request: Request[Any, Any, Any]) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[dict[str, Any]]:
    """Build an RFC 9457 problem details response."""
    body: dict[str, Any] = {
        "type": f"urn:assembly:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
    }
    request_id = _request_id(request)
    if request_id:
        body["request_id"] = request_id
    if errors:
        body["errors"] = errors
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=dict(headers or {}))


def _assembly_error_handler(request: Request[Any, Any, Any], exc: AssemblyError) -> Response[dict[str, Any]]:
    return problem_response(
        request,
        status=exc.status_code,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        extra=exc.extra,
        headers=exc.headers,
    )


def _field_errors(extra: Any) -> list[dict[str, str]]:
    """Turn Litestar's validation ``extra`` into ``{"field", "message"}`` items."""
    out: list[dict[str, str]] = []
    if isinstance(extra, list):
        for item in extra:
            if isinstance(item, Mapping):
                key = str(item.get("key") or "body")
                source = item.get("source")
                # Litestar gives the source as a ParamType enum member; its value is the readable word.
                source_name = getattr(source, "value", source)
                field = key if source_name in {None, "body"} else f"{source_name}.{key}"
                out.append({"field": field, "message": str(item.get("message", "invalid value"))})
    return out


_MISSING_PARAMETER = re.compile(r"^Missing required (\w+) parameter '([^']+)'")


def _missing_parameter(detail: str) -> list[dict[str, str]]:
    """Litestar reports a missing required query/header/cookie parameter as a bare 400; name the field."""
    match = _MISSING_PARAMETER.match(detail or "")
    if match is None:
        return []
    return [{"field": f"{match.group(1)}.{match.group(2)}", "message": "required"}]


def _http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    code, title = _TITLES.get(status, ("http_error", "HTTP error"))
    detail = exc.detail if exc.detail and exc.detail != title else title
    errors: list[dict[str, str]] | None = None
    if isinstance(exc, ValidationException):
        errors = _field_errors(exc.extra) or _missing_parameter(exc.detail)
        if errors:
            status, code, title = 422, "invalid_input", "Invalid input"
            detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    if status == 400 and not errors:
        # Our own code raises AssemblyError; a bare 400 from the framework means the body did not decode.
        code, title = "malformed_body", "Malformed request body"
        detail = f"The request body is not valid JSON: {exc.detail}"
    if status >= 500:
        detail = title
    headers = dict(exc.headers or {})
    if status == 413:
        detail = "The request body is larger than this server accepts."
    return problem_response(request, status=status, code=code, title=title, detail=detail, errors=errors,
                            headers=headers)


def _repository_error_handler(request: Request[Any, Any, Any], exc: RepositoryError) -> Response[dict[str, Any]]:
    if isinstance(exc, NotFoundError):
        return problem_response(request, status=404, code="not_found", title="Not found",
                                detail="No such resource.")
    if isinstance(exc, DuplicateKeyError):
        return problem_response(request, status=409, code="duplicate", title="Already exists",
                                detail="A resource with the same unique values already exists.")
    if isinstance(exc, ForeignKeyError | IntegrityError):
        return problem_response(request, status=409, code="integrity", title="Conflict with the current state",
                                detail="The change conflicts with related data.")
    cause = exc.__cause__
    if cause is not None and _is_connection_error(cause):
        return _database_unavailable_handler(request, exc)
    return _internal_error_handler(request, exc)


_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ConnectionError,
    TimeoutError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InterfaceError,
)


def _is_connection_error(exc: BaseException) -> bool:
    """Tell whether ``exc`` (or what it wraps) means the database could not be reached."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _CONNECTION_ERRORS):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException) and isinstance(orig, _CONNECTION_ERRORS):
            return True
        current = current.__cause__ or current.__context__
    return False


def _integrity_error_handler(request: Request[Any, Any, Any], exc: sa_exc.IntegrityError) -> Response[dict[str, Any]]:
    # A constraint the services did not foresee (or a race they left to the database) refused the write.
    logger.info("integrity error: %s", type(exc.orig).__name__)
    return problem_response(request, status=409, code="integrity", title="Conflict with the current state",
                            detail="The change conflicts with the current data; nothing was changed.")


def _database_unavailable_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    logger.warning("database unavailable: %s", type(exc).__name__)
    error = DatabaseUnavailable()
    return _assembly_error_handler(request, error)


def _recursion_error_handler(request: Request[Any, Any, Any], exc: RecursionError) -> Response[dict[str, Any]]:
    # The JSON decoder recurses per nesting level; the depth check before decoding should have caught it.
    return problem_response(request, status=422, code="body_too_deep", title="Invalid input",
                            detail="The body nests arrays and objects too deeply.")


def _pool_timeout_handler(request: Request[Any, Any, Any], exc: sa_exc.TimeoutError) -> Response[dict[str, Any]]:
    # The pool's checkout timed out (ASSEMBLY_DB_CONNECT_TIMEOUT): a load peak, not a fault.
    logger.warning("database pool exhausted: %s", type(exc).__name__)
    return _assembly_error_handler(request, ServerBusy())


def _internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, sa_exc.TimeoutError) or isinstance(exc.__cause__, sa_exc.TimeoutError):
        return _pool_timeout_handler(request, sa_exc.TimeoutError())
    if _is_connection_error(exc):
        return _database_unavailable_handler(request, exc)
    # The body names no internals; the log line carries the traceback and the request id to find it.
    logger.error("unhandled error", exc_info=exc)
    return problem_response(
        request,
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        code="internal_error",
        title="Internal server error",
        detail="Something went wrong on our side; the request id identifies it in our logs.",
    )


ExceptionHandler = Callable[[Request[Any, Any, Any], Any], Response[Any]]

exception_handlers: dict[int | type[Exception], ExceptionHandler] = {
    AssemblyError: _assembly_error_handler,
    HTTPException: _http_exception_handler,
    RepositoryError: _repository_error_handler,
    sa_exc.IntegrityError: _integrity_error_handler,
    sa_exc.TimeoutError: _pool_timeout_handler,
    sa_exc.SQLAlchemyError: _internal_error_handler,
    OSError: _internal_error_handler,
    RecursionError: _recursion_error_handler,
    Exception: _internal_error_handler,
}
"""Handlers registered on the application for every error that can leave a request."""
