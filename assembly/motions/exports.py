"""Markdown and printable HTML of a motion with its amendments and a diff (pure functions, no I/O).

The HTML is one self-contained page (inline print style sheet, no script, no external resource);
every text in it is escaped, and paragraph texts are the sanitized fragments of the motion (only
``<em>``, ``<strong>``, ``<sup>``, ``<sub>``). The Markdown is CommonMark: paragraph texts are turned
into Markdown (``*em*``, ``**strong**``, ``<sup>``/``<sub>`` kept) with Markdown's special
characters escaped; the diff uses wdiff's marks, ``[-deleted-]`` and ``{+inserted+}``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from assembly.motions.rules import Paragraph, ParagraphDiff

__all__ = ("AmendmentExport", "MotionExport", "render_html", "render_markdown")


@dataclass(frozen=True, slots=True)
class AmendmentExport:
    """One amendment as printed."""

    label: str
    """``A3``; a second-degree one ``A5 (to A3)``."""
    sponsor: str
    status: str
    status_reason: str | None
    rationale: str | None
    operations: list[tuple[str, str | None]]
    """(what the operation does, the text it brings or None)."""


@dataclass(frozen=True, slots=True)
class MotionExport:
    """Everything an export shows."""

    assembly_name: str
    title: str
    status: str
    status_reason: str | None
    sponsor: str
    cosponsors: list[str]
    version: int
    version_kind: str
    text_sha256: str
    created_at: datetime
    rationale: str | None
    paragraphs: list[Paragraph]
    origins: dict[str, str]
    """Paragraph id -> which amendment (or division) made it what it is, from the version's lineage."""
    amendments: list[AmendmentExport]
    diff_from: int | None
    diff: list[ParagraphDiff]


# -- Markdown ---------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#&!])")
_MD_TAGS = {"<em>": "*", "</em>": "*", "<strong>": "**", "</strong>": "**"}
_FRAGMENT_PART = re.compile(r"(</?(?:em|strong|sup|sub)>)")


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_fragment(fragment: str) -> str:
    """A sanitized paragraph fragment as Markdown."""
    out: list[str] = []
    for piece in _FRAGMENT_PART.split(fragment):
        if piece in _MD_TAGS:
            out.append(_MD_TAGS[piece])
        elif _FRAGMENT_PART.fullmatch(piece):
            out.append(piece)  # <sup>, <sub>: inline HTML, which CommonMark passes through
        else:
            out.append(_md_escape(html.unescape(piece)))
    return "".join(out)


def _md_diff(item: ParagraphDiff) -> str:
    marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    return " ".join(marks[s.op].format(_md_escape(s.text)) for s in item.segments if s.text)


def render_markdown(data: MotionExport) -> str:
    """The motion as a Markdown document."""
    lines = [f"# {_md_escape(data.title)}", "",
             f"- Assembly: {_md_escape(data.assembly_name)}",
             f"- Status: {data.status}" + (f" ({_md_escape(data.status_reason)})" if data.status_reason else ""),
             f"- Sponsor: {_md_escape(data.sponsor)}"]
    if data.cosponsors:
        lines.append("- Co-sponsors: " + ", ".join(_md_escape(name) for name in data.cosponsors))
    lines += [f"- Version: {data.version} ({data.version_kind}, {data.created_at:%Y-%m-%d %H:%M} UTC)",
              f"- Text SHA-256: `{data.text_sha256}`", "", "## Text", ""]
    for paragraph in data.paragraphs:
        origin = data.origins.get(paragraph.id)
        note = f" *({_md_escape(origin)})*" if origin else ""
        lines += [f"**{paragraph.id}** ({paragraph.kind}) {_md_fragment(paragraph.text)}{note}", ""]
    if data.rationale:
        lines += ["## Rationale", "", *(_md_escape(line) for line in data.rationale.split("\n")), ""]
    lines += ["## Amendments", ""]
    if not data.amendments:
        lines += ["None.", ""]
    for amendment in data.amendments:
        reason = f": {_md_escape(amendment.status_reason)}" if amendment.status_reason else ""
        lines += [f"### {amendment.label}, by {_md_escape(amendment.sponsor)}: {amendment.status}{reason}", ""]
        for what, text in amendment.operations:
            lines.append(f"- {_md_escape(what)}" + (f": {_md_fragment(text)}" if text else ""))
        lines.append("")
        if amendment.rationale:
            lines += [f"> {_md_escape(line)}" for line in amendment.rationale.split("\n")] + [""]
    if data.diff_from is not None:
        lines += [f"## Changes from version {data.diff_from} to version {data.version}", "",
                  "Deleted words are marked `[-so-]`, inserted words `{+so+}`.", ""]
        for item in data.diff:
            lines += [f"**{item.paragraph_id}** ({item.status}) {_md_diff(item)}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# -- HTML -------------------------------------------------------------------------------------------

_STYLE = """
body { font-family: Georgia, 'Times New Roman', serif; max-width: 46em; margin: 2em auto; line-height: 1.5;
       color: #111; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; border-bottom: 1px solid #999; margin-top: 2em; }
h3 { font-size: 1.05em; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: .2em 1em; }
dl.meta dt { font-weight: bold; } dl.meta dd { margin: 0; }
p.para .pid { font-family: monospace; color: #555; margin-right: .5em; }
.origin { color: #555; font-size: .9em; }
del { background: #fdd; text-decoration: line-through; } ins { background: #dfd; text-decoration: underline; }
code { font-size: .85em; word-break: break-all; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } .amendment { break-inside: avoid; } }
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _html_diff(item: ParagraphDiff) -> str:
    tags = {"equal": "{}", "delete": "<del>{}</del>", "insert": "<ins>{}</ins>"}
    return " ".join(tags[s.op].format(_e(s.text)) for s in item.segments if s.text)


def _paragraph_html(paragraph: Paragraph, origin: str | None) -> str:
    note = f' <span class="origin">({_e(origin)})</span>' if origin else ""
    return (f'<p class="para {_e(paragraph.kind)}" id="{_e(paragraph.id)}"><span class="pid">{_e(paragraph.id)}</span>'
            f"{paragraph.text}{note}</p>")


def _amendments_html(amendments: Sequence[AmendmentExport]) -> list[str]:
    if not amendments:
        return ["<p>None.</p>"]
    out: list[str] = []
    for amendment in amendments:
        reason = f": {_e(amendment.status_reason)}" if amendment.status_reason else ""
        items = "".join(f"<li>{_e(what)}" + (f": {text}" if text else "") + "</li>"
                        for what, text in amendment.operations)
        rationale = (f"<blockquote>{'<br>'.join(_e(line) for line in amendment.rationale.split(chr(10)))}"
                     "</blockquote>") if amendment.rationale else ""
        out.append(f'<section class="amendment"><h3>{_e(amendment.label)}, by {_e(amendment.sponsor)}: '
                   f"{_e(amendment.status)}{reason}</h3><ul>{items}</ul>{rationale}</section>")
    return out


def render_html(data: MotionExport) -> str:
    """The motion as one printable HTML page."""
    meta = [("Assembly", _e(data.assembly_name)),
            ("Status", _e(data.status) + (f" ({_e(data.status_reason)})" if data.status_reason else "")),
            ("Sponsor", _e(data.sponsor))]
    if data.cosponsors:
        meta.append(("Co-sponsors", ", ".join(_e(name) for name in data.cosponsors)))
    meta += [("Version", f"{data.version} ({_e(data.version_kind)}, {data.created_at:%Y-%m-%d %H:%M} UTC)"),
             ("Text SHA-256", f"<code>{_e(data.text_sha256)}</code>")]
    body = [f"<h1>{_e(data.title)}</h1>", '<dl class="meta">',
            *(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in meta), "</dl>", "<h2>Text</h2>",
            *(_paragraph_html(p, data.origins.get(p.id)) for p in data.paragraphs)]
    if data.rationale:
        body += ["<h2>Rationale</h2>", *(f"<p>{_e(line)}</p>" for line in data.rationale.split("\n") if line)]
    body += ["<h2>Amendments</h2>", *_amendments_html(data.amendments)]
    if data.diff_from is not None:
        body += [f"<h2>Changes from version {data.diff_from} to version {data.version}</h2>",
                 *(f'<p class="para diff {_e(item.status)}"><span class="pid">{_e(item.paragraph_id)}</span>'
                   f"{_html_diff(item)}</p>" for item in data.diff)]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_e(data.title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")
