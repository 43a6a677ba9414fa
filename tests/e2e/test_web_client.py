"""The web client in headless Chromium against a real server and PostgreSQL (issue 9).

One sitting from end to end: the chair opens a ballot, three delegates in three browser contexts
vote (Bogota also for Montreal, by proxy), the chair closes, and the delegate's, chair's, auditor's
and public pages all show the result without a reload; a delegate checks the receipt; the auditor
downloads the bundle. Further tests: the voting flow by keyboard alone and in French, a refusal
shown with the server's reason, and recovery after a dropped live connection.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import SCREENSHOTS, ServedApp

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DELEGATES = {
    "barcelona": ("barcelona@demo.assembly.test", "demo-delegate-pass"),
    "durban": ("durban@demo.assembly.test", "demo-delegate-pass"),
    "bogota": ("bogota@demo.assembly.test", "demo-delegate-pass"),
}
WAIT = 20_000
"""Milliseconds Playwright waits for something to appear (a bound on a hang, not a timing claim)."""


async def _page(browser: Any, served: ServedApp, *, lang: str = "en") -> Any:
    context = await browser.new_context(base_url=served.base, accept_downloads=True, locale=lang,
                                        viewport={"width": 1100, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(WAIT)
    return page


async def _log_in(page: Any, email: str, password: str, view: str) -> None:
    await page.goto("/app/#/login")
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.click("form button[type=submit]")
    await page.wait_for_url(f"**/app/#/{view}")
    await page.wait_for_selector("#live-status[data-state=live]")


def _audit_deployed(served: ServedApp) -> bool:
    """Whether the audit log routes exist on this server (built by issue 7)."""
    return httpx.get(f"{served.base}/.well-known/assembly-log-key", timeout=10).status_code == 200


def _api(served: ServedApp, token: str, method: str, path: str, body: object | None = None) -> Any:
    response = httpx.request(method, f"{served.base}{path}", json=body, timeout=10,
                             headers={"Authorization": f"Bearer {token}"})
    assert response.is_success, response.text
    return response.json()


async def _vote(page: Any, ballot_id: str, choices: dict[str, str]) -> None:
    """Pick an option in each named right's fieldset (by kind), review, confirm."""
    ballot = page.locator(f"article.open-ballot[data-ballot='{ballot_id}']")
    for kind, option in choices.items():
        await ballot.locator(f"fieldset[data-kind={kind}] input[value={option}]").check()
    await ballot.locator("button.review").click()
    await ballot.locator("button.confirm").click()
    await page.wait_for_selector(f"[data-ballot='{ballot_id}'] .receipt")


async def test_a_whole_ballot_in_five_browsers(browser: Any, served: ServedApp) -> None:
    chair = await _page(browser, served)
    await _log_in(chair, "chair@demo.assembly.test", "demo-chair-pass", "chair")
    delegates = {}
    for name, (email, password) in DELEGATES.items():
        delegates[name] = await _page(browser, served)
        await _log_in(delegates[name], email, password, "delegate")
    auditor = await _page(browser, served)
    await _log_in(auditor, "auditor@demo.assembly.test", "demo-auditor-pass", "auditor")
    public = await _page(browser, served)
    await public.goto(f"/app/#/public?assembly={served.assembly_id}")
    await public.wait_for_selector("#public-ballots h2")

    # First load of the delegate page: everything transferred, from the browser's own accounting.
    fresh = await _page(browser, served)
    await _log_in(fresh, *DELEGATES["durban"], "delegate")
    transferred = await fresh.evaluate(
        "() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
        ".reduce((sum, e) => sum + e.transferSize, 0)")
    assert 0 < transferred < 200_000, transferred
    print(f"delegate page first load: {transferred} bytes transferred")
    await fresh.context.close()

    # The chair creates and opens a roll-call ballot from the console.
    await chair.fill("#ballot-question", "Shall the agenda be adopted?")
    await chair.click("#chair-ballots form button[type=submit]")
    draft = chair.locator("#chair-ballots article[data-status=draft]")
    ballot_id = await draft.get_attribute("data-ballot")
    assert ballot_id
    await draft.locator("button.open-ballot").click()
    await chair.wait_for_selector(f"#chair-ballots article[data-ballot='{ballot_id}'][data-status=open]")

    # Every delegate sees it open without a reload; Bogota holds its own right and Montreal's proxy.
    for page in delegates.values():
        await page.wait_for_selector(f"article.open-ballot[data-ballot='{ballot_id}']")
    bogota = delegates["bogota"]
    rights = bogota.locator(f"article.open-ballot[data-ballot='{ballot_id}'] fieldset")
    assert await rights.count() == 2
    assert "Proxy vote for Montreal" in (await bogota.locator("fieldset[data-kind=proxy] legend").inner_text())
    await bogota.locator("fieldset[data-kind=own] input[value=yes]").check()
    await bogota.locator("fieldset[data-kind=proxy] input[value=abstain]").check()
    await bogota.screenshot(path=str(SCREENSHOTS / "delegate-ballot.png"), full_page=True)
    await _vote(bogota, ballot_id, {"own": "yes", "proxy": "abstain"})
    await _vote(delegates["barcelona"], ballot_id, {"own": "yes"})
    await _vote(delegates["durban"], ballot_id, {"own": "no"})
    receipt = await bogota.locator(f"[data-ballot='{ballot_id}'] .receipt").inner_text()
    assert "Bogota: Yes" in receipt
    assert "Montreal: Abstain" in receipt

    # Live turnout on the console, then the chair closes.
    await chair.wait_for_selector(f"#chair-ballots article[data-ballot='{ballot_id}'] .turnout:has-text('4 of 4')")
    await chair.screenshot(path=str(SCREENSHOTS / "chair-console.png"), full_page=True)
    await chair.locator(f"#chair-ballots article[data-ballot='{ballot_id}'] button.close-ballot").click()

    # All four kinds of page show the result live.
    for page in [chair, auditor, public, *delegates.values()]:
        await page.wait_for_selector(f"[data-ballot='{ballot_id}'] .result-box[data-outcome=adopted]")
    counts = await chair.locator(f"[data-ballot='{ballot_id}'] .result-box tbody tr").all_inner_texts()
    assert [" ".join(row.split()) for row in counts] == ["Yes 2", "No 1", "Abstain 1"]
    await public.screenshot(path=str(SCREENSHOTS / "public.png"), full_page=True)

    # A delegate checks the receipt against the published log (the server runs the sequencer).
    assert _audit_deployed(served)
    barcelona = delegates["barcelona"]
    receipt_box = barcelona.locator(f"[data-ballot='{ballot_id}'] .receipt")
    await receipt_box.locator("button").first.click()
    await receipt_box.locator(".receipt-check [data-verified=true]").wait_for()

    # The auditor downloads the bundle, and it verifies offline against the served key.
    article = auditor.locator(f"#auditor-ballots article[data-ballot='{ballot_id}']")
    async with auditor.expect_download() as download_info:
        await article.locator("button.download").click()
    download = await download_info.value
    bundle_path = await download.path()
    assert json.loads(bundle_path.read_text(encoding="utf-8"))
    await article.locator(".bundle-status .ok").wait_for()
    key = httpx.get(f"{served.base}/.well-known/assembly-log-key", timeout=10).text.strip()
    verified = subprocess.run([sys.executable, "-m", "assembly.audit.verify", str(bundle_path), "--key", key],
                              capture_output=True, text=True, timeout=120, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    await auditor.screenshot(path=str(SCREENSHOTS / "auditor.png"), full_page=True)


async def test_voting_by_keyboard_alone_in_french_and_a_refusal_with_its_reason(
    browser: Any, served: ServedApp,
) -> None:
    chair = served.token("chair@demo.assembly.test", "demo-chair-pass")
    ballot = _api(served, chair, "POST", f"/api/assemblies/{served.assembly_id}/ballots",
                  {"subject_kind": "procedural", "question": "Shall the minutes be approved?", "secret": False})
    _api(served, chair, "POST", f"/api/ballots/{ballot['id']}/open")

    page = await _page(browser, served, lang="fr")
    # Log in with the keyboard too: the e-mail field has focus on arrival.
    await page.goto("/app/?lang=fr#/login")
    await page.wait_for_selector("#email:focus")
    await page.keyboard.type(DELEGATES["barcelona"][0])
    await page.keyboard.press("Tab")
    await page.keyboard.type(DELEGATES["barcelona"][1])
    await page.keyboard.press("Enter")
    await page.wait_for_selector(f"article.open-ballot[data-ballot='{ballot['id']}']")
    assert "Vote de votre délégation (Barcelona)" in await page.locator("fieldset[data-kind=own] legend").inner_text()

    async def tab_to(predicate: str) -> None:
        for _ in range(60):
            await page.keyboard.press("Tab")
            if await page.evaluate(predicate):
                return
        raise AssertionError(f"Tab never reached {predicate}")

    await tab_to("() => document.activeElement?.type === 'radio'")
    await page.keyboard.press("Space")       # the first option: Pour (yes)
    await page.keyboard.press("ArrowDown")   # Contre (no): arrows move the choice within the group
    assert await page.evaluate("() => document.activeElement.value") == "no"
    await tab_to("() => document.activeElement?.classList.contains('review')")
    assert (await page.evaluate("() => document.activeElement.textContent")) == "Vérifier mon vote"
    await page.keyboard.press("Enter")
    await page.wait_for_selector("button.confirm:focus")   # the confirmation step takes the focus
    assert "Barcelona: Contre" in await page.locator("[role=region]").inner_text()
    await page.keyboard.press("Enter")
    receipt = page.locator(f"[data-ballot='{ballot['id']}'] .receipt")
    await receipt.wait_for()
    assert "Barcelona: Contre" in await receipt.inner_text()
    assert "Votre reçu" in await receipt.inner_text()
    turnout = httpx.get(f"{served.base}/api/ballots/{ballot['id']}/turnout", timeout=10).json()
    assert turnout["voted"] == 1

    # Durban is checked out after the ballot opened: the server refuses its vote and the page says why.
    admin = served.token("admin@demo.assembly.test", "demo-admin-pass")
    mine = _api(served, served.token(*DELEGATES["durban"]), "GET", "/api/me/assemblies")
    durban_delegation = mine["assemblies"][0]["delegation"]["delegation_id"]
    durban = await _page(browser, served, lang="es")
    await durban.goto("/app/?lang=es#/login")
    await durban.fill("#email", DELEGATES["durban"][0])
    await durban.fill("#password", DELEGATES["durban"][1])
    await durban.click("form button[type=submit]")
    await durban.wait_for_selector(f"article.open-ballot[data-ballot='{ballot['id']}']")
    _api(served, admin, "POST", f"/api/delegations/{durban_delegation}/check-out")
    await durban.locator("fieldset[data-kind=own] input[value=yes]").check()
    await durban.locator("button.review").click()
    assert await durban.locator("button.confirm").inner_text() == "Confirmar y votar"
    await durban.locator("button.confirm").click()
    alert = durban.locator(f"[data-ballot='{ballot['id']}'] .alert[data-code=delegation_absent]")
    await alert.wait_for()
    assert "Voto rechazado" in await alert.inner_text()
    assert httpx.get(f"{served.base}/api/ballots/{ballot['id']}/turnout", timeout=10).json()["voted"] == 1


async def test_live_updates_recover_after_a_dropped_connection_without_a_reload(
    browser: Any, served: ServedApp,
) -> None:
    page = await _page(browser, served)
    await _log_in(page, *DELEGATES["bogota"], "delegate")
    await page.evaluate("() => { window.notReloaded = true; }")

    # Killing the server drops the stream at once; the page says so, then reconnects by itself.
    served.stop(graceful=False)
    await page.wait_for_selector("#live-status[data-state=reconnecting]")
    served.start()
    await page.wait_for_selector("#live-status[data-state=live]")
    assert await page.evaluate("() => window.assemblyLive.reconnects") >= 1

    # A ballot opened after the drop reaches the same page, still not reloaded.
    chair = served.token("chair@demo.assembly.test", "demo-chair-pass")
    ballot = _api(served, chair, "POST", f"/api/assemblies/{served.assembly_id}/ballots",
                  {"subject_kind": "procedural", "question": "Shall the session be suspended?", "secret": False})
    _api(served, chair, "POST", f"/api/ballots/{ballot['id']}/open")
    await page.wait_for_selector(f"article.open-ballot[data-ballot='{ballot['id']}']")
    assert await page.evaluate("() => window.notReloaded") is True


async def test_the_chair_rules_on_the_voting_order_and_puts_the_first_amendment_to_the_vote(
    browser: Any, served: ServedApp,
) -> None:
    chair = await _page(browser, served)
    await _log_in(chair, "chair@demo.assembly.test", "demo-chair-pass", "chair")
    motion = chair.locator("article[data-motion]")
    await motion.locator("ol.order li").nth(1).wait_for()
    first, second = [await li.get_attribute("data-amendment") for li in await motion.locator("ol.order li").all()]
    # The amendment furthest removed in substance first: the chair moves the second one up and rules.
    await motion.locator(f"li[data-amendment='{second}'] button[aria-label$='earlier']").click()
    await motion.locator("button:has-text('Rule on this voting order')").click()
    token = served.token("chair@demo.assembly.test", "demo-chair-pass")
    motion_id = await motion.get_attribute("data-motion")
    await chair.wait_for_function(
        "([id, first]) => document.querySelector(`article[data-motion='${id}'] ol.order li`)"
        "?.dataset.amendment === first", arg=[motion_id, second])
    assert _api(served, token, "GET", f"/api/motions/{motion_id}")["voting_order"] == [second, first]

    # A ballot on the amendment that is not next is refused at opening, with the server's reason.
    ballot_on = "button:has-text('Ballot on this amendment')"
    await chair.locator(f"article[data-motion] li[data-amendment='{first}'] {ballot_on}").click()
    draft = chair.locator("#chair-ballots article[data-status=draft]").first
    await draft.locator("button.open-ballot").click()
    refusal = chair.locator("[role=alert] .alert[data-code=not_votable]")
    await refusal.wait_for()
    # The next one opens.
    await chair.locator(f"article[data-motion] li[data-amendment='{second}'] {ballot_on}").click()
    await chair.wait_for_function(
        "() => document.querySelectorAll('#chair-ballots article[data-status=draft]').length === 2")
    newest = chair.locator("#chair-ballots article[data-status=draft]").first
    ballot_id = await newest.get_attribute("data-ballot")
    await newest.locator("button.open-ballot").click()
    await chair.wait_for_selector(f"#chair-ballots article[data-ballot='{ballot_id}'][data-status=open]")
    assert _api(served, token, "GET", f"/api/ballots/{ballot_id}")["subject_id"] == second
