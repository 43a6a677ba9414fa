"""Scenario 4 in a browser: the delegate's and the chair's pages of the web client in headless Chromium.

Each page is loaded signed in (the session the login form would store), and timed from navigation to
the moment it shows what its user came for and its event stream is live. Then a live update: for the
chair, a vote cast through the API until the ballot's turnout line shows it; for the delegate, a ballot
opened by the chair until it appears, ready to vote. Chromium comes from the machine, as in the e2e
tests (tests/e2e/conftest.py); without one, the caller reports the scenario as not measured.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from tests.benchmarks.harness import Voter

__all__ = ("page_timings",)

LOADS = 5
"""Page loads timed per page (the first, with a cold cache, is reported apart)."""
WAIT_MS = 120_000
"""How long Playwright waits for an element (a bound on a hang, not a timing claim)."""


def _session_script(voter: Voter, name: str) -> str:
    """Store the signed-in session the way the web client's login does (sessionStorage, api.js)."""
    session = {"access_token": voter.token, "refresh_token": None, "user": {"full_name": name, "is_admin": False}}
    return f"sessionStorage.setItem('assembly.session', {json.dumps(json.dumps(session))});"


async def _timed_loads(page: Any, url: str, ready: str) -> dict[str, float]:
    """Load ``url`` LOADS times; seconds from navigation to ``ready`` shown and the stream live."""
    times = []
    for _ in range(LOADS):
        await page.goto("about:blank")
        started = time.perf_counter()
        await page.goto(url)
        await page.wait_for_selector(ready)
        await page.wait_for_selector("#live-status[data-state=live]")
        times.append(time.perf_counter() - started)
    return {"cold_s": times[0], "median_s": statistics.median(times[1:]), "all_s": times}


async def _until(page: Any, action: Callable[[], Awaitable[str]]) -> float:
    """Seconds from ``action`` finishing (its request acknowledged) to the selector it returns on the page."""
    selector = await action()
    started = time.perf_counter()
    await page.wait_for_selector(selector)
    return time.perf_counter() - started


async def page_timings(chromium_path: str, base_url: str, *, assembly_id: uuid.UUID, ballot_id: uuid.UUID,
                       electorate: int, chair: Voter, delegate: Voter, voters: list[Voter],
                       cast: Callable[[Voter], Awaitable[int]],
                       open_ballot: Callable[[], Awaitable[uuid.UUID]]) -> dict[str, Any]:
    """Render and live-update times of the delegate's and the chair's pages (seconds).

    ``cast`` votes as a voter and returns the ballot's turnout after it; ``open_ballot`` opens a new
    ballot as the chair and returns its id.
    """
    from playwright.async_api import async_playwright  # noqa: PLC0415  (only the benchmark needs it)

    out: dict[str, Any] = {"assembly_id": str(assembly_id)}
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium_path, headless=True)
        try:
            pages = {}
            for role, voter, name in (("chair", chair, "Bench chair"), ("delegate", delegate, "Bench delegate")):
                context = await browser.new_context(base_url=base_url, viewport={"width": 1100, "height": 900})
                await context.add_init_script(_session_script(voter, name))
                page = await context.new_page()
                page.set_default_timeout(WAIT_MS)
                pages[role] = page
            out["chair_load"] = await _timed_loads(
                pages["chair"], "/app/#/chair", f"#chair-ballots article[data-ballot='{ballot_id}'] .turnout")
            out["delegate_load"] = await _timed_loads(
                pages["delegate"], "/app/#/delegate", f"article.open-ballot[data-ballot='{ballot_id}']")

            # Chair: votes cast one at a time, each until the turnout line names its count.
            lags = []
            for voter in voters:
                async def vote(voter: Voter = voter) -> str:
                    voted = await cast(voter)
                    return (f"#chair-ballots article[data-ballot='{ballot_id}'] "
                            f".turnout:has-text('{voted} of {electorate} votes')")
                lags.append(await _until(pages["chair"], vote))
            out["chair_live_s"] = lags

            # Delegate: a ballot the chair opens until it is on the page, ready to vote.
            async def opening() -> str:
                return f"article.open-ballot[data-ballot='{await open_ballot()}'] fieldset"

            out["delegate_live_s"] = [await _until(pages["delegate"], opening) for _ in range(3)]
        finally:
            await browser.close()
    return out
