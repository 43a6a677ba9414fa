"""HTTP endpoints of the member register."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.security.jwt import Token
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.core.errors import PROBLEM_MEDIA_TYPE, UnsupportedMediaType
from assembly.core.guards import current_principal, requires_admin, requires_login
from assembly.core.security import Principal
from assembly.members import services
from assembly.members.models import MemberKind, MemberSection, MemberStatus, WorldRegion
from assembly.members.rules import MAX_REGISTER_BYTES, SEARCH_MAX_LENGTH
from assembly.members.schemas import (
    MemberCreate,
    MemberImportResult,
    MemberPage,
    MemberSort,
    MemberStatusChange,
    MemberUpdate,
    MemberView,
    member_view,
)

__all__ = ("MemberController",)

CSV_MEDIA_TYPE = "text/csv"



def _problem(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=dict[str, Any], generate_examples=False, description=description,
                        media_type=PROBLEM_MEDIA_TYPE)


_PROBLEM = {422: _problem("Invalid input; `errors` names each bad field; nothing was changed")}
_IMPORT_PROBLEMS = {
    413: _problem("The file is larger than 32 MiB"),
    415: _problem("The body is not text/csv in UTF-8"),
    422: _problem("The file cannot be imported; `errors` lists {row, column, message}; nothing was written"),
}


def _is_utf8_csv(content_type: str, accepted: tuple[str, ...]) -> bool:
    """Tell whether a Content-Type header names an accepted media type with no charset but UTF-8."""
    media_type, *parameters = content_type.split(";")
    charsets = [
        value.strip().strip('"').lower()
        for name, _, value in (parameter.partition("=") for parameter in parameters)
        if name.strip().lower() == "charset"
    ]
    return media_type.strip().lower() in accepted and all(charset in {"utf-8", "utf8"} for charset in charsets)


def _values(data: msgspec.Struct) -> dict[str, Any]:
    return msgspec.structs.asdict(data)


class MemberController(Controller):
    """The member register: reads for every logged-in user, writes for the secretariat."""

    path = "/api/members"
    tags = ["members"]  # noqa: RUF012  (Litestar reads a plain class attribute)
    guards = [requires_login]  # noqa: RUF012

    @get(
        "/",
        operation_id="ListMembers",
        summary="List members, filtered, searched, sorted and paginated",
    )
    async def list_members(
        self,
        db_session: NamedDependency[AsyncSession],
        *,
        kind: FromQuery[MemberKind | None] = None,
        region: FromQuery[WorldRegion | None] = None,
        country: Annotated[
            str | None, QueryParameter(description="ISO 3166-1 alpha-2 code (any case)", min_length=2, max_length=2)
        ] = None,
        section: FromQuery[MemberSection | None] = None,
        status: FromQuery[MemberStatus | None] = None,
        search: Annotated[
            str | None,
            QueryParameter(
                description="Case-insensitive text within the name or the key", max_length=SEARCH_MAX_LENGTH
            ),
        ] = None,
        sort: Annotated[MemberSort, QueryParameter(description="name, -name, key or -key")] = MemberSort.NAME,
        limit: Annotated[int, QueryParameter(ge=1, le=500, description="Page size")] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000, description="Members to skip")] = 0,
    ) -> MemberPage:
        """Answer one page of members and the number of members that match."""
        filters = services.MemberFilters(
            kind=kind,
            region=region,
            country=country,
            section=section,
            status=status,
            search=search,
            sort_by=sort.value.lstrip("-"),
            descending=sort.value.startswith("-"),
            limit=limit,
            offset=offset,
        )
        members, total = await services.list_members(db_session, filters)
        return MemberPage(items=[member_view(member) for member in members], total=total, limit=limit, offset=offset)

    @get("/{member_id:uuid}", operation_id="GetMember", summary="Read one member")
    async def get_member(self, db_session: NamedDependency[AsyncSession], member_id: FromPath[uuid.UUID]) -> MemberView:
        """Answer the member, or 404 ``member_not_found``."""
        return member_view(await services.get_member(db_session, member_id))

    @get("/by-key/{key:str}", operation_id="GetMemberByKey", summary="Read one member by its register key")
    async def get_member_by_key(self, db_session: NamedDependency[AsyncSession], key: FromPath[str]) -> MemberView:
        """Answer the member whose key is ``key`` (case-sensitive), or 404 ``member_not_found``."""
        return member_view(await services.get_member_by_key(db_session, key))

    @post(
        "/",
        operation_id="CreateMember",
        summary="Register a new member (secretariat)",
        guards=[requires_admin],
        status_code=HTTP_201_CREATED,
        responses={**_PROBLEM, 409: _problem("member_key_taken: the key is registered already")},
    )
    async def create_member(
        self,
        request: Request[Principal, Token, Any],
        db_session: NamedDependency[AsyncSession],
        data: JSONBody[MemberCreate],
    ) -> MemberView:
        """Register a member; 409 ``member_key_taken`` when the key is registered already."""
        member = await services.create_member(
            db_session, actor_user_id=current_principal(request).user_id, values=_values(data)
        )
        return member_view(member)

    @put(
        "/{member_id:uuid}",
        operation_id="ReplaceMember",
        summary="Replace a member's editable fields (secretariat)",
        guards=[requires_admin],
        responses=_PROBLEM,
    )
    async def replace_member(
        self,
        request: Request[Principal, Token, Any],
        db_session: NamedDependency[AsyncSession],
        member_id: FromPath[uuid.UUID],
        data: JSONBody[MemberUpdate],
    ) -> MemberView:
        """Set every editable field; the key and the status are not editable here."""
        member = await services.replace_member(
            db_session, actor_user_id=current_principal(request).user_id, member_id=member_id, values=_values(data)
        )
        return member_view(member)

    @post(
        "/{member_id:uuid}/suspend",
        operation_id="SuspendMember",
        summary="Suspend a member (secretariat)",
        guards=[requires_admin],
        status_code=HTTP_200_OK,
        responses={**_PROBLEM, 409: _problem("member_already_suspended")},
    )
    async def suspend_member(
        self,
        request: Request[Principal, Token, Any],
        db_session: NamedDependency[AsyncSession],
        member_id: FromPath[uuid.UUID],
        data: JSONBody[MemberStatusChange],
    ) -> MemberView:
        """Suspend an active member; 409 ``member_already_suspended`` otherwise."""
        member = await services.suspend_member(
            db_session, actor_user_id=current_principal(request).user_id, member_id=member_id, reason=data.reason
        )
        return member_view(member)

    @post(
        "/{member_id:uuid}/reinstate",
        operation_id="ReinstateMember",
        summary="Lift a member's suspension (secretariat)",
        guards=[requires_admin],
        status_code=HTTP_200_OK,
        responses={**_PROBLEM, 409: _problem("member_not_suspended")},
    )
    async def reinstate_member(
        self,
        request: Request[Principal, Token, Any],
        db_session: NamedDependency[AsyncSession],
        member_id: FromPath[uuid.UUID],
        data: JSONBody[MemberStatusChange],
    ) -> MemberView:
        """Reinstate a suspended member; 409 ``member_not_suspended`` otherwise."""
        member = await services.reinstate_member(
            db_session, actor_user_id=current_principal(request).user_id, member_id=member_id, reason=data.reason
        )
        return member_view(member)

    @post(
        "/import",
        operation_id="ImportMembers",
        summary="Import a member register from CSV, all rows or none (secretariat)",
        description=(
            "Send the file as the raw body with `Content-Type: text/csv` (UTF-8). Rows are matched to "
            "members on `key`: new keys are created, changed rows updated, equal rows left untouched. "
            "Members absent from the file are left as they are. Format: docs/members.md."
        ),
        guards=[requires_admin],
        status_code=HTTP_200_OK,
        opt={"body_media_types": (CSV_MEDIA_TYPE,)},
        request_max_body_size=MAX_REGISTER_BYTES,
        responses=_IMPORT_PROBLEMS,
    )
    async def import_members(
        self,
        request: Request[Principal, Token, Any],
        db_session: NamedDependency[AsyncSession],
        dry_run: Annotated[bool, QueryParameter(description="Validate and count, write nothing")] = False,
    ) -> MemberImportResult:
        """Validate every row, then create and update members in one transaction."""
        # The app's media-type check only looks at handlers with a JSON `data` parameter; this one
        # reads the raw body, so it checks its own media type (and charset) here.
        content_type = request.headers.get("content-type", "")
        if not _is_utf8_csv(content_type, request.route_handler.opt["body_media_types"]):
            raise UnsupportedMediaType(
                f"send the register as {CSV_MEDIA_TYPE} in UTF-8, not {content_type or 'an unlabelled body'}"
            )
        outcome = await services.import_register(
            db_session, actor_user_id=current_principal(request).user_id, data=await request.body(), dry_run=dry_run
        )
        return MemberImportResult(
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            total=outcome.total,
            dry_run=outcome.dry_run,
        )
