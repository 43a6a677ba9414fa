"""The world of the security tests: two assemblies and a user in each of the nine roles.

Assembly A (open) has a chair, an auditor, delegations D, E, P and G (G gave its vote to P), an
agenda item with D's floor request, D's draft motion (E invited to co-sponsor), E's motion under
debate with D's amendment, D's motion adopted by consensus (so published as a position), a closed
roll-call ballot and an open ballot. Assembly B has a chair of its own and a delegation awaiting
credentials. The secretariat has two webhook subscriptions: an active one and a deactivated one
whose delivery of the adopted position is a dead letter. Built through the services, the API and the
delivery worker as users would.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies import services as assemblies
from assembly.assemblies.models import AssemblyRoleKind, BodyKind
from assembly.core.security import Principal
from assembly.db import Database
from assembly.members.models import Member, MemberKind, MemberStatus, WorldRegion
from assembly.positions import services as positions
from assembly.positions.models import DeliveryStatus, Position, WebhookDelivery
from assembly.positions.worker import deliver_one
from assembly.settings import Settings
from tests.api.ballots.conftest import BallotApi
from tests.helpers import TEST_PASSWORD, bearer, make_user

PARAGRAPHS = [{"kind": "preambular", "text": "Recalling the New Urban Agenda,"},
              {"text": "Calls on local governments to publish their climate budgets;"}]


@dataclass
class World:
    """Headers of each role and the ids of the resources the matrix acts on."""

    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    observer_email: str = ""


async def _ok(client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], json: object = None,
              status: int = 200) -> dict[str, object]:
    response = await client.request(method, path, json=json, headers=headers)
    assert response.status_code == status, (path, response.text)
    body: dict[str, object] = response.json()
    return body


async def build_world(client: httpx.AsyncClient, app: Litestar, database: Database, session: AsyncSession) -> World:
    """Set up both assemblies, every role and every resource (see the module docstring)."""
    api = await BallotApi(client, app, database, session).setup(
        parties=4, rules={"proxies": {"allowed": True, "max_per_holder": 2}})
    delegate, other, holder, grantor = api.parties
    await api.proxy(grantor, holder)
    assert api.admin is not None
    admin: Principal = api.admin
    # Assembly B, its chair, and a delegation awaiting credentials.
    other_assembly = await assemblies.create_assembly(
        session, admin, name="Executive Bureau 2026", body_kind=BodyKind.EXECUTIVE_BUREAU,
        starts_on=date(2026, 11, 2), ends_on=date(2026, 11, 3), venue="Rabat", rules=None)
    other_chair = await make_user(session, full_name="Other Chair")
    await assemblies.assign_role(session, admin, other_assembly.assembly.id, user_id=other_chair.id,
                                 role=AssemblyRoleKind.CHAIR)
    member = Member(key=f"SEC-{uuid.uuid4().hex[:8]}", name="Matrix Province", kind=MemberKind.LOCAL_GOVERNMENT,
                    country="MA", region=WorldRegion.MIDDLE_EAST_WEST_ASIA,
                    population=500_000, fees_paid_through=2025, status=MemberStatus.ACTIVE, membership_category="A")
    spare_member = Member(key=f"SEC-{uuid.uuid4().hex[:8]}", name="Spare Town", kind=MemberKind.LOCAL_GOVERNMENT,
                          country="ES", region=WorldRegion.EUROPE, population=10_000, fees_paid_through=2025,
                          status=MemberStatus.ACTIVE, membership_category="A")
    session.add_all([member, spare_member])
    await session.flush()
    registered = await assemblies.register_delegation(session, admin, other_assembly.assembly.id, member_id=member.id)
    spare_user = await make_user(session, full_name="Spare User")
    await session.commit()

    world = World()
    world.headers = {
        "admin": api.admin_headers, "chair": api.chair_headers, "other_chair": await bearer(app, other_chair),
        "delegate": delegate.headers, "other_delegate": other.headers, "proxy_holder": holder.headers,
        "auditor": api.auditor_headers, "observer": api.observer_headers, "anonymous": {},
    }
    observer_id = (await _ok(client, "GET", "/api/users/me", api.observer_headers))["id"]
    world.observer_email = str((await _ok(client, "GET", "/api/users/me", api.observer_headers))["email"])
    a = api.assembly_id
    chair = api.chair_headers
    item = await _ok(client, "POST", f"/api/assemblies/{a}/agenda-items", chair,
                     {"title": "General debate", "kind": "debate"}, status=201)
    await _ok(client, "POST", f"/api/agenda-items/{item['id']}/open", chair)
    floor = await _ok(client, "POST", f"/api/agenda-items/{item['id']}/speakers/requests", delegate.headers,
                      {"kind": "speech"}, status=201)
    draft = await _ok(client, "POST", f"/api/assemblies/{a}/motions", delegate.headers,
                      {"title": "Localizing climate finance", "paragraphs": PARAGRAPHS}, status=201)
    await _ok(client, "POST", f"/api/motions/{draft['id']}/cosponsors", delegate.headers,
              {"delegation_id": other.delegation_id}, status=201)
    debated = await _ok(client, "POST", f"/api/assemblies/{a}/motions", other.headers,
                        {"title": "Housing for all", "paragraphs": PARAGRAPHS}, status=201)
    await _ok(client, "POST", f"/api/motions/{debated['id']}/cosponsors", other.headers,
              {"delegation_id": holder.delegation_id}, status=201)
    await _ok(client, "POST", f"/api/motions/{debated['id']}/cosponsors/{holder.delegation_id}/accept",
              holder.headers)
    await _ok(client, "POST", f"/api/motions/{debated['id']}/submit", other.headers)
    await _ok(client, "POST", f"/api/motions/{debated['id']}/admit", chair)
    await _ok(client, "POST", f"/api/motions/{debated['id']}/open-debate", chair)
    detail = await _ok(client, "GET", f"/api/motions/{debated['id']}", chair)
    paragraph = _first_paragraph_id(detail)
    amendment = await _ok(client, "POST", f"/api/motions/{debated['id']}/amendments", delegate.headers,
                          {"operations": [{"op": "delete", "paragraph_id": paragraph}], "motion_version": 1},
                          status=201)
    # A subscriber that stays active, and one deactivated before the worker runs: the delivery of the
    # position published below becomes a dead letter (what the secretariat re-delivers). Documentation
    # addresses (RFC 5737): the worker refuses them as targets, so nothing leaves the machine.
    active_hook = await positions.create_subscription(
        session, admin, url="https://192.0.2.10/hooks/positions", events=["position.published"], secret=None,
        description="Matrix subscriber", allow_private=True)
    dead_hook = await positions.create_subscription(
        session, admin, url="https://192.0.2.11/hooks/positions", events=["position.published"], secret=None,
        description="Matrix subscriber, gone", allow_private=True)
    active_hook_id, dead_hook_id = active_hook.id, dead_hook.id
    await session.commit()
    adopted = await _ok(client, "POST", f"/api/assemblies/{a}/motions", delegate.headers,
                        {"title": "Culture in the SDGs", "paragraphs": PARAGRAPHS}, status=201)
    await _ok(client, "POST", f"/api/motions/{adopted['id']}/cosponsors", delegate.headers,
              {"delegation_id": holder.delegation_id}, status=201)
    await _ok(client, "POST", f"/api/motions/{adopted['id']}/cosponsors/{holder.delegation_id}/accept",
              holder.headers)
    for step in ("submit", "admit", "open-debate", "call-consensus", "adopt-by-consensus"):
        await _ok(client, "POST", f"/api/motions/{adopted['id']}/{step}",
                  delegate.headers if step == "submit" else chair)
    position_id = await session.scalar(select(Position.id).where(Position.motion_id == adopted["id"]))
    assert position_id is not None, "adoption publishes the motion as a position"
    await positions.deactivate_subscription(session, admin, dead_hook_id)
    await session.commit()
    settings: Settings = app.state.settings
    async with httpx.AsyncClient() as http:
        while await deliver_one(database, settings, http):
            pass
    dead = await session.scalar(select(WebhookDelivery.id).where(
        WebhookDelivery.subscription_id == dead_hook_id, WebhookDelivery.status == DeliveryStatus.DEAD))
    assert dead is not None, "the deactivated subscriber's delivery is a dead letter"
    # A closed roll-call ballot (its results and roll call are public as CSV), then the open one.
    closed_ballot = await api.ballot(question="Shall the report be noted?")
    await api.cast(closed_ballot["id"], delegate, "yes")
    await api.close(closed_ballot["id"])
    ballot = await api.ballot()
    receipt = await api.cast(ballot["id"], other, "yes")
    my_request = floor["my_request"]
    assert isinstance(my_request, dict)
    proxy_id = (await api.rows("SELECT id FROM proxy LIMIT 1"))[0][0]
    world.ids = {
        "assembly_id": a, "other_assembly": str(other_assembly.assembly.id),
        "delegation_id": delegate.delegation_id, "other_delegation": other.delegation_id,
        "other_assembly_delegation": str(registered.assessment.delegation.id),
        "item_id": str(item["id"]), "agenda_item": str(item["id"]), "request_id": str(my_request["request_id"]),
        "motion_id": str(debated["id"]), "draft_motion": str(draft["id"]), "amendment_id": str(amendment["id"]),
        "amendment": str(amendment["id"]), "part_id": str(uuid.uuid4()), "paragraph": paragraph,
        "ballot_id": str(ballot["id"]), "proxy_id": str(proxy_id), "user_id": str(spare_user.id),
        "observer_user": str(observer_id), "delegate_user": str(delegate.user.id),
        "member_id": str(spare_member.id), "member": str(spare_member.id), "key": spare_member.key,
        "tracker": str(receipt["tracker"]),
        "adopted_motion": str(adopted["id"]), "position_id": str(position_id),
        "closed_ballot": str(closed_ballot["id"]), "subscription_id": str(active_hook_id),
        "delivery_id": str(dead),
        "number": "1", "role": "chair", "observer_email": world.observer_email, "password": TEST_PASSWORD,
    }
    return world


def _first_paragraph_id(detail: dict[str, object]) -> str:
    version = detail.get("current_version") or detail.get("version") or detail
    assert isinstance(version, dict), detail
    paragraphs = version["paragraphs"]
    assert isinstance(paragraphs, list)
    return str(paragraphs[-1]["id"])


async def fingerprint(database: Database) -> dict[str, str]:
    """A digest of every table's rows (read on a fresh connection), to prove a refusal changed nothing."""
    async with database.engine.connect() as connection:
        tables = [row[0] for row in await connection.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"))]
        digests: dict[str, str] = {}
        for table in tables:
            digest = await connection.execute(text(
                f'SELECT md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), \'\')) FROM "{table}" t'))
            digests[table] = str(digest.scalar_one())
        return digests


@pytest.fixture
async def world(client: httpx.AsyncClient, app: Litestar, database: Database, session: AsyncSession) -> World:
    """The two assemblies and the nine roles."""
    return await build_world(client, app, database, session)
