"""Versions of a motion: paragraphs from the sponsor's input, and comparing two versions (pure, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from assembly.assemblies.rules import Refusal
from assembly.motions.rules.amendments import Paragraph
from assembly.motions.rules.text import DiffSegment, plain_text, sanitize_inline, word_diff

__all__ = ("ParagraphDiff", "ParagraphInput", "compare_paragraphs", "paragraphs_from_input")


@dataclass(frozen=True, slots=True)
class ParagraphInput:
    """A paragraph as the sponsor sent it: the id of a paragraph it keeps (None for a new one), kind, text."""

    id: str | None
    kind: str
    text: str


def paragraphs_from_input(inputs: Sequence[ParagraphInput], current: Sequence[Paragraph],
                          next_number: int) -> tuple[list[Paragraph], int] | Refusal:
    """The paragraphs of a new version, and the next free paragraph number; or a refusal naming the field.

    A paragraph keeps its stable id when the sponsor sends it back with it (it must be a paragraph of
    the current version, ``unknown_paragraph``, and appear once, ``duplicate_paragraph``); a paragraph
    without an id is new and gets ``p<n>`` with the next number, never reused. Each text is sanitized
    (:func:`~assembly.motions.rules.text.sanitize_inline`) and must not end up empty (``empty_text``).
    """
    known = {p.id for p in current}
    seen: set[str] = set()
    out: list[Paragraph] = []
    number = next_number
    for index, item in enumerate(inputs):
        text = sanitize_inline(item.text)
        if not text:
            return Refusal("empty_text", "the paragraph has no text", kind="invalid", field=f"paragraphs[{index}].text")
        if item.id is None:
            pid = f"p{number}"
            number += 1
        else:
            if item.id not in known:
                return Refusal("unknown_paragraph", f"the current version has no paragraph {item.id!r}; "
                               "leave the id out for a new paragraph", kind="invalid", field=f"paragraphs[{index}].id")
            if item.id in seen:
                return Refusal("duplicate_paragraph", f"paragraph {item.id} is listed twice", kind="invalid",
                               field=f"paragraphs[{index}].id")
            pid = item.id
        seen.add(pid)
        out.append(Paragraph(pid, item.kind, text))
    return out, number


@dataclass(frozen=True, slots=True)
class ParagraphDiff:
    """One paragraph in a comparison: unchanged, changed (word diff), inserted or deleted."""

    paragraph_id: str
    status: Literal["unchanged", "changed", "inserted", "deleted"]
    kind: str
    segments: list[DiffSegment]


def compare_paragraphs(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> list[ParagraphDiff]:
    """Compare two versions paragraph by paragraph (matched by stable id), each changed one word by word.

    The result follows the newer text; a deleted paragraph is shown where it stood, after the
    nearest earlier paragraph that both versions have.
    """
    new_ids = {p.id for p in new}
    old_ids = {p.id for p in old}
    by_old = {p.id: p for p in old}
    deleted_after: dict[str | None, list[Paragraph]] = {}
    anchor: str | None = None
    for paragraph in old:
        if paragraph.id in new_ids:
            anchor = paragraph.id
        else:
            deleted_after.setdefault(anchor, []).append(paragraph)

    def deletions(key: str | None) -> list[ParagraphDiff]:
        return [ParagraphDiff(p.id, "deleted", p.kind, [DiffSegment("delete", plain_text(p.text))])
                for p in deleted_after.get(key, [])]

    out = deletions(None)
    for paragraph in new:
        if paragraph.id not in old_ids:
            out.append(ParagraphDiff(paragraph.id, "inserted", paragraph.kind,
                                     [DiffSegment("insert", plain_text(paragraph.text))]))
        else:
            before = by_old[paragraph.id]
            if before.text == paragraph.text and before.kind == paragraph.kind:
                out.append(ParagraphDiff(paragraph.id, "unchanged", paragraph.kind,
                                         [DiffSegment("equal", plain_text(paragraph.text))]))
            else:
                out.append(ParagraphDiff(paragraph.id, "changed", paragraph.kind,
                                         word_diff(before.text, paragraph.text)))
        out.extend(deletions(paragraph.id))
    return out
