"""The verifier's fast paths agree with its straightforward ones (pure: no database).

Step 4 first tries the C parser and encoder of the standard library (jcs._fast_canonical) and
falls back to the straightforward reader (parse_json and _encode) whenever it cannot vouch for an
entry; the fast path must never accept what the straightforward reader refuses, and must give the
same value. The entries.jsonl line reader is checked against the regular-expression reader it
replaced.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from assembly.audit.verify import bundle, jcs

ORIGIN = "wa.example.org/audit/test"
GOOD = b'{"a":1,"log":"wa.example.org/audit/test","type":"event.test","v":1}'


def straightforward(data: bytes) -> Any:
    """The reading rule as the verifier states it plainly; None if it refuses the bytes."""
    try:
        value = jcs.parse_json(data)
        if jcs._encode(value, 0, "").encode("utf-8") != data:
            return None
    except jcs.EntryError:
        return None
    return value


def agree(data: bytes) -> None:
    fast = jcs._fast_canonical(data)
    if fast is not None:
        slow = straightforward(data)
        assert slow is not None, data
        assert fast == slow
        assert json.dumps(fast, sort_keys=True) == json.dumps(slow, sort_keys=True)


def nested(containers: int) -> bytes:
    """A chain of ``containers`` nested containers, with shallow ones beside it (over 16 brackets)."""
    inner: Any = 1
    for _ in range(containers - 1):  # the entry object is the first container
        inner = [inner]
    value = {"deep": inner, "log": ORIGIN, "type": "event.test", "v": 1, "wide": [{"b": []}] * 8}
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


@pytest.mark.parametrize(
    "data",
    [
        GOOD.replace(b'"a":1', b'"a": 1'),
        GOOD.replace(b'"a":1', b'"a":1.0'),
        GOOD.replace(b'"a":1', b'"a":1e0'),
        GOOD.replace(b'"a":1', b'"a":-0'),
        GOOD.replace(b'"a":1', b'"a":9007199254740992'),
        GOOD.replace(b'"a":1', b'"a":1000000000000000'),  # 16 digits: left to the straightforward path
        GOOD.replace(b'"a":1', b'"a":1,"a":1'),
        GOOD.replace(b'"a":1', b'"a":1,"a":2'),
        GOOD.replace(b'"a":1', b'"A":1'),
        GOOD.replace(b'"a":1', b'"":1'),
        GOOD.replace(b'"a":1', b'"a":{"a-b":1}'),
        GOOD.replace(b'"a":1', b'"a":"\\u0041"'),
        GOOD.replace(b'"a":1', b'"a":"\\ud800"'),
        GOOD.replace(b'"a":1', b'"a":"\\u00e9"'),
        GOOD.replace(b'"a":1', '"a":"e\u0301"'.encode()),
        GOOD.replace(b'"a":1', b'"a":NaN'),
        GOOD.replace(b'"a":1', b'"a":-Infinity'),
        GOOD.replace(b'"a":1', b'"a":"\xff"'),
        GOOD.replace(b'"a":1', b'"a":"\\/"'),
        b"\xef\xbb\xbf" + GOOD,
        b" " + GOOD,
        GOOD + b"\n",
        GOOD + b"{}",
        b"",
        b"[1]",
        b'"x"',
        nested(17),
    ],
)
def test_the_fast_path_never_accepts_what_the_straightforward_reader_refuses(data: bytes) -> None:
    assert jcs._fast_canonical(data) is None


def test_sixteen_containers_pass_the_fast_path_seventeen_do_not() -> None:
    sixteen = nested(16)
    assert sixteen.count(b"[") + sixteen.count(b"{") > jcs.MAX_DEPTH  # the level-by-level count runs
    assert jcs._fast_canonical(sixteen) == straightforward(sixteen) is not None
    seventeen = nested(17)
    assert straightforward(seventeen) is None
    assert jcs._fast_canonical(seventeen) is None
    with pytest.raises(jcs.EntryError, match="nested"):
        jcs.check_entry(seventeen, ORIGIN)


def test_escapes_the_canonical_form_uses_pass_the_fast_path() -> None:
    data = GOOD.replace(b'"a":1', b'"a":"q\\"b\\\\n\\n\\t\\u001f\\u0000"')
    assert jcs._fast_canonical(data) == straightforward(data) is not None


names = st.from_regex(r"[a-z0-9_]{1,6}|[A-Z\-]{1,2}", fullmatch=True)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**54), max_value=2**54)
    | st.text(alphabet=st.sampled_from('ab"\\\n\x1f\u00e9e\u0301\u2028/'), max_size=6)
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(names, children, max_size=3),
    max_leaves=12,
)
spellings = st.sampled_from([b" ", b"\n", b"1", b"0", b"-", b".", b"e", b'"', b"\\", b",", b":", b"{", b"}",
                             b"[", b"]", b"\\u0041", b"\\ud800", b"9007199254740992", b"A", b"\xc3\xa9"])


@settings(max_examples=300)
@given(fields=st.dictionaries(names, values, max_size=4), cut=st.integers(min_value=0), length=st.integers(0, 3),
       insert=spellings)
@example(fields={"a": 1}, cut=0, length=0, insert=b"")
def test_the_fast_path_agrees_with_the_straightforward_reader_on_altered_entries(
    fields: dict[str, Any], cut: int, length: int, insert: bytes
) -> None:
    value = {**fields, "log": ORIGIN, "type": "event.test", "v": 1}
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8", "surrogatepass")
    agree(data)
    at = cut % (len(data) + 1)
    agree(data[:at] + insert + data[at + length:])


def old_line_bytes(line: bytes) -> bytes | None:
    """The regular-expression reader of entries.jsonl lines that _line_bytes replaced."""
    match = re.fullmatch(rb'"([A-Za-z0-9+/]*={0,2})"', line)
    if match is None or len(match.group(1)) % 4:
        return None
    try:
        raw = base64.b64decode(match.group(1), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw) == match.group(1) else None


@settings(max_examples=400)
@given(raw=st.binary(max_size=12), cut=st.integers(min_value=0), length=st.integers(0, 2),
       insert=st.sampled_from([b"", b"=", b"==", b'"', b" ", b"\r", b"\n", b"A", b"B", b"-", b"_", b"*", b"\xff"]))
def test_the_line_reader_agrees_with_the_regular_expression_reader(
    raw: bytes, cut: int, length: int, insert: bytes
) -> None:
    line = b'"' + base64.b64encode(raw) + b'"'
    assert bundle._line_bytes(line) == old_line_bytes(line) == raw
    at = cut % (len(line) + 1)
    altered = line[:at] + insert + line[at + length:]
    assert bundle._line_bytes(altered) == old_line_bytes(altered)


def old_entry_lines(content: bytes) -> list[bytes] | str:
    """The line-by-line reader of entries.jsonl: the entries, or the E100 message."""
    if not content:
        return []
    if not content.endswith(b"\n"):
        return "entries.jsonl does not end with a newline"
    entries = []
    for number, line in enumerate(content[:-1].split(b"\n"), start=1):
        raw = old_line_bytes(line)
        if raw is None:
            return f"line {number} (entry {number - 1}) is not a JSON string of base64"
        entries.append(raw)
    return entries


@settings(max_examples=400)
@given(raws=st.lists(st.binary(max_size=7), max_size=4), cut=st.integers(min_value=0), length=st.integers(0, 2),
       insert=st.sampled_from([b"", b"=", b'"', b'""', b'"\n"', b"\n", b"\n\n", b"A", b"B", b"\r"]))
@example(raws=[], cut=0, length=0, insert=b'"\n')
@example(raws=[], cut=0, length=0, insert=b'""\n')
@example(raws=[b""], cut=1, length=1, insert=b"")
def test_the_file_reader_agrees_with_the_line_by_line_reader(
    raws: list[bytes], cut: int, length: int, insert: bytes
) -> None:
    content = b"".join(b'"' + base64.b64encode(raw) + b'"\n' for raw in raws)
    at = cut % (len(content) + 1)
    for data in (content, content[:at] + insert + content[at + length:]):
        expected = old_entry_lines(data)
        if isinstance(expected, str):
            with pytest.raises(bundle.BundleProblem) as raised:
                bundle.parse_entry_lines(data)
            assert (raised.value.code, raised.value.message) == ("E100", expected)
        else:
            assert bundle.parse_entry_lines(data) == expected


def one_by_one(entries: list[bytes]) -> list[Any]:
    results: list[Any] = []
    for data in entries:
        try:
            results.append(jcs.check_entry(data, ORIGIN))
        except jcs.EntryError as error:
            results.append((error.code, error.message))
    return results


def together(entries: list[bytes]) -> list[Any]:
    return [(r.code, r.message) if isinstance(r, jcs.EntryError) else r for r in jcs.check_entries(entries, ORIGIN)]


ALTERED = [
    GOOD,
    GOOD.replace(b'"a":1', b'"a":1,"a":2'),
    GOOD.replace(b'"a":1', b'"A":1'),
    GOOD.replace(b'"a":1', b'"a":1.5'),
    GOOD.replace(b'"a":1', b'"a":"\\u00e9"'),
    GOOD.replace(b'"a":1', '"a":"\u00e9"'.encode()),
    GOOD.replace(b'"a":1', b'"a":12345678901234567'),
    GOOD.replace(b"event.test", b"Event"),
    GOOD.replace(b'"v":1', b'"v":2'),
    GOOD + b"]",
    b"1,2",
    b"[1]",
    b"",
    nested(16),
    nested(17),
    GOOD.replace(b'"a":1', b'"a":"' + b"x" * 65_535 + b'"'),
]


@settings(max_examples=200)
@given(picks=st.lists(st.sampled_from(ALTERED), max_size=12), chunk=st.sampled_from([1, 2, 3, 4096]))
def test_checking_entries_together_gives_what_checking_them_one_by_one_gives(picks: list[bytes], chunk: int) -> None:
    original = jcs.CHUNK
    jcs.CHUNK = chunk
    try:
        assert together(picks) == one_by_one(picks)
    finally:
        jcs.CHUNK = original
