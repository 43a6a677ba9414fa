"""The Markdown and HTML renderings of a motion: structure, escaping, the diff marks."""

from __future__ import annotations

from datetime import UTC, datetime

from assembly.motions.exports import AmendmentExport, MotionExport, render_html, render_markdown
from assembly.motions.rules import DiffSegment, Paragraph, ParagraphDiff


def _data(**changes: object) -> MotionExport:
    values: dict[str, object] = {
        "assembly_name": "World Council & Friends", "title": "Climate <finance>", "status": "adopted",
        "status_reason": None, "sponsor": "City of Barcelona", "cosponsors": ["City of Durban"], "version": 2,
        "version_kind": "consolidation", "text_sha256": "ab" * 32,
        "created_at": datetime(2026, 10, 13, 9, 30, tzinfo=UTC), "rationale": "Line one\nline *two*",
        "paragraphs": [Paragraph("p1", "preambular", "Recalling <em>all</em> &amp; more,"),
                       Paragraph("p2", "operative", "Calls on <strong>cities</strong>;")],
        "origins": {"p2": "replaced by A1, version 2"},
        "amendments": [AmendmentExport(label="A1", sponsor="City of Quito", status="adopted", status_reason=None,
                                       rationale="Because_", operations=[("o1: replace p2", "Calls on <strong>"
                                                                          "cities</strong>;")])],
        "diff_from": 1,
        "diff": [ParagraphDiff("p2", "changed", "operative", [DiffSegment("equal", "Calls on"),
                                                              DiffSegment("delete", "towns"),
                                                              DiffSegment("insert", "cities <now>;")])],
    }
    values.update(changes)
    return MotionExport(**values)  # type: ignore[arg-type]


def test_markdown() -> None:
    text = render_markdown(_data())
    assert text.splitlines()[0] == "# Climate \\<finance\\>"
    assert "- Assembly: World Council \\& Friends" in text
    assert "- Version: 2 (consolidation, 2026-10-13 09:30 UTC)" in text
    assert "**p1** (preambular) Recalling *all* \\& more," in text
    assert "**p2** (operative) Calls on **cities**; *(replaced by A1, version 2)*" in text
    assert "line \\*two\\*" in text
    assert "### A1, by City of Quito: adopted" in text
    assert "- o1: replace p2: Calls on **cities**;" in text
    assert "> Because\\_" in text
    assert "**p2** (changed) Calls on [-towns-] {+cities \\<now\\>;+}" in text
    assert text.endswith("\n")
    assert "Changes from" not in render_markdown(_data(diff_from=None))


def test_html() -> None:
    page = render_html(_data())
    assert "<title>Climate &lt;finance&gt;</title>" in page
    assert "<dt>Assembly</dt><dd>World Council &amp; Friends</dd>" in page
    assert '<p class="para operative" id="p2"><span class="pid">p2</span>Calls on <strong>cities</strong>;' in page
    assert "Calls on <del>towns</del> <ins>cities &lt;now&gt;;</ins>" in page
    assert "<p>line *two*</p>" in page
    assert "@media print" in page
    assert "<script" not in page
