"""Canonical JSON: RFC 8785 vectors, the log profile's refusals, and both encoders agreeing.

Each case runs against the application's encoder (assembly.audit.log.canonical) and the
verifier's independent one (assembly.audit.verify.jcs).
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assembly.audit.log import canonical
from assembly.audit.log.canonical import CanonicalError, canonicalize, decode_entry, encode_entry, parse_strict
from assembly.audit.verify import jcs
from tests.unit.audit.conftest import VECTORS

ORIGIN = "wa.example.org/audit/test"
JCS_VECTORS = json.loads((VECTORS / "jcs.json").read_text(encoding="utf-8"))["vectors"]


def verifier_encode(value: Any) -> bytes:
    """The verifier's RFC 8785 encoder, without the log profile's name rule (for RFC vectors)."""
    return json_canonical(value).encode("utf-8")


def json_canonical(value: Any) -> str:
    if isinstance(value, dict):
        names = sorted(value, key=lambda n: n.encode("utf-16-be"))
        return "{" + ",".join(json.dumps(n, ensure_ascii=False) + ":" + json_canonical(value[n]) for n in names) + "}"
    if isinstance(value, list):
        return "[" + ",".join(json_canonical(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


@pytest.mark.parametrize("vector", [v for v in JCS_VECTORS if "profile_refuses" not in v], ids=lambda v: v["name"])
def test_rfc8785_vectors_canonicalize_to_the_published_output(vector: dict[str, str]) -> None:
    value = json.loads(vector["input"])
    expected = vector["output"].encode("utf-8")

    assert canonicalize(value) == expected
    assert verifier_encode(value) == expected
    # The canonical output parses strictly and is its own canonical form.
    assert canonicalize(parse_strict(expected)) == expected
    assert jcs.parse_json(expected) == value


def test_the_sorting_vector_orders_names_by_utf16_code_units_not_code_points() -> None:
    vector = next(v for v in JCS_VECTORS if v["name"] == "rfc8785-3.2.3-sorting")
    names = list(json.loads(canonicalize(json.loads(vector["input"]))))

    # U+1F600 is the surrogate pair D83D DE00 in UTF-16: it sorts before U+FB33, though its code point is larger.
    assert names == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_a_vector_with_a_float_is_refused_by_the_integer_only_profile() -> None:
    vector = next(v for v in JCS_VECTORS if "profile_refuses" in v)

    with pytest.raises(CanonicalError, match="fraction or an exponent"):
        parse_strict(vector["input"].encode("utf-8"))
    with pytest.raises(jcs.EntryError, match="not an integer"):
        jcs.parse_json(vector["input"].encode("utf-8"))
    assert canonicalize(json.loads(vector["input"].replace("56.0", "56"))) == vector["output"].encode("utf-8")


def test_integers_up_to_2_53_minus_1_are_written_in_plain_decimal_and_beyond_are_refused() -> None:
    limit = 2**53 - 1

    assert canonicalize([0, -0, limit, -limit, 10**15]) == b"[0,0,9007199254740991,-9007199254740991,1000000000000000]"
    for value in (limit + 1, -limit - 1, 10**30):
        with pytest.raises(CanonicalError, match="outside"):
            canonicalize(value)
    with pytest.raises(CanonicalError, match="floats"):
        canonicalize({"weight": 1.0})


def test_strings_escape_exactly_the_controls_quote_and_backslash() -> None:
    text = "".join(chr(c) for c in range(0x20)) + '"\\/\u007f\u2028\U0001f600'
    expected = (
        '"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f'
        "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d"
        '\\u001e\\u001f\\"\\\\/\u007f\u2028\U0001f600"'
    ).encode("utf-8")

    assert canonicalize(text) == expected
    assert verifier_encode(text) == expected


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(CanonicalError, match="lone surrogate"):
        canonicalize("\ud800")
    with pytest.raises(CanonicalError, match="lone surrogate"):
        canonicalize({"\udc00": 1})


def entry(**fields: Any) -> bytes:
    return encode_entry(ORIGIN, "event.test", fields)


def test_an_entry_is_the_envelope_and_its_fields_in_canonical_form() -> None:
    data = entry(b=[1, True, None], a="x")

    assert data == b'{"a":"x","b":[1,true,null],"log":"wa.example.org/audit/test","type":"event.test","v":1}'
    assert decode_entry(data, ORIGIN)["a"] == "x"
    assert jcs.check_entry(data, ORIGIN)["b"] == [1, True, None]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"Name": 1}, "does not match"),
        ({"name-with-dash": 1}, "does not match"),
        ({"x" * 65: 1}, "does not match"),
        ({"text": "e\u0301"}, "NFC"),
        ({"weight": 0.5}, "floats"),
        ({"big": 2**53}, "outside"),
        ({"v": 2}, "envelope"),
        ({"log": "other"}, "envelope"),
        ({"deep": json.loads("[" * 16 + "]" * 16)}, "nested"),
        ({"blob": "x" * 65_536}, "more than 65535"),
    ],
)
def test_the_profile_refuses_what_the_log_does_not_allow(fields: dict[str, Any], reason: str) -> None:
    with pytest.raises(CanonicalError, match=reason):
        entry(**fields)


def test_sixteen_nested_containers_are_allowed_seventeen_are_not() -> None:
    fifteen: Any = 1
    for _ in range(15):  # with the entry object itself: 16 containers
        fifteen = [fifteen]
    data = entry(deep=fifteen)

    assert jcs.check_entry(data, ORIGIN)["deep"] == fifteen
    deeper = data.replace(b"[[", b"[[[", 1).replace(b"]]", b"]]]", 1)
    with pytest.raises(CanonicalError, match="nested"):
        decode_entry(deeper)
    with pytest.raises(jcs.EntryError, match="nested"):
        jcs.check_entry(deeper, ORIGIN)


def test_an_entry_of_65535_bytes_is_accepted_and_one_more_byte_is_not() -> None:
    base = entry(blob="")
    exact = entry(blob="x" * (canonical.MAX_ENTRY_BYTES - len(base)))

    assert len(exact) == 65_535
    assert jcs.check_entry(exact, ORIGIN)["type"] == "event.test"
    too_big = exact.replace(b'"x', b'"xx', 1)
    with pytest.raises(CanonicalError, match="more than 65535"):
        decode_entry(too_big)
    with pytest.raises(jcs.EntryError) as raised:
        jcs.check_entry(too_big, ORIGIN)
    assert raised.value.code == "E102"


GOOD = b'{"a":1,"log":"wa.example.org/audit/test","type":"event.test","v":1}'


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (GOOD.replace(b'"a":1', b'"a": 1'), "E101"),  # whitespace
        (b'{"log":"wa.example.org/audit/test","a":1,"type":"event.test","v":1}', "E101"),  # member order
        (GOOD.replace(b'"a":1', b'"a":1.0'), "E101"),  # a fraction
        (GOOD.replace(b'"a":1', b'"a":1e0'), "E101"),  # an exponent
        (GOOD.replace(b'"a":1', b'"a":-0'), "E101"),  # minus zero
        (GOOD.replace(b'"a":1', b'"a":9007199254740992'), "E101"),  # 2^53
        (GOOD.replace(b'"a":1', b'"a":1,"a":1'), "E101"),  # duplicate name
        (GOOD.replace(b'"a":1', b'"A":1'), "E101"),  # name outside [a-z0-9_]
        (GOOD.replace(b'"a":1', b'"a":"\\u0041"'), "E101"),  # an escape JCS does not use
        (GOOD.replace(b'"a":1', b'"a":"\\ud800"'), "E101"),  # lone surrogate
        (GOOD.replace(b'"a":1', '"a":"e\u0301"'.encode()), "E101"),  # not NFC
        (GOOD.replace(b'"a":1', b'"a":NaN'), "E101"),
        (GOOD.replace(b'"a":1', b'"a":"\xff"'), "E101"),  # not UTF-8
        (b"\xef\xbb\xbf" + GOOD, "E101"),  # byte order mark
        (GOOD + b"\n", "E101"),  # trailing newline
        (b"", "E101"),
        (b"[1]", "E103"),  # not an object
        (GOOD.replace(b'"v":1', b'"v":2'), "E103"),
        (GOOD.replace(b'"v":1', b'"v":true'), "E103"),
        (GOOD.replace(b"audit/test", b"audit/other"), "E103"),
        (GOOD.replace(b"event.test", b"Event"), "E103"),
        (GOOD.replace(b',"type":"event.test"', b""), "E103"),
    ],
)
def test_both_readers_refuse_bytes_that_are_not_a_canonical_entry(data: bytes, code: str) -> None:
    with pytest.raises(CanonicalError):
        decode_entry(data, ORIGIN)
    with pytest.raises(jcs.EntryError) as raised:
        jcs.check_entry(data, ORIGIN)
    assert raised.value.code == code


def test_the_good_entry_of_the_refusal_table_is_accepted_by_both() -> None:
    assert decode_entry(GOOD, ORIGIN)["a"] == 1
    assert jcs.check_entry(GOOD, ORIGIN)["a"] == 1


names = st.from_regex(r"[a-z0-9_]{1,8}", fullmatch=True)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(max_size=20).map(lambda s: unicodedata.normalize("NFC", s))
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(names, children, max_size=4),
    max_leaves=20,
)


@given(fields=st.dictionaries(names.filter(lambda n: n not in {"v", "log", "type"}), values, max_size=5))
def test_any_profile_value_encodes_identically_in_both_implementations_and_round_trips(fields: dict[str, Any]) -> None:
    data = encode_entry(ORIGIN, "event.test", fields)

    assert verifier_encode(json.loads(data)) == data
    assert jcs.check_entry(data, ORIGIN) == json.loads(data)
    assert decode_entry(data, ORIGIN) == {"v": 1, "log": ORIGIN, "type": "event.test", **fields}
