"""The demo: seed data and the banner `assembly demo` prints.

Seeding is idempotent: running the demo again keeps what is there (``--reset`` starts afresh).
The demo passwords are public by design; never run the demo against a production database.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import User
from assembly.accounts.services import create_user
from assembly.agenda import services as agenda
from assembly.agenda.models import AgendaItemKind
from assembly.assemblies.models import Assembly, AssemblyRoleKind, BodyKind, DelegateRole
from assembly.assemblies.rules import ProxyPolicy, RuleSet
from assembly.assemblies.services import (
    accept_credentials,
    assign_role,
    check_in,
    create_assembly,
    grant_proxy,
    open_assembly,
    register_delegation,
    replace_delegates,
)
from assembly.core.security import Principal
from assembly.db import session_scope
from assembly.members.models import Member
from assembly.members.services import import_register
from assembly.motions import services as motion_services
from assembly.motions.rules import OperationInput, ParagraphInput
from assembly.motions.services import (
    admit_motion,
    adopt_by_consensus,
    answer_invitation,
    call_consensus,
    create_motion,
    invite_cosponsor,
    open_debate,
    submit_motion,
)
from assembly.positions.models import Position
from assembly.positions.services import VersionInput, add_version
from assembly.settings import Settings

__all__ = ("DEMO_ASSEMBLY", "DEMO_DATABASE", "DemoLogin", "demo_banner", "load_or_create_secret", "seed_demo")

DEMO_DATABASE = "assembly_demo"
"""Name of the database the demo creates on the embedded PostgreSQL."""


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """One account of the demo, printed in the banner."""

    role: str
    email: str
    password: str
    full_name: str
    is_admin: bool = False


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("secretariat admin", "admin@demo.assembly.test", "demo-admin-pass", "Amina Diallo", is_admin=True),
    DemoLogin("chair", "chair@demo.assembly.test", "demo-chair-pass", "Carlos Mendes"),
    DemoLogin("auditor", "auditor@demo.assembly.test", "demo-auditor-pass", "Ingrid Larsen"),
    DemoLogin("delegate (Barcelona)", "barcelona@demo.assembly.test", "demo-delegate-pass", "Laia Puig"),
    DemoLogin("delegate (Durban)", "durban@demo.assembly.test", "demo-delegate-pass", "Sipho Ndlovu"),
    DemoLogin("delegate (Bogota)", "bogota@demo.assembly.test", "demo-delegate-pass", "Camila Rojas"),
)


def load_or_create_secret(data_dir: Path) -> str:
    """Return the demo's token signing key, kept in the data dir so tokens survive a restart."""
    path = data_dir / "demo-secret-key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key, encoding="utf-8")
    return key


DEMO_ASSEMBLY = "World Council 2026, Barcelona"

# A small register: three cities with delegates who log in, one that votes by proxy, one in arrears
# (accredited, may speak, holds no vote), and an associate member (no vote under UCLG Art 36).
DEMO_REGISTER = """key,name,kind,country,region,section,population,membership_category,fees_paid_through
ES-BCN,Barcelona,local_government,ES,europe,metropolitan,1660000,A,2026
ZA-ETH,eThekwini (Durban),metropolis,ZA,africa,metropolitan,3900000,A,2026
CO-BOG,Bogota,local_government,CO,latin_america,metropolitan,7900000,A,2026
CA-MTL,Montreal,local_government,CA,north_america,metropolitan,1760000,B,2026
PT-LIS,Lisbon,local_government,PT,europe,,545000,B,2022
KR-SEO,Seoul,metropolis,KR,asia_pacific,metropolitan,9400000,A,2026
TR-UCLGMEWA,UCLG Middle East and West Asia,section,TR,middle_east_west_asia,regional,,,
FR-CITES,Cites Unies France,associate,FR,europe,,,,2026
"""

# (member key, e-mail of the delegation's head and designated voter, or None)
DEMO_DELEGATIONS: tuple[tuple[str, str | None], ...] = (
    ("ES-BCN", "barcelona@demo.assembly.test"),
    ("ZA-ETH", "durban@demo.assembly.test"),
    ("CO-BOG", "bogota@demo.assembly.test"),
    ("CA-MTL", None),
    ("PT-LIS", None),
)


async def _seed_users(session: AsyncSession) -> dict[str, uuid.UUID]:
    rows = (await session.execute(select(User.email, User.id))).all()
    existing: dict[str, uuid.UUID] = dict(rows)
    for login in DEMO_LOGINS:
        if login.email not in existing:
            user = await create_user(session, email=login.email, full_name=login.full_name,
                                     password=login.password, is_admin=login.is_admin)
            existing[user.email] = user.id
    return existing


async def _seed_assembly(session: AsyncSession, users: dict[str, uuid.UUID]) -> None:
    if await session.scalar(select(Assembly.id).where(Assembly.name == DEMO_ASSEMBLY)) is not None:
        return
    admin = Principal(user_id=users["admin@demo.assembly.test"], is_admin=True)
    await import_register(session, actor_user_id=admin.user_id, data=DEMO_REGISTER.encode())
    rules = RuleSet(proxies=ProxyPolicy(allowed=True, max_per_holder=1), vote_change_allowed=True)
    assembly = await create_assembly(
        session, admin, name=DEMO_ASSEMBLY, body_kind=BodyKind.WORLD_COUNCIL,
        starts_on=date(2026, 11, 30), ends_on=date(2026, 12, 2), venue="Barcelona", rules=rules,
    )
    assembly_id = assembly.assembly.id
    await assign_role(session, admin, assembly_id, user_id=users["chair@demo.assembly.test"],
                      role=AssemblyRoleKind.CHAIR)
    await assign_role(session, admin, assembly_id, user_id=users["auditor@demo.assembly.test"],
                      role=AssemblyRoleKind.AUDITOR)
    members = dict((await session.execute(select(Member.key, Member.id))).all())
    delegations: dict[str, uuid.UUID] = {}
    for key, head in DEMO_DELEGATIONS:
        view = await register_delegation(session, admin, assembly_id, member_id=members[key])
        delegation_id = view.assessment.delegation.id
        delegations[key] = delegation_id
        await accept_credentials(session, admin, delegation_id)
        if head is not None:
            await replace_delegates(session, admin, delegation_id, delegates=[(users[head], DelegateRole.HEAD)],
                                    designated_voter_user_id=users[head])
        await check_in(session, admin, delegation_id)
    # Montreal cannot attend: Bogota casts its vote by proxy.
    await grant_proxy(session, admin, delegations["CA-MTL"], holder_delegation_id=delegations["CO-BOG"],
                      ballot_id=None)
    await open_assembly(session, admin, assembly_id)
    await _seed_ballot(session, admin, assembly_id, users)
    await _seed_position(session, users, admin, assembly_id, delegations)
    chair = Principal(user_id=users["chair@demo.assembly.test"], is_admin=False)
    await _seed_motion(session, chair, assembly_id, users, delegations)


DEMO_BALLOT_QUESTION = "Shall the agenda of the World Council be adopted?"


async def _seed_ballot(session: AsyncSession, admin: Principal, assembly_id: uuid.UUID,
                       users: dict[str, uuid.UUID]) -> None:
    """A closed procedural ballot: its opening, electorate, votes (one by proxy) and tally go into the
    audit log, so the receipts, the checkpoint and the bundle have something to show."""
    from assembly.ballots.models import BallotSubjectKind  # noqa: PLC0415
    from assembly.ballots.services import cast_votes, close_ballot, create_ballot, open_ballot  # noqa: PLC0415

    ballot = await create_ballot(session, admin, assembly_id, subject_kind=BallotSubjectKind.PROCEDURAL,
                                 subject_id=None, question=DEMO_BALLOT_QUESTION, weighted=False, secret=False,
                                 majority=None, candidates=None, seats=None, k_anonymity=5)
    ballot_id = ballot.ballot.id
    await open_ballot(session, admin, ballot_id)
    for email, choice in (("barcelona@demo.assembly.test", "yes"), ("durban@demo.assembly.test", "no"),
                          ("bogota@demo.assembly.test", "yes")):  # Bogota casts Montreal's proxy vote too
        await cast_votes(session, Principal(user_id=users[email], is_admin=False), ballot_id, choice=choice)
    await close_ballot(session, admin, ballot_id)


async def _sign_first_checkpoint(settings: Settings) -> None:
    """Integrate what the seed recorded, so the demo starts with a signed checkpoint."""
    from assembly.audit.sequencer import Sequencer, load_signer  # noqa: PLC0415

    signer, record = load_signer(settings)
    sequencer = Sequencer(signer, record, batch=10_000)
    async with session_scope(settings) as session:
        await sequencer.integrate(session)
    sequencer.committed()


DEMO_POSITION_TITLE = "Localizing the 2030 Agenda through local climate budgets"


async def _seed_position(session: AsyncSession, users: dict[str, uuid.UUID], admin: Principal,
                         assembly_id: uuid.UUID, delegations: dict[str, uuid.UUID]) -> None:
    """A motion by Barcelona, co-sponsored by Durban, adopted by consensus: a published position with SDG tags."""
    barcelona = Principal(user_id=users["barcelona@demo.assembly.test"], is_admin=False)
    durban = Principal(user_id=users["durban@demo.assembly.test"], is_admin=False)
    chair = Principal(user_id=users["chair@demo.assembly.test"], is_admin=False)
    view = await create_motion(session, barcelona, assembly_id, title=DEMO_POSITION_TITLE, rationale=None, paragraphs=[
        ParagraphInput(None, "preambular", "Recalling the 2030 Agenda and the New Urban Agenda,"),
        ParagraphInput(None, "operative", "Calls on local and regional governments to publish their climate "
                                          "budgets every year;"),
        ParagraphInput(None, "operative", "Asks the World Secretariat to bring this position to the High-Level "
                                          "Political Forum of 2027."),
    ])
    motion_id = view.motion.id
    await invite_cosponsor(session, barcelona, motion_id, delegation_id=delegations["ZA-ETH"])
    await answer_invitation(session, durban, motion_id, delegation_id=delegations["ZA-ETH"], accept=True)
    await submit_motion(session, barcelona, motion_id)
    for step in (admit_motion, open_debate, call_consensus, adopt_by_consensus):
        await step(session, chair, motion_id)
    position_id = await session.scalar(select(Position.id).where(Position.motion_id == motion_id))
    assert position_id is not None
    await add_version(session, admin, position_id, VersionInput(language="en", sdgs=["11", "11.3", "13", "13.2"],
                                                                process="HLPF", session="2027"))


DEMO_MOTION = [
    ParagraphInput(None, "preambular", "Recalling the New Urban Agenda and the Paris Agreement,"),
    ParagraphInput(None, "operative", "Calls on local governments to publish their climate budgets;"),
    ParagraphInput(None, "operative", "Invites the secretariat to report every year;"),
]


async def _seed_motion(session: AsyncSession, chair: Principal, assembly_id: uuid.UUID,
                       users: dict[str, uuid.UUID], delegations: dict[str, uuid.UUID]) -> None:
    """A motion under debate with two admitted amendments, current on the agenda: what the chair's
    console needs to show the voting order, amendment ballots and adoption by consensus."""
    heads = {key: Principal(user_id=users[email], is_admin=False) for key, email in DEMO_DELEGATIONS if email}
    motion = await motion_services.create_motion(session, heads["ES-BCN"], assembly_id, title="Local climate finance",
                                                  rationale=None, paragraphs=DEMO_MOTION)
    motion_id = motion.motion.id
    await motion_services.invite_cosponsor(session, heads["ES-BCN"], motion_id, delegation_id=delegations["ZA-ETH"])
    await motion_services.answer_invitation(session, heads["ZA-ETH"], motion_id, delegation_id=delegations["ZA-ETH"],
                                             accept=True)
    await motion_services.submit_motion(session, heads["ES-BCN"], motion_id)
    await motion_services.admit_motion(session, chair, motion_id)
    await motion_services.open_debate(session, chair, motion_id)
    for key, operations in (
        ("CO-BOG", [OperationInput("replace", "p2", text="Calls on local governments to publish and audit their "
                                                         "climate budgets;")]),
        ("ZA-ETH", [OperationInput("insert_after", "p3", text="Requests a first report in 2027;")]),
    ):
        tabled = await motion_services.table_amendment(session, heads[key], motion_id, motion_version=1,
                                                        parent_amendment_id=None, rationale=None, operations=operations)
        await motion_services.admit_amendment(session, chair, tabled.amendment.id)
    item = await agenda.create_item(session, chair, assembly_id,
                                    agenda.ItemFields(title="Local climate finance", kind=AgendaItemKind.MOTION,
                                                      speech_limit_seconds=180, motion_id=motion_id))
    await agenda.open_item(session, chair, item.id)


async def seed_demo(settings: Settings) -> tuple[DemoLogin, ...]:
    """Create what the demo needs and does not have yet; return every demo login.

    The accounts; a member register; an open World Council with its chair and auditor; accredited,
    checked-in delegations (one in arrears, shown as ineligible with its reason); a proxy; and a
    motion adopted by consensus, published as a position with SDG tags.
    """
    async with session_scope(settings) as session:
        users = await _seed_users(session)
        await _seed_assembly(session, users)
    if settings.sequencer:
        await _sign_first_checkpoint(settings)
    return DEMO_LOGINS


def demo_banner(settings: Settings, logins: tuple[DemoLogin, ...], where: str) -> str:
    """The text printed once the demo is ready."""
    base = f"http://{settings.host}:{settings.port}"
    lines = [
        "",
        f"assembly demo is running on {where}.",
        f"  Web:       {base}/app/  (log in below; the public record: {base}/app/#/public)",
        f"  API:       {base}/api",
        f"  API docs:  {base}/schema  (OpenAPI JSON: {base}/schema/openapi.json)",
        f"  Health:    {base}/health/ready",
        "",
        f"Seeded: {DEMO_ASSEMBLY} (open), its chair and auditor, a member register, five accredited",
        "delegations (Lisbon is in arrears: accredited, no vote), a proxy from Montreal to Bogota, and a",
        "motion under debate with two amendments, current on the agenda.",
        f"A closed ballot ({DEMO_BALLOT_QUESTION!r}) is in the signed audit log: see",
        f"  {base}/api/audit/checkpoint and {base}/.well-known/assembly-log-key; the auditor downloads",
        f"  {base}/api/assemblies/<id>/audit-bundle and runs `assembly verify bundle.json --key <key>`.",
        "A motion adopted by consensus is published as a position (SDGs 11 and 13, for HLPF 2027):",
        f"  Positions: {base}/api/positions  (Atom feed: {base}/api/positions/feed.atom;",
        "             each position also as /markdown, /akn (Akoma Ntoso) and /popolo)",
        "",
        "Demo logins (public demo passwords, never use them elsewhere):",
    ]
    width = max(len(login.role) for login in logins)
    lines += [f"  {login.role:<{width}}  {login.email:<32} {login.password}" for login in logins]
    lines += ["", "Press Ctrl-C to stop."]
    return "\n".join(lines)
