"""Minutes of an assembly's sitting, generated from the record (pure rendering; docs/positions.md).

The record: agenda items in order with who spoke, motions and amendments with their fate, every
closed ballot with its counts, rule and outcome (the roll call of a public ballot), adoptions by
consensus, and the chair's rulings (motions and amendments ruled out of order, with the reason).
Rendered as Markdown, printable HTML and an Akoma Ntoso ``debateReport``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from xml.etree import ElementTree as ET  # building documents only; nothing is parsed here

from assembly.positions.formats import AKN_NS

__all__ = ("MinutesBallot", "MinutesItem", "MinutesMotion", "MinutesRecord", "akn_debate_report",
           "minutes_html", "minutes_markdown")


@dataclass(frozen=True, slots=True)
class MinutesBallot:
    """A closed ballot and its result."""

    question: str
    closed_at: datetime | None
    secret: bool
    weighted: bool
    rule: str
    outcome: str
    quorum: str
    counts: list[dict[str, Any]]
    roll_call: list[tuple[str, str | None, int]] = field(default_factory=list)
    """(member, choice or None, weight), public ballots only."""


@dataclass(frozen=True, slots=True)
class MinutesMotion:
    """A motion with its fate and its amendments' fates."""

    title: str
    sponsor: str
    status: str
    resolution: str | None
    reason: str | None
    symbol: str | None
    amendments: list[tuple[int, str, str | None]] = field(default_factory=list)
    """(number, status, reason)."""


@dataclass(frozen=True, slots=True)
class MinutesItem:
    """An agenda item with the speeches made on it."""

    position: int
    title: str
    kind: str
    status: str
    speakers: list[tuple[str, str]] = field(default_factory=list)
    """(member, ``speech`` or ``point_of_order``) in the order they had the floor."""


@dataclass(frozen=True, slots=True)
class MinutesRecord:
    """Everything the minutes show."""

    assembly_id: str
    assembly_name: str
    body: str
    starts_on: date
    ends_on: date
    venue: str | None
    items: list[MinutesItem]
    motions: list[MinutesMotion]
    ballots: list[MinutesBallot]

    @property
    def rulings(self) -> list[str]:
        """The chair's rulings on admissibility."""
        out = [f"Motion \"{m.title}\" ruled out of order: {m.reason or 'no reason recorded'}"
               for m in self.motions if m.status == "out_of_order"]
        out += [f"Amendment {n} to \"{m.title}\" ruled out of order: {reason or 'no reason recorded'}"
                for m in self.motions for n, status, reason in m.amendments if status == "out_of_order"]
        return out


def _fate(motion: MinutesMotion) -> str:
    how = {"consensus": " by consensus", "ballot": " by ballot", "chair": " on the chair's declaration",
           "division": " on a division"}.get(motion.resolution or "", "")
    fate = f"{motion.status}{how}" if motion.status in {"adopted", "rejected"} else motion.status
    return fate + (f" as {motion.symbol}" if motion.symbol else "")


def _counts(ballot: MinutesBallot) -> str:
    return ", ".join(f"{c['option']} {c['heads']}" + (f" (weight {c['weight']})" if ballot.weighted else "")
                     for c in ballot.counts)


def _sections(record: MinutesRecord) -> list[tuple[str, list[str], list[tuple[str, ...]] | None]]:
    """(heading, lines, optional table rows) in order: the content every rendering shares."""
    sections: list[tuple[str, list[str], list[tuple[str, ...]] | None]] = []
    for item in record.items:
        lines = [f"{item.kind}, {item.status}."]
        lines += [f"{who} ({'point of order' if kind == 'point_of_order' else 'speech'})"
                  for who, kind in item.speakers] or ["No one took the floor."]
        sections.append((f"Item {item.position}: {item.title}", lines, None))
    motions = []
    for motion in record.motions:
        motions.append(f"\"{motion.title}\" (sponsor: {motion.sponsor}): {_fate(motion)}"
                       + (f"; {motion.reason}" if motion.reason and motion.status != "out_of_order" else ""))
        motions += [f"Amendment {n}: {status}" + (f" ({reason})" if reason else "")
                    for n, status, reason in motion.amendments]
    sections.append(("Motions and amendments", motions or ["None."], None))
    for number, ballot in enumerate(record.ballots, start=1):
        lines = [f"{'Secret' if ballot.secret else 'Roll-call'} ballot; {_counts(ballot)}; rule {ballot.rule}; "
                 f"quorum {ballot.quorum}; {ballot.outcome}."]
        rows: list[tuple[str, ...]] = [(who, choice or "did not vote", str(weight))
                                       for who, choice, weight in ballot.roll_call]
        sections.append((f"Ballot {number}: {ballot.question}", lines, rows or None))
    sections.append(("Rulings of the chair", record.rulings or ["None."], None))
    return sections


def minutes_markdown(record: MinutesRecord) -> str:
    """The minutes as CommonMark."""
    lines = [f"# Minutes: {record.assembly_name}", "",
             f"{record.body}, {record.starts_on.isoformat()} to {record.ends_on.isoformat()}"
             + (f", {record.venue}" if record.venue else "") + ".", ""]
    for heading, body, table in _sections(record):
        lines += [f"## {heading}", ""] + [f"- {line}" for line in body] + [""]
        if table:
            lines += ["| Member | Vote | Weight |", "|---|---|---:|"]
            lines += [f"| {a.replace('|', '/')} | {b} | {c} |" for a, b, c in table] + [""]
    return "\n".join(lines)


_CSS = ("body{font-family:Georgia,serif;max-width:48em;margin:2em auto;line-height:1.4}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.2em .5em}"
        "h2{page-break-after:avoid}@media print{body{margin:0}}")


def minutes_html(record: MinutesRecord) -> str:
    """The minutes as a printable HTML page (every value escaped)."""
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             f"<title>Minutes: {e(record.assembly_name)}</title><style>{_CSS}</style></head><body>",
             f"<h1>Minutes: {e(record.assembly_name)}</h1>",
             f"<p>{e(record.body)}, {record.starts_on.isoformat()} to {record.ends_on.isoformat()}"
             + (f", {e(record.venue)}" if record.venue else "") + ".</p>"]
    for heading, body, table in _sections(record):
        parts.append(f"<h2>{e(heading)}</h2><ul>" + "".join(f"<li>{e(line)}</li>" for line in body) + "</ul>")
        if table:
            parts.append("<table><tr><th>Member</th><th>Vote</th><th>Weight</th></tr>"
                         + "".join(f"<tr><td>{e(a)}</td><td>{e(b)}</td><td>{e(c)}</td></tr>" for a, b, c in table)
                         + "</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{AKN_NS}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def akn_debate_report(record: MinutesRecord, *, generated: date) -> str:
    """The minutes as an Akoma Ntoso 3.0 ``debateReport`` (one ``hcontainer`` per section)."""
    ET.register_namespace("", AKN_NS)
    root = ET.Element(f"{{{AKN_NS}}}akomaNtoso")
    report = _sub(root, "debateReport", name="minutes")
    meta = _sub(report, "meta")
    identification = _sub(meta, "identification", source="#secretariat")
    work = f"/akn/un/debateReport/minutes/uclg/{record.starts_on.isoformat()}/{record.assembly_id}"
    expression = f"{work}/eng@{generated.isoformat()}"
    for level, this, uri in (("FRBRWork", f"{work}/!main", work), ("FRBRExpression", f"{expression}/!main", expression),
                             ("FRBRManifestation", f"{expression}/!main.xml", f"{expression}.akn")):
        frbr = _sub(identification, level)
        _sub(frbr, "FRBRthis", value=this)
        _sub(frbr, "FRBRuri", value=uri)
        _sub(frbr, "FRBRdate", date=(record.starts_on if level == "FRBRWork" else generated).isoformat(),
             name="sitting" if level == "FRBRWork" else "generation")
        _sub(frbr, "FRBRauthor", href="#secretariat")
        if level == "FRBRWork":
            _sub(frbr, "FRBRcountry", value="un")
        if level == "FRBRExpression":
            _sub(frbr, "FRBRlanguage", language="eng")
    references = _sub(meta, "references", source="#secretariat")
    _sub(references, "TLCOrganization", eId="secretariat", href="/ontology/organization/uclg/secretariat",
         showAs="UCLG World Secretariat")
    preface = _sub(report, "preface")
    _sub(_sub(preface, "p"), "docTitle", f"Minutes: {record.assembly_name}")
    main = _sub(report, "mainBody")
    for index, (heading, body, table) in enumerate(_sections(record), start=1):
        container = _sub(main, "hcontainer", name="section", eId=f"hcontainer_{index}")
        _sub(container, "heading", heading)
        content = _sub(container, "content")
        for line in body:
            _sub(content, "p", line)
        for who, choice, weight in table or []:
            _sub(content, "p", f"{who}: {choice} (weight {weight})")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode").join(['<?xml version="1.0" encoding="UTF-8"?>\n', "\n"])
