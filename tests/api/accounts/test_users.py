"""/api/users: one's own account, and the secretariat's administration of accounts."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import LoginSession, SessionRevokedReason, User
from assembly.audit.models import AuditEvent
from tests.helpers import TEST_PASSWORD, bearer, make_user

LogIn = Callable[..., Awaitable[httpx.Response]]
NEW_USER = {"email": "New.Chair@Example.org", "full_name": "  Nia Chair ", "password": "a long enough passphrase"}


async def test_me_answers_the_callers_account(
    client: httpx.AsyncClient, member: User, member_headers: dict[str, str]
) -> None:
    response = await client.get("/api/users/me", headers=member_headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"id", "email", "full_name", "is_admin", "is_active", "created_at", "updated_at"}
    assert body["id"] == str(member.id)
    assert body["email"] == "delegate@example.org"
    assert body["is_admin"] is False
    assert "password" not in response.text
    assert "argon2" not in response.text


async def test_me_needs_a_token(client: httpx.AsyncClient, problem: Any) -> None:
    problem(await client.get("/api/users/me"), 401, "unauthorized")


async def test_admin_creates_an_account(
    client: httpx.AsyncClient, admin: User, admin_headers: dict[str, str], session: AsyncSession, log_in: LogIn
) -> None:
    response = await client.post("/api/users", json=NEW_USER, headers=admin_headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "new.chair@example.org"
    assert body["full_name"] == "Nia Chair"
    assert body["is_admin"] is False
    assert body["is_active"] is True
    assert response.headers["location"] == f"/api/users/{body['id']}"
    assert "passphrase" not in response.text

    event = await session.scalar(select(AuditEvent).where(AuditEvent.kind == "user.created"))
    assert event is not None
    assert event.subject_id == uuid.UUID(body["id"])
    assert event.actor_user_id == admin.id
    assert event.payload == {"is_admin": False}
    assert NEW_USER["password"] not in json.dumps(event.payload)

    assert (await log_in("new.chair@example.org", NEW_USER["password"])).status_code == 200


async def test_admin_creates_another_admin(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    response = await client.post("/api/users", json={**NEW_USER, "is_admin": True}, headers=admin_headers)
    assert response.status_code == 201
    assert response.json()["is_admin"] is True


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"email": "not-an-address"}, 422, "invalid_input", "email"),
        ({"email": "x" * 321}, 422, "invalid_input", "email"),
        ({"full_name": "   "}, 422, "invalid_input", "full_name"),
        ({"full_name": "n" * 201}, 422, "invalid_input", "full_name"),
        ({"password": "short"}, 422, "invalid_input", "password"),
        ({"password": "new.chair@example.org"}, 422, "invalid_input", "password"),
        ({"password": "p" * 257}, 422, "invalid_input", "password"),
        ({"is_admin": "yes"}, 422, "invalid_input", "is_admin"),
        ({"email": "Delegate@EXAMPLE.org"}, 409, "email_taken", None),
    ],
)
async def test_bad_account_is_refused(
    client: httpx.AsyncClient, admin_headers: dict[str, str], member: User, problem: Any, snapshot: Any,
    change: dict[str, Any], status: int, code: str, field: str | None,
) -> None:
    before = await snapshot()
    response = await client.post("/api/users", json={**NEW_USER, **change}, headers=admin_headers)
    problem(response, status, code, field=field)
    assert await snapshot() == before


async def test_unknown_field_in_a_new_account_is_refused(
    client: httpx.AsyncClient, admin_headers: dict[str, str], problem: Any, snapshot: Any
) -> None:
    before = await snapshot()
    response = await client.post("/api/users", json={**NEW_USER, "is_active": False}, headers=admin_headers)
    assert "is_active" in problem(response, 422, "invalid_input")["detail"]
    assert await snapshot() == before


async def test_two_creations_with_one_email_have_one_winner(
    client: httpx.AsyncClient, admin_headers: dict[str, str], session: AsyncSession, problem: Any
) -> None:
    responses = await asyncio.gather(
        *(client.post("/api/users", json=NEW_USER, headers=admin_headers) for _ in range(3))
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409]
    for response in responses:
        if response.status_code == 409:
            problem(response, 409, "email_taken")
    count = len((await session.scalars(select(User.id).where(User.email == "new.chair@example.org"))).all())
    assert count == 1
    events = (await session.scalars(select(AuditEvent.id).where(AuditEvent.kind == "user.created"))).all()
    assert len(events) == 1


async def test_list_searches_and_pages(
    client: httpx.AsyncClient, admin: User, admin_headers: dict[str, str], session: AsyncSession
) -> None:
    for name in ("Zoe Zulu", "Yann Young", "Xia Xu", "Maria 100% Sure"):
        local = name.split()[0].lower()
        await make_user(session, email=f"{local}@cities.example", full_name=name)

    everyone = (await client.get("/api/users", headers=admin_headers)).json()
    assert everyone["total"] == 5
    assert (everyone["limit"], everyone["offset"]) == (50, 0)
    assert [u["full_name"] for u in everyone["items"]] == ["Ada Admin", "Maria 100% Sure", "Xia Xu", "Yann Young",
                                                           "Zoe Zulu"]

    page = (await client.get("/api/users", params={"limit": 2, "offset": 2}, headers=admin_headers)).json()
    assert page["total"] == 5
    assert [u["full_name"] for u in page["items"]] == ["Xia Xu", "Yann Young"]

    by_email = (await client.get("/api/users", params={"search": "CITIES.EX"}, headers=admin_headers)).json()
    assert by_email["total"] == 4
    by_name = (await client.get("/api/users", params={"search": "yOUNG"}, headers=admin_headers)).json()
    assert [u["email"] for u in by_name["items"]] == ["yann@cities.example"]
    # % and _ are plain characters, not wildcards.
    literal = (await client.get("/api/users", params={"search": "100%"}, headers=admin_headers)).json()
    assert [u["full_name"] for u in literal["items"]] == ["Maria 100% Sure"]
    wildcard = (await client.get("/api/users", params={"search": "%"}, headers=admin_headers)).json()
    assert wildcard["total"] == 1
    nothing = (await client.get("/api/users", params={"search": "_"}, headers=admin_headers)).json()
    assert nothing == {"items": [], "total": 0, "limit": 50, "offset": 0}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"search": "s" * 201}, "search"),
    ],
)
async def test_list_refuses_bad_query(
    client: httpx.AsyncClient, admin_headers: dict[str, str], problem: Any, params: dict[str, Any], field: str
) -> None:
    response = await client.get("/api/users", params=params, headers=admin_headers)
    body = problem(response, 422, "invalid_input")
    # The field is reported as "<source>.<name>"; the name is what a client acts on.
    assert [error["field"].rsplit(".", 1)[-1] for error in body["errors"]] == [field]


async def test_get_one_account(
    client: httpx.AsyncClient, member: User, admin_headers: dict[str, str], problem: Any
) -> None:
    response = await client.get(f"/api/users/{member.id}", headers=admin_headers)
    assert response.status_code == 200
    assert response.json()["email"] == member.email
    problem(await client.get(f"/api/users/{uuid.uuid4()}", headers=admin_headers), 404, "user_not_found")
    problem(await client.get("/api/users/not-a-uuid", headers=admin_headers), 404, "not_found")


async def test_deactivation_ends_every_session_and_activation_lets_in_again(
    client: httpx.AsyncClient, app: Litestar, admin: User, admin_headers: dict[str, str], member: User,
    session: AsyncSession, log_in: LogIn, problem: Any,
) -> None:
    pair = (await log_in(member.email)).json()
    helper_headers = await bearer(app, member)

    response = await client.post(f"/api/users/{member.id}/deactivate", headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    for headers in ({"Authorization": f"Bearer {pair['access_token']}"}, helper_headers):
        problem(await client.get("/api/users/me", headers=headers), 401, "unauthorized")
    problem(await client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}), 401,
            "session_revoked")
    problem(await log_in(member.email), 401, "account_inactive")
    revoked = select(LoginSession.revoked_reason).where(LoginSession.user_id == member.id)
    reasons = (await session.scalars(revoked)).all()
    assert reasons == [SessionRevokedReason.USER_DEACTIVATED] * 2

    response = await client.post(f"/api/users/{member.id}/activate", headers=admin_headers)
    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert (await log_in(member.email)).status_code == 200

    events = (await session.execute(
        select(AuditEvent.kind, AuditEvent.subject_id, AuditEvent.actor_user_id, AuditEvent.payload)
        .where(AuditEvent.kind.in_(["user.deactivated", "user.activated"])).order_by(AuditEvent.id)
    )).all()
    assert [tuple(e) for e in events] == [
        ("user.deactivated", member.id, admin.id, {"sessions_revoked": 2}),
        ("user.activated", member.id, admin.id, {}),
    ]


async def test_admin_cannot_deactivate_themself(
    client: httpx.AsyncClient, admin: User, admin_headers: dict[str, str], problem: Any, snapshot: Any
) -> None:
    before = await snapshot()
    problem(await client.post(f"/api/users/{admin.id}/deactivate", headers=admin_headers), 409,
            "cannot_deactivate_self")
    assert await snapshot() == before


async def test_state_conflicts_and_unknown_users(
    client: httpx.AsyncClient, admin_headers: dict[str, str], member: User, problem: Any, snapshot: Any
) -> None:
    before = await snapshot()
    problem(await client.post(f"/api/users/{member.id}/activate", headers=admin_headers), 409, "user_already_active")
    for command in ("activate", "deactivate"):
        problem(await client.post(f"/api/users/{uuid.uuid4()}/{command}", headers=admin_headers), 404,
                "user_not_found")
    assert await snapshot() == before

    assert (await client.post(f"/api/users/{member.id}/deactivate", headers=admin_headers)).status_code == 200
    before = await snapshot()
    problem(await client.post(f"/api/users/{member.id}/deactivate", headers=admin_headers), 409,
            "user_already_inactive")
    assert await snapshot() == before


async def test_two_admins_deactivating_each_other_leave_one_active(
    client: httpx.AsyncClient, app: Litestar, admin: User, admin_headers: dict[str, str], session: AsyncSession,
    problem: Any,
) -> None:
    other = await make_user(session, email="second-admin@example.org", is_admin=True)
    other_headers = await bearer(app, other)
    responses = await asyncio.gather(
        client.post(f"/api/users/{other.id}/deactivate", headers=admin_headers),
        client.post(f"/api/users/{admin.id}/deactivate", headers=other_headers),
    )
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1, [r.text for r in responses]
    # The loser is refused: 403 if it got past authentication before the winner committed, else 401.
    loser = next(r for r in responses if r.status_code != 200)
    problem(loser, loser.status_code, "admin_only" if loser.status_code == 403 else "unauthorized")
    active = (await session.scalars(select(User.id).where(User.is_admin, User.is_active))).all()
    assert len(active) == 1


ADMIN_ONLY = [
    ("POST", "/api/users", NEW_USER),
    ("GET", "/api/users", None),
    ("GET", "/api/users/{member_id}", None),
    ("POST", "/api/users/{member_id}/deactivate", None),
    ("POST", "/api/users/{member_id}/activate", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
async def test_admin_only_endpoints_refuse_a_non_admin_with_403(
    client: httpx.AsyncClient, member: User, member_headers: dict[str, str], problem: Any, snapshot: Any,
    method: str, path: str, body: dict[str, Any] | None,
) -> None:
    """Chairs, auditors and delegates are all non-admin users here: their per-assembly roles grant nothing."""
    before = await snapshot()
    url = path.format(member_id=member.id)
    response = await client.request(method, url, json=body, headers=member_headers)
    problem(response, 403, "admin_only")
    assert await snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
async def test_admin_only_endpoints_refuse_anonymous_with_401(
    client: httpx.AsyncClient, member: User, problem: Any, snapshot: Any,
    method: str, path: str, body: dict[str, Any] | None,
) -> None:
    before = await snapshot()
    response = await client.request(method, path.format(member_id=member.id), json=body)
    problem(response, 401, "unauthorized")
    assert response.headers.get("www-authenticate", "Bearer").startswith("Bearer")
    assert await snapshot() == before


async def test_a_demoted_admins_token_loses_its_rights_at_once(
    client: httpx.AsyncClient, admin: User, admin_headers: dict[str, str], session: AsyncSession, problem: Any
) -> None:
    """The admin flag is read from the database on each request, not trusted from the token."""
    admin.is_admin = False
    session.add(admin)
    await session.commit()
    problem(await client.get("/api/users", headers=admin_headers), 403, "admin_only")


async def test_created_account_password_is_hashed_with_argon2id(
    client: httpx.AsyncClient, admin_headers: dict[str, str], session: AsyncSession
) -> None:
    response = await client.post("/api/users", json=NEW_USER, headers=admin_headers)
    stored = await session.scalar(select(User.password_hash).where(User.id == uuid.UUID(response.json()["id"])))
    assert stored is not None
    assert stored.startswith("$argon2id$")
    assert NEW_USER["password"] not in stored
    assert TEST_PASSWORD not in stored


async def test_role_is_checked_before_the_body(
    client: httpx.AsyncClient, member_headers: dict[str, str], problem: Any
) -> None:
    """A non-admin learns nothing about what a valid body would be: 403 comes before 422."""
    problem(await client.post("/api/users", json={"nonsense": 1}, headers=member_headers), 403, "admin_only")
    problem(await client.post("/api/users", json={"nonsense": 1}), 401, "unauthorized")
