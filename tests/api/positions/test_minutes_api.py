"""Minutes of a sitting from the record: agenda items in order with who spoke, motions and amendments with
their fate, ballots with counts and the roll call, consensus adoptions; Markdown, HTML and Akoma Ntoso."""

from __future__ import annotations

from html.parser import HTMLParser

from lxml import etree

from tests.api.ballots.conftest import BallotApi
from tests.api.positions.conftest import adopt_by_consensus, adopt_by_roll_call, position_of
from tests.api.positions.test_positions_api import AKN, NS, _akn_schema


async def test_minutes_show_the_record_in_three_formats(api: BallotApi) -> None:
    await api.setup()
    first, second = api.parties[0], api.parties[1]
    item = await api.ok("POST", f"/api/assemblies/{api.assembly_id}/agenda-items",
                        {"title": "Climate finance <for cities>", "kind": "debate"}, status=201)
    await api.ok("POST", f"/api/agenda-items/{item['id']}/open")
    await api.ok("POST", f"/api/agenda-items/{item['id']}/speakers/requests", {"kind": "speech"}, second.headers,
                 status=201)
    await api.ok("POST", f"/api/agenda-items/{item['id']}/speakers/give-floor")
    await api.ok("POST", f"/api/agenda-items/{item['id']}/speakers/end-speech")
    motion_id, _ = await adopt_by_roll_call(api, first)
    consensus = await position_of(api, await adopt_by_consensus(api, second, "Water as a commons"))

    markdown = (await api.client.get(f"/api/assemblies/{api.assembly_id}/minutes.md")).text
    assert "## Item 1: Climate finance <for cities>" in markdown
    assert f"- {second.name} (speech)" in markdown
    voted = await position_of(api, motion_id)
    assert f"adopted by ballot as {voted['symbol']}" in markdown
    assert f"adopted by consensus as {consensus['symbol']}" in markdown
    assert "## Ballot 1: Adopt the motion?" in markdown
    assert "Roll-call ballot; yes 3, no 1, abstain 0" in markdown
    assert f"| {first.name} | yes | 1 |" in markdown

    page = await api.client.get(f"/api/assemblies/{api.assembly_id}/minutes.html")
    assert page.headers["content-type"].startswith("text/html")
    assert "Climate finance &lt;for cities&gt;" in page.text      # escaped, never markup
    HTMLParser().feed(page.text)

    akn = await api.client.get(f"/api/assemblies/{api.assembly_id}/minutes.akn")
    root = etree.fromstring(akn.content)
    schema = _akn_schema()
    assert schema.validate(root), schema.error_log
    assert root[0].tag == f"{{{AKN}}}debateReport"
    headings = [h.text for h in root.iterfind(".//a:mainBody/a:hcontainer/a:heading", NS)]
    assert headings[0] == "Item 1: Climate finance <for cities>"
    assert "Motions and amendments" in headings
    assert "Rulings of the chair" in headings

    missing = await api.client.get("/api/assemblies/01a2263a-0000-7000-8000-000000000000/minutes.md")
    api.problem(missing, 404, "assembly_not_found")
