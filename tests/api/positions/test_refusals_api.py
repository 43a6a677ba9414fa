"""Bad input to positions and webhooks: problem details naming the field or reason, nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.api.ballots.conftest import BallotApi
from tests.api.positions.conftest import adopt_by_consensus, motion_under_debate, position_of, snapshot


async def _refused(api: BallotApi, method: str, path: str, body: Any, headers: dict[str, str] | None,
                   status: int, code: str, field: str | None = None) -> None:
    before = await snapshot(api)
    response = await api.client.request(method, path, json=body, headers=headers)
    api.problem(response, status, code, field=field)
    assert await snapshot(api) == before, "a refused request changed the database"


async def test_refusals_change_nothing(api: BallotApi) -> None:
    await api.setup()
    position = await position_of(api, await adopt_by_consensus(api, api.parties[0]))
    versions = f"/api/positions/{position['id']}/versions"
    admin = api.admin_headers

    await _refused(api, "POST", versions, {"sdgs": ["11", "18", "11.9"]}, admin, 422, "unknown_sdg", "sdgs")
    await _refused(api, "POST", versions, {"sdgs": ["3.14"]}, admin, 422, "unknown_sdg", "sdgs")
    await _refused(api, "POST", versions, {"title": "Corrected title"}, admin, 422, "reason_required", "reason")
    await _refused(api, "POST", versions, {"language": "fr", "title": "Titre"}, admin, 422, "text_incomplete",
                   "paragraphs")
    await _refused(api, "POST", versions, {"language": "de", "sdgs": ["11"]}, admin, 422, "invalid_input", "language")
    await _refused(api, "POST", versions, {}, admin, 422, "nothing_changed")
    await _refused(api, "POST", versions, {"sdgs": ["11"]}, api.chair_headers, 403, "secretariat_only")
    await _refused(api, "GET", "/api/positions?sdg=99", None, None, 422, "unknown_sdg", "sdg")

    # Publishing a motion the assembly did not adopt (still under debate), or one already published.
    pending = await motion_under_debate(api, api.parties[1], "Not yet decided")
    await _refused(api, "POST", f"/api/motions/{pending}/position", None, admin, 409, "motion_not_adopted")
    await _refused(api, "POST", f"/api/motions/{position['motion_id']}/position", None, admin, 409,
                   "position_exists")

    # Webhook URLs: not http(s); with private targets forbidden (the default), http or non-routable.
    subscriptions = "/api/webhooks/subscriptions"
    for url in ("ftp://example.org/hook", "javascript:alert(1)", "https://user:pw@example.org/hook", "not a url"):
        await _refused(api, "POST", subscriptions, {"url": url}, admin, 422, "bad_webhook_url", "url")
    await _refused(api, "POST", subscriptions, {"url": "https://example.org/hook", "events": ["position.deleted"]},
                   admin, 422, "unknown_event", "events")
    await _refused(api, "POST", subscriptions, {"url": "https://example.org/hook", "secret": "short"},
                   admin, 422, "weak_secret", "secret")
    await _refused(api, "PUT", "/api/position-symbol-patterns/world_council", {"pattern": "UCLG/{year}"}, admin,
                   422, "bad_symbol_pattern", "pattern")


async def test_private_targets_are_refused_when_the_setting_forbids_them(api: BallotApi) -> None:
    await api.setup(parties=2)
    api.app.state.settings = type(api.app.state.settings)(**{
        **{f: getattr(api.app.state.settings, f) for f in api.app.state.settings.__dataclass_fields__},
        "webhook_allow_private": False})
    for url in ("http://example.org/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook",
                "https://169.254.169.254/latest/meta-data", "https://[::1]/hook", "https://localhost/hook"):
        await _refused(api, "POST", "/api/webhooks/subscriptions", {"url": url}, api.admin_headers, 422,
                       "bad_webhook_url", "url")


async def test_published_versions_are_never_rewritten(api: BallotApi) -> None:
    await api.setup(parties=2)
    position = await position_of(api, await adopt_by_consensus(api, api.parties[0]))
    async with api.database.engine.connect() as connection:
        for statement in ("UPDATE position_version SET title = 'rewritten'", "DELETE FROM position_version"):
            with pytest.raises(DBAPIError, match="append-only"):
                await connection.execute(text(statement))
            await connection.rollback()
    assert (await api.client.get(f"/api/positions/{position['id']}")).json()["title"] == position["title"]
