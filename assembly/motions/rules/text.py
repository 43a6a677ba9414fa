"""Motion text: sanitizing input, the canonical text a ballot pins, word-level diffs (pure, no I/O).

A paragraph's text is a small HTML fragment: plain text with ``&``, ``<`` and ``>`` escaped, and the
inline elements ``<em>``, ``<strong>``, ``<sup>`` and ``<sub>`` without attributes. Input is read as
such a fragment and rewritten into it (:func:`sanitize_inline`), so that what a client reads back
can be sent back unchanged: sanitizing is idempotent.
"""

from __future__ import annotations

import difflib
import hashlib
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

__all__ = (
    "ALLOWED_TAGS",
    "MAX_PARAGRAPHS",
    "MAX_PARAGRAPH_CHARS",
    "MAX_RATIONALE_CHARS",
    "MAX_TITLE_CHARS",
    "DiffSegment",
    "canonical_text",
    "clean_line",
    "clean_multiline",
    "plain_text",
    "sanitize_inline",
    "sha256_hex",
    "word_diff",
)

MAX_PARAGRAPHS = 200
"""Most paragraphs a version may have."""

MAX_PARAGRAPH_CHARS = 4000
"""Longest paragraph text accepted, in characters of input."""

MAX_TITLE_CHARS = 300
"""Longest title."""

MAX_RATIONALE_CHARS = 10000
"""Longest rationale."""

ALLOWED_TAGS = ("em", "strong", "sup", "sub")
"""The inline elements a paragraph may use; ``<i>`` and ``<b>`` are read as ``<em>`` and ``<strong>``."""

_ALIASES = {"i": "em", "b": "strong"}
_TAG = re.compile(r"<\s*(/?)\s*(em|strong|sup|sub|i|b)\s*/?\s*>", re.IGNORECASE)
# Line breaks and other layout whitespace collapse to one space; a no-break space is kept (typography).
_LAYOUT_SPACE = re.compile(r"[ \t\n\r\f\v\u0085\u2028\u2029\u001c-\u001f]+")
_EMPTY_ELEMENT = re.compile(r"<(em|strong|sup|sub)>(\s*)</\1>")


def _drop_invisible(text: str) -> str:
    """Drop control characters (NUL, which PostgreSQL refuses, among them) and lone surrogates."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in {"Cc", "Cs"})


def clean_line(raw: str) -> str:
    """A one-line plain text (title, reason): NFC, whitespace collapsed, control characters dropped."""
    text = _LAYOUT_SPACE.sub(" ", unicodedata.normalize("NFC", raw))
    return _drop_invisible(text).strip()


def clean_multiline(raw: str) -> str:
    """A plain text that keeps its line breaks (rationale): NFC, CRLF to LF, other controls dropped."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cs"})
    return "\n".join(line.rstrip() for line in kept.split("\n")).strip()


def sanitize_inline(raw: str) -> str:
    """Rewrite a paragraph into the allowed fragment; an empty result means there was no text.

    - Unicode NFC; control characters and lone surrogates are dropped; runs of layout whitespace
      (line breaks included) become one space; leading and trailing spaces go.
    - ``<em>``, ``<strong>``, ``<sup>``, ``<sub>`` (and ``<i>``, ``<b>`` as the first two) are kept,
      without attributes; an unmatched closing tag is dropped; an element left open is closed at the
      end of the paragraph; an element with nothing (or only spaces) inside is dropped.
    - Everything else is text: character references are decoded and ``&``, ``<``, ``>`` escaped again,
      so ``<script>`` is shown as the characters ``<script>`` and never runs.
    - A paragraph with no visible character left is empty: "" is returned.
    """
    text = _drop_invisible(_LAYOUT_SPACE.sub(" ", unicodedata.normalize("NFC", raw))).strip()
    out: list[str] = []
    stack: list[str] = []
    position = 0
    for match in _TAG.finditer(text):
        out.append(_escape_text(text[position:match.start()]))
        position = match.end()
        closing = match.group(1) == "/"
        name = _ALIASES.get(match.group(2).lower(), match.group(2).lower())
        if not closing:
            stack.append(name)
            out.append(f"<{name}>")
        elif name in stack:
            # Close the elements opened inside it too, so the fragment stays well nested.
            while stack:
                inner = stack.pop()
                out.append(f"</{inner}>")
                if inner == name:
                    break
    out.append(_escape_text(text[position:]))
    out.extend(f"</{name}>" for name in reversed(stack))
    result = "".join(out)
    previous = None
    while previous != result:
        previous, result = result, _EMPTY_ELEMENT.sub(r"\2", result)
    result = _LAYOUT_SPACE.sub(" ", result).strip()
    return result if plain_text(result).strip() else ""


def _escape_text(segment: str) -> str:
    # Decode references first so that a fragment read back from the API comes out the same.
    decoded = _drop_invisible(html.unescape(segment))
    return html.escape(decoded, quote=False)


def plain_text(fragment: str) -> str:
    """The fragment without its markup, references decoded: what a reader sees, for diffs and search."""
    return html.unescape(_TAG.sub("", fragment))


def canonical_text(texts: Sequence[str]) -> str:
    """The canonical text of a list of paragraph fragments: joined by one empty line (two LF).

    Paragraph texts never contain a line break (:func:`sanitize_inline`), so the join is unambiguous.
    """
    return "\n\n".join(texts)


def sha256_hex(text: str) -> str:
    """SHA-256 of the UTF-8 bytes of ``text``, as 64 lower-case hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class DiffSegment:
    """A run of words that is in both texts (``equal``), only in the new one, or only in the old one."""

    op: Literal["equal", "insert", "delete"]
    text: str


def _words(fragment: str) -> list[str]:
    return plain_text(fragment).split()


def word_diff(old: str, new: str) -> list[DiffSegment]:
    """Word-level diff of two paragraph fragments (markup ignored), as difflib's longest matching runs.

    A replaced run is given as its deletion followed by its insertion. Two texts that differ only in
    formatting give one ``equal`` segment.
    """
    before, after = _words(old), _words(new)
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    segments: list[DiffSegment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append(DiffSegment("equal", " ".join(before[i1:i2])))
            continue
        if i2 > i1:
            segments.append(DiffSegment("delete", " ".join(before[i1:i2])))
        if j2 > j1:
            segments.append(DiffSegment("insert", " ".join(after[j1:j2])))
    return segments
