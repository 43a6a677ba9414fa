"""Every motions endpoint refuses the callers it must: anonymous 401, and each role without the right 403 (or 404
for a draft it may not know of); nothing changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.api.motions.conftest import MotionApi

M, D, AM, PT, AS, B = "{motion}", "{draft}", "{amendment}", "{part}", "{assembly}", "{b}"

ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", f"/api/assemblies/{AS}/motions", {"title": "T", "paragraphs": [{"text": "x"}]}),
    ("GET", f"/api/assemblies/{AS}/motions", None),
    ("GET", f"/api/assemblies/{AS}/amendments", None),
    ("GET", f"/api/motions/{M}", None),
    ("GET", f"/api/motions/{M}/versions", None),
    ("GET", f"/api/motions/{M}/versions/1", None),
    ("POST", f"/api/motions/{M}/versions", {"expected_version": 1, "title": "T", "paragraphs": [{"text": "x"}]}),
    ("GET", f"/api/motions/{M}/compare", None),
    ("GET", f"/api/motions/{M}/export/markdown", None),
    ("GET", f"/api/motions/{M}/export/html", None),
    ("POST", f"/api/motions/{M}/cosponsors", {"delegation_id": B}),
    ("POST", f"/api/motions/{M}/cosponsors/{B}/accept", None),
    ("POST", f"/api/motions/{M}/cosponsors/{B}/decline", None),
    ("POST", f"/api/motions/{M}/submit", None),
    ("POST", f"/api/motions/{M}/withdraw", None),
    ("POST", f"/api/motions/{M}/admit", None),
    ("POST", f"/api/motions/{M}/rule-out-of-order", {"reason": "no"}),
    ("POST", f"/api/motions/{M}/open-debate", None),
    ("POST", f"/api/motions/{M}/call-consensus", None),
    ("POST", f"/api/motions/{M}/adopt-by-consensus", None),
    ("POST", f"/api/motions/{M}/objection", {"reason": "no"}),
    ("POST", f"/api/motions/{M}/resolve", {"adopted": True, "reason": "hands"}),
    ("POST", f"/api/motions/{M}/voting-order", {"amendment_ids": [AM]}),
    ("POST", f"/api/motions/{M}/consolidate", None),
    ("POST", f"/api/motions/{M}/divide", {"parts": [{"paragraph_ids": ["p2"]}]}),
    ("POST", f"/api/motions/{M}/amendments",
     {"motion_version": 1, "operations": [{"op": "delete", "paragraph_id": "p3"}]}),
    ("GET", f"/api/amendments/{AM}", None),
    ("POST", f"/api/amendments/{AM}/admit", None),
    ("POST", f"/api/amendments/{AM}/rule-out-of-order", {"reason": "no"}),
    ("POST", f"/api/amendments/{AM}/withdraw", None),
    ("POST", f"/api/amendments/{AM}/resolve", {"adopted": True, "reason": "hands"}),
    ("POST", f"/api/motion-parts/{PT}/resolve", {"adopted": True, "reason": "hands"}),
]

CHAIR_ONLY = [
    (method, path, body) for method, path, body in ENDPOINTS
    if any(path.endswith(tail) for tail in ("/admit", "/rule-out-of-order", "/open-debate", "/call-consensus",
                                            "/adopt-by-consensus", "/voting-order", "/consolidate", "/divide"))
    or path.endswith("/resolve")
]
"""The chair's commands: a delegate or an auditor gets 403 ``assembly_role_required``."""

SPONSOR_ONLY = [
    ("POST", f"/api/motions/{M}/versions", {"expected_version": 1, "title": "T", "paragraphs": [{"text": "x"}]}),
    ("POST", f"/api/motions/{M}/cosponsors", {"delegation_id": B}),
    ("POST", f"/api/motions/{M}/submit", None),
    ("POST", f"/api/motions/{M}/withdraw", None),
]
"""The sponsoring delegation's commands: the chair, or another delegation, gets 403 ``not_sponsor``."""


def _fill(template: Any, ids: dict[str, str]) -> Any:
    if isinstance(template, str):
        for key, value in ids.items():
            template = template.replace("{" + key + "}", value)
        return template
    if isinstance(template, list):
        return [_fill(item, ids) for item in template]
    if isinstance(template, dict):
        return {key: _fill(value, ids) for key, value in template.items()}
    return template


@pytest.fixture
async def ids(api: MotionApi) -> dict[str, str]:
    """A public motion under debate with an admitted amendment, a draft, and a part of a divided motion."""
    motion = await api.debated()
    amendment = await api.table(motion["id"], [{"op": "delete", "paragraph_id": "p4"}])
    draft = await api.draft()
    divided = await api.debated()
    parts = await api.ok("POST", f"/api/motions/{divided['id']}/divide", {"parts": [{"paragraph_ids": ["p2"]}]})
    return {"motion": motion["id"], "draft": draft["id"], "amendment": amendment["id"],
            "part": parts["parts"][0]["id"], "assembly": api.assembly_id, "b": api.b.delegation_id}


async def _each_refused(api: MotionApi, ids: dict[str, str],
                        endpoints: list[tuple[str, str, dict[str, Any] | None]], headers: dict[str, str],
                        status: int, code: str) -> None:
    for method, template, body in endpoints:
        try:
            await api.refused(method, _fill(template, ids), _fill(body, ids), headers, status, code)
        except AssertionError as exc:
            raise AssertionError(f"{method} {template}: {exc}") from exc


async def test_no_token_is_401_everywhere(api: MotionApi, ids: dict[str, str]) -> None:
    await _each_refused(api, ids, ENDPOINTS, {}, 401, "unauthorized")


@pytest.mark.parametrize("who", ["delegate", "auditor"])
async def test_chair_commands_refuse_delegates_and_auditors(api: MotionApi, ids: dict[str, str], who: str) -> None:
    headers = api.c.headers if who == "delegate" else api.auditor_headers
    assert len(CHAIR_ONLY) == 13
    await _each_refused(api, ids, CHAIR_ONLY, headers, 403, "assembly_role_required")


@pytest.mark.parametrize("who", ["chair", "other delegation", "secretariat"])
async def test_sponsor_commands_refuse_everyone_else(api: MotionApi, ids: dict[str, str], who: str) -> None:
    headers = {"chair": api.chair_headers, "other delegation": api.c.headers,
               "secretariat": api.admin_headers}[who]
    await _each_refused(api, ids, SPONSOR_ONLY, headers, 403, "not_sponsor")


async def test_other_data_dependent_rights(api: MotionApi, ids: dict[str, str]) -> None:
    motion, amendment = ids["motion"], ids["amendment"]
    await api.refused("POST", f"/api/amendments/{amendment}/withdraw", None, api.b.headers, 403, "not_sponsor")
    await api.refused("POST", f"/api/amendments/{amendment}/withdraw", None, api.chair_headers, 403, "not_sponsor")
    await api.refused("POST", f"/api/motions/{motion}/cosponsors/{api.b.delegation_id}/accept", None, api.c.headers,
                      403, "not_invited_delegation")
    await api.refused("POST", f"/api/motions/{motion}/objection", {"reason": "no"}, api.auditor_headers, 403,
                      "not_your_delegation")
    await api.refused("POST", f"/api/motions/{motion}/amendments",
                      {"motion_version": 1, "operations": [{"op": "delete", "paragraph_id": "p3"}]},
                      api.auditor_headers, 403, "not_a_delegate")


@pytest.mark.parametrize("who", ["chair", "auditor", "secretariat", "other delegation", "observer"])
async def test_a_draft_is_invisible_to_all_but_its_sponsors(api: MotionApi, ids: dict[str, str], who: str) -> None:
    headers = {"chair": api.chair_headers, "auditor": api.auditor_headers, "secretariat": api.admin_headers,
               "other delegation": api.c.headers, "observer": api.stranger_headers}[who]
    reads: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", path, None) for path in (f"/api/motions/{D}", f"/api/motions/{D}/versions",
                                         f"/api/motions/{D}/versions/1", f"/api/motions/{D}/export/html",
                                         f"/api/motions/{D}/export/markdown", f"/api/motions/{D}/compare")]
    await _each_refused(api, ids, reads, headers, 404, "motion_not_found")
