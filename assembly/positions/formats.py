"""Rendering a position in open formats (pure; docs/positions.md has an example of each).

- JSON: the API's own document (``schemas.PositionRead``); built by the controllers.
- Markdown: for people and for pasting into reports.
- Akoma Ntoso 3.0 (OASIS LegalDocML): a ``statement`` with FRBR work / expression / manifestation
  identification, SDG keywords in ``classification`` and the vote in ``analysis/parliamentary``.
- Popolo (popoloproject.com): the motion, its vote event, counts and, for a roll call, each vote.
- Atom (RFC 4287): the feed of positions.

Everything here takes a :class:`PositionDoc` (or a list of them) and returns text or JSON-ready data.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from xml.etree import ElementTree as ET  # building documents only; nothing is parsed here

from assembly.positions.sdg import GOALS

__all__ = (
    "AKN_NS",
    "ATOM_NS",
    "PositionDoc",
    "akn_statement",
    "atom_feed",
    "csv_text",
    "markdown",
    "popolo",
    "sdg_label",
)

AKN_NS = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
_ISO_639_2 = {"en": "eng", "fr": "fra", "es": "spa"}
_BODY_NAMES = {
    "general_assembly": "UCLG General Assembly",
    "world_council": "UCLG World Council",
    "executive_bureau": "UCLG Executive Bureau",
    "world_assembly": "World Assembly of Local and Regional Governments",
    "other": "UCLG",
}


@dataclass(frozen=True, slots=True)
class PositionDoc:
    """Everything the formats show of one position, in one language."""

    id: uuid.UUID
    symbol: str
    title: str
    paragraphs: list[dict[str, Any]]
    language: str
    languages: list[str]
    body: str
    assembly_id: uuid.UUID
    assembly_name: str
    motion_id: uuid.UUID
    adopted_on: date
    adopted_at: datetime
    updated_at: datetime
    version: int
    resolution: str
    vote: dict[str, Any]
    sdgs: list[str]
    process: str | None
    session: str | None
    keywords: list[str]
    text_sha256: str
    audit_events: list[dict[str, str]] = field(default_factory=list)
    base_url: str = ""

    @property
    def body_name(self) -> str:
        """The adopting body's name."""
        return _BODY_NAMES.get(self.body, self.body)

    @property
    def url(self) -> str:
        """The position's JSON URL."""
        return f"{self.base_url}/api/positions/{self.id}"


def sdg_label(code: str) -> str:
    """``11`` -> ``SDG 11: Sustainable cities and communities``; ``11.3`` -> ``SDG target 11.3``."""
    if "." in code:
        return f"SDG target {code}"
    return f"SDG {code}: {GOALS[int(code)]}"


def _vote_summary(vote: dict[str, Any]) -> str:
    if vote.get("method") == "consensus":
        return "Adopted by consensus, without a vote."
    if vote.get("method") != "ballot":
        return "Adopted on the chair's declaration, without a ballot."
    counts = ", ".join(f"{c['option']} {c['heads']}" + (f" (weight {c['weight']})" if vote.get("weighted") else "")
                       for c in vote.get("counts", []))
    return f"Adopted by {'secret' if vote.get('secret') else 'roll-call'} ballot: {counts}; rule {vote.get('rule')}."


# -- Markdown ---------------------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(doc: PositionDoc) -> str:
    """The position as CommonMark: heading, metadata table, text, vote record, proofs."""
    lines = [f"# {doc.title}", "", f"**{doc.symbol}**, adopted by the {doc.body_name} ({doc.assembly_name}) "
             f"on {doc.adopted_on.isoformat()}.", "", "| | |", "|---|---|",
             f"| Symbol | {_md_escape(doc.symbol)} |", f"| Language | {doc.language} |",
             f"| Version | {doc.version} |"]
    if doc.sdgs:
        lines.append(f"| SDGs | {', '.join(doc.sdgs)} |")
    if doc.process:
        lines.append(f"| Process | {_md_escape(doc.process)} {_md_escape(doc.session or '')} |")
    lines += ["", "## Text", ""]
    for paragraph in doc.paragraphs:
        text = paragraph["text"]
        lines += [f"*{text}*" if paragraph.get("kind") == "preambular" else text, ""]
    lines += ["## Vote", "", _vote_summary(doc.vote), ""]
    vote = doc.vote
    if vote.get("method") == "ballot":
        lines += ["| Option | Heads | Weight |", "|---|---:|---:|"]
        lines += [f"| {c['option']} | {c['heads']} | {c['weight']} |" for c in vote.get("counts", [])]
        lines += ["", f"Quorum: {vote.get('quorum', {}).get('arithmetic', '')}",
                  f"Majority: {vote.get('arithmetic', '')}", ""]
        if vote.get("roll_call"):
            lines += ["### Roll call", "", "| Member | Vote | Weight |", "|---|---|---:|"]
            lines += [f"| {_md_escape(r['member_name'])} | {r['choice'] or 'did not vote'} | {r['weight']} |"
                      for r in vote["roll_call"]]
            lines.append("")
    if doc.audit_events:
        lines += ["## Proof", "", "Audit log events recording this decision:", ""]
        lines += [f"- `{e['id']}` {e['kind']}" for e in doc.audit_events]
        lines.append("")
    lines += [f"Text digest (SHA-256): `{doc.text_sha256}`", ""]
    return "\n".join(lines)


# -- Akoma Ntoso ------------------------------------------------------------------------------------


def _akn(tag: str) -> str:
    return f"{{{AKN_NS}}}{tag}"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _akn(tag), {k.rstrip("_"): v for k, v in attributes.items()})
    if text is not None:
        element.text = text
    return element


def akn_work_uri(doc: PositionDoc) -> str:
    """The FRBR work IRI (AKN naming convention): ``/akn/un/statement/resolution/uclg/<date>/<symbol>``."""
    number = doc.symbol.replace("/", "-").replace(" ", "_").lower()
    return f"/akn/un/statement/resolution/uclg/{doc.adopted_on.isoformat()}/{number}"


def _akn_identification(meta: ET.Element, doc: PositionDoc, generated: date) -> None:
    identification = _sub(meta, "identification", source="#secretariat")
    work = akn_work_uri(doc)
    language = _ISO_639_2.get(doc.language, doc.language)
    expression = f"{work}/{language}@{doc.updated_at.date().isoformat()}"
    frbr = _sub(identification, "FRBRWork")
    _sub(frbr, "FRBRthis", value=f"{work}/!main")
    _sub(frbr, "FRBRuri", value=work)
    _sub(frbr, "FRBRdate", date=doc.adopted_on.isoformat(), name="adoption")
    _sub(frbr, "FRBRauthor", href=f"#{doc.body}")
    _sub(frbr, "FRBRcountry", value="un")
    _sub(frbr, "FRBRnumber", value=doc.symbol)
    frbr = _sub(identification, "FRBRExpression")
    _sub(frbr, "FRBRthis", value=f"{expression}/!main")
    _sub(frbr, "FRBRuri", value=expression)
    _sub(frbr, "FRBRdate", date=doc.updated_at.date().isoformat(), name=f"version {doc.version}")
    _sub(frbr, "FRBRauthor", href="#secretariat")
    _sub(frbr, "FRBRlanguage", language=language)
    frbr = _sub(identification, "FRBRManifestation")
    _sub(frbr, "FRBRthis", value=f"{expression}/!main.xml")
    _sub(frbr, "FRBRuri", value=f"{expression}.akn")
    _sub(frbr, "FRBRdate", date=generated.isoformat(), name="generation")
    _sub(frbr, "FRBRauthor", href="#secretariat")


def _akn_vote(meta: ET.Element, vote: dict[str, Any]) -> None:
    """The vote in ``analysis/parliamentary/voting``: quorum and one ``count`` per option (and weight)."""
    parliamentary = _sub(_sub(meta, "analysis", source="#secretariat"), "parliamentary")
    if vote.get("method") != "ballot":
        # No ballot: adopted as no objection was recorded; the schema wants a count, so the objections (0).
        voting = _sub(parliamentary, "voting", eId="vote_1", href=f"#{vote.get('method')}", outcome="#adopted",
                      refersTo=f"#{vote.get('method')}")
        _sub(voting, "count", eId="vote_1__objections", value="0", refersTo="#objections")
        return
    voting = _sub(parliamentary, "voting", eId="vote_1", href=f"#ballot_{vote.get('ballot_id')}",
                  outcome="#adopted", refersTo=f"#rule_{vote.get('rule')}")
    met = vote.get("quorum", {}).get("met")
    _sub(voting, "quorum", eId="vote_1__quorum", value=str(vote.get("present_heads", 0)),
         refersTo="#quorum_met" if met else "#quorum_not_met")
    for index, count in enumerate(vote.get("counts", []), start=1):
        _sub(voting, "count", eId=f"vote_1__count_{index}", value=str(count["heads"]),
             refersTo=f"#option_{count['option']}")
        if vote.get("weighted"):
            _sub(voting, "count", eId=f"vote_1__weight_{index}", value=str(count["weight"]),
                 refersTo=f"#weight_{count['option']}")


def _akn_references(meta: ET.Element, doc: PositionDoc) -> None:
    references = _sub(meta, "references", source="#secretariat")
    _sub(references, "TLCOrganization", eId=doc.body, href=f"/ontology/organization/uclg/{doc.body}",
         showAs=doc.body_name)
    _sub(references, "TLCOrganization", eId="secretariat", href="/ontology/organization/uclg/secretariat",
         showAs="UCLG World Secretariat")
    concepts = [("adopted", "/ontology/concept/outcome/adopted", "adopted")]
    vote = doc.vote
    if vote.get("method") != "ballot":
        method = str(vote.get("method"))
        concepts.append((method, f"/ontology/concept/procedure/{method}", f"adopted by {method}"))
        concepts.append(("objections", "/ontology/concept/procedure/objections", "objections recorded"))
    else:
        rule = str(vote.get("rule"))
        concepts.append((f"rule_{rule}", f"/ontology/concept/majority/{rule}", rule))
        for count in vote.get("counts", []):
            option = str(count["option"])
            concepts.append((f"option_{option}", f"/ontology/concept/option/{option}", option))
            if vote.get("weighted"):
                concepts.append((f"weight_{option}", f"/ontology/concept/weight/{option}", f"{option} (weight)"))
        met = "met" if vote.get("quorum", {}).get("met") else "not_met"
        concepts.append((f"quorum_{met}", f"/ontology/concept/quorum/{met}", f"quorum {met.replace('_', ' ')}"))
    for eid, href, shown in concepts:
        _sub(references, "TLCConcept", eId=eid, href=href, showAs=shown)


def akn_statement(doc: PositionDoc, *, generated: date) -> str:
    """The position as an Akoma Ntoso 3.0 ``statement`` (UTF-8 XML with declaration)."""
    ET.register_namespace("", AKN_NS)
    root = ET.Element(_akn("akomaNtoso"))
    statement = _sub(root, "statement", name="resolution")
    meta = _sub(statement, "meta")
    _akn_identification(meta, doc, generated)
    if doc.sdgs or doc.keywords:
        classification = _sub(meta, "classification", source="#secretariat")
        for code in doc.sdgs:
            _sub(classification, "keyword", value=f"sdg-{code}", showAs=sdg_label(code), dictionary="SDG")
        for keyword in doc.keywords:
            _sub(classification, "keyword", value=keyword, showAs=keyword, dictionary="assembly")
    _akn_vote(meta, doc.vote)
    _akn_references(meta, doc)
    preface = _sub(statement, "preface")
    _sub(_sub(preface, "p"), "docNumber", doc.symbol)
    _sub(_sub(preface, "p"), "docTitle", doc.title)
    preambular = [p for p in doc.paragraphs if p.get("kind") == "preambular"]
    operative = [p for p in doc.paragraphs if p.get("kind") != "preambular"]
    if preambular:
        preamble = _sub(statement, "preamble")
        for paragraph in preambular:
            _sub(preamble, "p", paragraph["text"], eId=f"preamble__{paragraph['id']}")
    main = _sub(statement, "mainBody")
    for paragraph in operative or [{"id": "p0", "text": ""}]:
        _sub(main, "p", paragraph["text"], eId=f"mainBody__{paragraph['id']}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode").join(['<?xml version="1.0" encoding="UTF-8"?>\n', "\n"])


# -- Popolo -----------------------------------------------------------------------------------------


def popolo(doc: PositionDoc) -> dict[str, Any]:
    """The motion, its vote event, counts and votes in Popolo's JSON serialization."""
    vote = doc.vote
    motion = {
        "id": f"motion/{doc.motion_id}", "organization_id": f"organization/{doc.body}",
        "legislative_session_id": f"assembly/{doc.assembly_id}", "text": doc.title,
        "identifier": doc.symbol, "classification": "resolution", "date": doc.adopted_at.isoformat(),
        "requirement": "consensus" if vote.get("method") == "consensus" else str(vote.get("rule")),
        "result": "pass", "sources": [{"url": doc.url}],
    }
    organizations = [{"id": f"organization/{doc.body}", "name": doc.body_name, "classification": "assembly"}]
    vote_event: dict[str, Any] = {
        "id": f"vote_event/{vote.get('ballot_id') or doc.motion_id}", "motion_id": motion["id"],
        "organization_id": f"organization/{doc.body}", "legislative_session_id": f"assembly/{doc.assembly_id}",
        "start_date": doc.adopted_at.isoformat(), "result": "pass",
    }
    if vote.get("method") != "ballot":
        vote_event["classification"] = "consensus"
        vote_event["counts"] = []
        vote_event["votes"] = []
    else:
        vote_event["classification"] = "secret ballot" if vote.get("secret") else "roll call"
        vote_event["counts"] = [{"option": c["option"], "value": c["heads"], "weight": c["weight"]}
                                for c in vote.get("counts", [])]
        vote_event["votes"] = [
            {"voter_id": f"delegation/{r['delegation_id']}", "voter_name": r["member_name"],
             "option": r["choice"] or "absent", "weight": r["weight"]}
            for r in vote.get("roll_call") or []]
        organizations += [{"id": f"delegation/{r['delegation_id']}", "name": r["member_name"],
                           "classification": "delegation"} for r in vote.get("roll_call") or []]
    return {"motions": [motion], "vote_events": [vote_event], "organizations": organizations}


# -- Atom -------------------------------------------------------------------------------------------


def _atom(tag: str) -> str:
    return f"{{{ATOM_NS}}}{tag}"


def _atom_sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _atom(tag), attributes)
    if text is not None:
        element.text = text
    return element


def atom_feed(docs: Sequence[PositionDoc], *, base_url: str, feed_id: str, updated: datetime) -> str:
    """An RFC 4287 feed, newest change first: each entry's id is the position's URN, updated its last version."""
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(_atom("feed"))
    _atom_sub(feed, "id", feed_id)
    _atom_sub(feed, "title", "Positions adopted by the assembly")
    _atom_sub(feed, "updated", updated.isoformat())
    _atom_sub(_atom_sub(feed, "author"), "name", "UCLG World Secretariat")
    _atom_sub(feed, "link", rel="self", type="application/atom+xml", href=f"{base_url}/api/positions/feed.atom")
    _atom_sub(feed, "link", rel="alternate", type="application/json", href=f"{base_url}/api/positions")
    for doc in docs:
        entry = _atom_sub(feed, "entry")
        _atom_sub(entry, "id", f"urn:uuid:{doc.id}")
        _atom_sub(entry, "title", f"{doc.symbol}: {doc.title}")
        _atom_sub(entry, "updated", doc.updated_at.isoformat())
        _atom_sub(entry, "published", doc.adopted_at.isoformat())
        _atom_sub(entry, "link", rel="alternate", type="application/json", href=doc.url)
        _atom_sub(entry, "link", rel="alternate", type="text/markdown", href=f"{doc.url}/markdown")
        _atom_sub(entry, "link", rel="alternate", type="application/akn+xml", href=f"{doc.url}/akn")
        for code in doc.sdgs:
            _atom_sub(entry, "category", term=f"sdg-{code}", label=sdg_label(code),
                      scheme="https://unstats.un.org/sdgs/")
        _atom_sub(entry, "summary", f"{doc.body_name}, {doc.adopted_on.isoformat()}. {_vote_summary(doc.vote)}")
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode").join(['<?xml version="1.0" encoding="UTF-8"?>\n', "\n"])


# -- Ballot results as CSV --------------------------------------------------------------------------


def _cell(value: object) -> str:
    """A CSV cell; text a spreadsheet would run as a formula (= + - @ tab CR) is prefixed with a quote (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def csv_text(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """RFC 4180 CSV (CRLF line ends, quoted where needed) with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    return buffer.getvalue()
