"""Motion text rules: sanitizing, the canonical text and its digest, word-level diffs."""

from __future__ import annotations

import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assembly.motions.rules import (
    DiffSegment,
    canonical_text,
    clean_line,
    clean_multiline,
    plain_text,
    sanitize_inline,
    sha256_hex,
    word_diff,
)


@pytest.mark.parametrize(("raw", "clean"), [
    ("Plain text.", "Plain text."),
    ("  Spaces\tand\nline\r\nbreaks  ", "Spaces and line breaks"),
    ("<em>kept</em> <strong>kept</strong> <sup>2</sup> <sub>x</sub>", "<em>kept</em> <strong>kept</strong> "
                                                                      "<sup>2</sup> <sub>x</sub>"),
    ("<i>alias</i> <B>alias</B> <EM >case</em>", "<em>alias</em> <strong>alias</strong> <em>case</em>"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('<em class="x">attr</em>', '&lt;em class="x"&gt;attr'),
    ("<a href='javascript:x'>link</a>", "&lt;a href='javascript:x'&gt;link&lt;/a&gt;"),
    ("A & B < C > D", "A &amp; B &lt; C &gt; D"),
    ("already &amp; escaped &lt;b&gt;", "already &amp; escaped &lt;b&gt;"),
    ("<em>open", "<em>open</em>"),
    ("stray</strong> close", "stray close"),
    ("<em><strong>nested</em> after", "<em><strong>nested</strong></em> after"),
    ("empty <em></em> and <strong> </strong> elements", "empty and elements"),
    ("NUL\x00 and bell\x07 dropped", "NUL and bell dropped"),
    ("lone \ud800 surrogate", "lone surrogate"),
    ("cafe\u0301", "caf\u00e9"),
    ("10\u00a0%", "10\u00a0%"),
    ("<em> </em>", ""),
    ("   ", ""),
])
def test_sanitize_inline(raw: str, clean: str) -> None:
    assert sanitize_inline(raw) == clean


_PIECES = st.sampled_from([*"ab <>/&;#xemstrongupbi\n\t\"'=", "<em>", "</em>", "<b>", "</i>", "&amp;", "&lt;",
                           "&#0;", "<sup>", "</sub>", "\x00", "\u00a0"])


@given(st.lists(_PIECES, max_size=40).map("".join))
def test_sanitizing_is_idempotent_and_safe(raw: str) -> None:
    once = sanitize_inline(raw)
    assert sanitize_inline(once) == once
    # Only the allowed tags remain, well nested; no other "<" or a line break.
    stack: list[str] = []
    for closing, name in re.findall(r"<(/?)([a-z]+)>", once):
        assert name in {"em", "strong", "sup", "sub"}
        if closing:
            assert stack.pop() == name
        else:
            stack.append(name)
    assert stack == []
    assert "<" not in re.sub(r"</?(em|strong|sup|sub)>", "", once)
    assert "\n" not in once


def test_plain_lines_and_multiline_text() -> None:
    assert clean_line("  A\n title\x00 ") == "A title"
    assert clean_multiline(" First line  \r\nSecond\rThird\x00\n\n") == "First line\nSecond\nThird"
    assert plain_text("A <em>b</em> &amp; c") == "A b & c"


def test_canonical_text_and_digest() -> None:
    texts = ["Recalling,", "Decides <em>so</em>;"]
    assert canonical_text(texts) == "Recalling,\n\nDecides <em>so</em>;"
    assert sha256_hex(canonical_text(texts)) == hashlib.sha256(b"Recalling,\n\nDecides <em>so</em>;").hexdigest()
    assert sha256_hex("caf\u00e9") == hashlib.sha256("caf\u00e9".encode()).hexdigest()


def test_word_diff() -> None:
    assert word_diff("Calls on local governments", "Calls on all local governments") == [
        DiffSegment("equal", "Calls on"), DiffSegment("insert", "all"), DiffSegment("equal", "local governments")]
    assert word_diff("to remain seized of the matter", "to close the matter") == [
        DiffSegment("equal", "to"), DiffSegment("delete", "remain seized of"), DiffSegment("insert", "close"),
        DiffSegment("equal", "the matter")]
    # Formatting is not a change of words.
    assert word_diff("a <em>b</em>", "a b") == [DiffSegment("equal", "a b")]
    assert word_diff("", "new") == [DiffSegment("insert", "new")]
