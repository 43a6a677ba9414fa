"""Entry bytes: strict JSON reading, RFC 8785 re-encoding and the log profile (spec "Entries").

Written from docs/audit-log-spec.md and RFC 8785, independently of the application's encoder.
An entry is accepted only if its bytes are exactly the canonical encoding of the value they parse
to, so any extra space, reordered member, escaped character or alternative number spelling fails.
"""

from __future__ import annotations

import json
import json.encoder
import json.scanner
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, cast

__all__ = ("MAX_ENTRY_BYTES", "EntryError", "check_entries", "check_entry", "parse_json", "screen")

MAX_ENTRY_BYTES = 65_535
MAX_DEPTH = 16
LIMIT = 9_007_199_254_740_991  # 2**53 - 1
NAME = re.compile(r"[a-z0-9_]{1,64}\Z")
TYPE_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\Z")


class EntryError(Exception):
    """An entry that breaks the rules; ``code`` is the verifier error code (E101, E102, E103)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for name, value in pairs:
        if name in seen:
            raise EntryError("E101", f"member name {name!r} appears twice")
        seen[name] = value
    return seen


def _no_fraction(text: str) -> Any:
    raise EntryError("E101", f"number {text} is not an integer")


def _no_constant(text: str) -> Any:
    raise EntryError("E101", f"{text} is not JSON")


def _integer(text: str) -> int:
    digits = text[1:] if text.startswith("-") else text
    if len(digits) > 16 or int(text) > LIMIT or int(text) < -LIMIT:
        raise EntryError("E101", f"integer {text[:24]} is outside -(2^53-1)..2^53-1")
    return int(text)


def parse_json(data: bytes) -> Any:
    """Parse UTF-8 JSON with no duplicate names, no fractions or exponents, integers in range."""
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise EntryError("E101", "not valid UTF-8") from None
    try:
        return json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_no_fraction,
            parse_int=_integer,
            parse_constant=_no_constant,
        )
    except EntryError:
        raise
    except RecursionError:
        raise EntryError("E101", f"containers nested deeper than {MAX_DEPTH}") from None
    except ValueError as exc:
        raise EntryError("E101", f"not JSON ({exc})") from None


def _encode(value: Any, depth: int, where: str) -> str:
    """RFC 8785 serialization of one value, checking the profile on the way down."""
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise EntryError("E101", f"containers nested deeper than {MAX_DEPTH} at {where or '/'}")
        for name in value:
            if not NAME.match(name):
                raise EntryError("E101", f"member name {name!r} at {where or '/'} is not [a-z0-9_]{{1,64}}")
        # Names are ASCII here, where UTF-16 code unit order and code point order agree; the
        # general rule is still applied so that the code says what RFC 8785 section 3.2.3 says.
        names = sorted(value, key=lambda n: n.encode("utf-16-be"))
        members = (_string(n, where) + ":" + _encode(value[n], depth + 1, f"{where}/{n}") for n in names)
        return "{" + ",".join(members) + "}"
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            raise EntryError("E101", f"containers nested deeper than {MAX_DEPTH} at {where or '/'}")
        return "[" + ",".join(_encode(item, depth + 1, f"{where}/{i}") for i, item in enumerate(value)) + "]"
    if isinstance(value, str):
        if not unicodedata.is_normalized("NFC", value):
            raise EntryError("E101", f"string at {where} is not in Unicode NFC")
        return _string(value, where)
    if value is True or value is False or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    raise EntryError("E101", f"{type(value).__name__} at {where} is not allowed")


def _string(text: str, where: str) -> str:
    # json.dumps without ASCII escaping writes exactly the RFC 8785 escapes: \" \\ \b \f \n \r \t,
    # \u00xx in lowercase hex for the other characters below U+0020, everything else as itself.
    # Lone surrogates survive json.loads but cannot be encoded as UTF-8: they are refused.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise EntryError("E101", f"string at {where or '/'} holds a lone surrogate") from None
    return json.dumps(text, ensure_ascii=False)


class _Decline(Exception):
    """The fast path cannot vouch for an entry: the straightforward path decides (and explains)."""


def _fast_object(value: dict[str, Any]) -> dict[str, Any]:
    # Duplicate names need no test here: the decoder keeps one member per name, so an object
    # that repeated a name re-encodes shorter than the bytes and the final comparison fails.
    if not _GOOD_NAMES.issuperset(value):
        for name in value:
            if not NAME.match(name):
                raise _Decline
        _GOOD_NAMES.update(value)
    return value


def _decline(text: str) -> Any:
    raise _Decline


_GOOD_NAMES: set[str] = set()
"""Member names already seen to match NAME (names repeat across entries: a set look-up is cheap)."""
_GOOD_TYPES: set[str] = set()
"""Entry types already seen to pass the envelope's type rule in check_entry."""
_DIGITS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x78 for byte in range(256))
"""A translation table: every digit to "0", every other byte to "x"."""
_SIXTEEN_DIGITS = b"0" * 16
_FAST_SCAN: Callable[[str, int], tuple[Any, int]] = cast(Any, json.scanner.make_scanner)(
    # The scanner of json.loads without its white-space skipping wrapper: (value, end) or StopIteration.
    json.JSONDecoder(object_hook=_fast_object, parse_float=_decline, parse_constant=_decline)
)


def _make_fast_encode() -> Callable[[Any], str]:
    """RFC 8785 for the profile's values with ASCII names, by the standard library's C encoder.

    Same separators, escapes (json's, as :func:`_string`) and integer spelling as :func:`_encode`,
    names sorted by code point; built once rather than per call as ``json.dumps`` does.
    """
    encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, check_circular=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # a Python without the C accelerator: the documented interface
        return encoder.encode
    chunks = make(None, None, json.encoder.encode_basestring, None, ":", ",", True, False, True)
    return lambda value: "".join(chunks(value, 0))


_FAST_ENCODE = _make_fast_encode()


def _depth_within_limit(value: Any) -> bool:
    """True if no container lies at depth MAX_DEPTH or deeper (the entry object at depth 0)."""
    level = [value]
    for _ in range(MAX_DEPTH):
        below: list[Any] = []
        for item in level:
            for child in item.values() if type(item) is dict else item:
                if type(child) is dict or type(child) is list:
                    below.append(child)
        if not below:
            return True
        level = below
    return False


def _fast_canonical(data: bytes, screened: bool = False) -> dict[str, Any] | None:
    """The value of ``data`` if the bytes pass the reading rule, None if the slow path must decide.

    Accepts only what :func:`parse_json` and :func:`_encode` accept, with the same value:

    - ASCII only (``screened``: the caller has checked :func:`screen` on these bytes, alone or
      joined with others): then the bytes are valid UTF-8; and since a canonical text writes every
      character from U+0020 up as itself, equality with the re-encoding below proves that every
      string is ASCII, hence in NFC and free of lone surrogates;
    - no run of 16 digits anywhere (in a string or not): every integer has at most 15 digits,
      so it lies inside +-(2^53 - 1);
    - no fraction, exponent or NaN/Infinity (the decoder declines them), and only names matching
      NAME (the object hook declines otherwise); with ASCII names, sorting by code point is
      sorting by UTF-16 code unit, so the C encoder's sort_keys is RFC 8785's order;
    - no duplicate member: the decoded object keeps one member per name, so the re-encoding of an
      object that repeats a name is shorter than its bytes;
    - nesting within MAX_DEPTH: at most 16 brackets in all, or counted level by level;
    - the C encoder's re-encoding, with json.dumps' string escapes (as :func:`_string`), no
      white space and sorted names, equals the bytes exactly.
    """
    if not screened and not screen(data):
        return None
    text = data.decode("ascii")
    try:
        value, end = _FAST_SCAN(text, 0)
    except (_Decline, StopIteration, ValueError, RecursionError):
        return None
    return _fast_verdict(data, text, value) if end == len(text) else None


def _fast_verdict(data: bytes, text: str, value: Any) -> dict[str, Any] | None:
    """``value`` (decoded by the fast scanner from screened ``data``, whose text is ``text``) if
    it is an object within the nesting limit whose re-encoding is exactly ``text``, else None."""
    if type(value) is not dict:
        return None
    if data.count(b"{") + data.count(b"[") > MAX_DEPTH and not _depth_within_limit(value):
        return None
    if _FAST_ENCODE(value) != text:
        return None
    return value


def _fast_chunk(chunk: Sequence[bytes]) -> list[dict[str, Any] | None] | None:
    """The fast path for screened entries scanned together as one JSON array (the scanner then
    shares member names across entries, and is called once); per entry its value or None (the
    straightforward path decides), or None for all if the array does not scan.

    No assumption is made about where one entry ends in the array: each value is re-encoded and
    compared with its own entry's text, as for a single entry.
    """
    texts = [data.decode("ascii") for data in chunk]
    joined = "[" + ",".join(texts) + "]"
    try:
        values, end = _FAST_SCAN(joined, 0)
    except (_Decline, StopIteration, ValueError, RecursionError):
        return None
    if end != len(joined) or type(values) is not list or len(values) != len(texts):
        return None
    return [
        _fast_verdict(data, text, value) if len(data) <= MAX_ENTRY_BYTES else None
        for data, text, value in zip(chunk, texts, values, strict=True)
    ]


CHUNK = 4096
"""Entries screened and scanned together by :func:`check_entries`."""


def check_entries(entries: Sequence[bytes], origin: str) -> list[dict[str, Any] | EntryError]:
    """:func:`check_entry` for every entry, in order: its members, or the EntryError it raises.

    The same result, faster for many entries: they are screened and scanned a chunk at a time.
    """
    results: list[dict[str, Any] | EntryError] = []
    for start in range(0, len(entries), CHUNK):
        chunk = entries[start : start + CHUNK]
        screened = screen(b"\n".join(chunk))
        values = _fast_chunk(chunk) if screened else None
        for offset, data in enumerate(chunk):
            value = values[offset] if values is not None else None
            try:
                results.append(_envelope(value, origin) if value is not None
                               else check_entry(data, origin, screened=screened))
            except EntryError as error:
                results.append(error)
    return results


def screen(data: bytes) -> bool:
    """True if ``data`` is ASCII without a run of 16 digits: what the fast path needs to hold.

    Checking the entries joined by newlines at once is checking each of them: a newline neither
    breaks ASCII nor extends a run of digits.
    """
    return data.isascii() and _SIXTEEN_DIGITS not in data.translate(_DIGITS)


def check_entry(data: bytes, origin: str, *, screened: bool = False) -> dict[str, Any]:
    """Return the members of one entry, or raise EntryError (E102 size, E101 form, E103 envelope).

    ``screened``: :func:`screen` holds for ``data`` (checked by the caller over many entries at once).
    """
    if len(data) > MAX_ENTRY_BYTES:
        raise EntryError("E102", f"{len(data)} bytes, more than {MAX_ENTRY_BYTES}")
    fast = _fast_canonical(data, screened)
    if fast is not None:
        return _envelope(fast, origin)
    value = parse_json(data)
    if _encode(value, 0, "").encode("utf-8") != data:
        raise EntryError("E101", "the bytes are not the RFC 8785 canonical form of their value")
    return _envelope(value, origin)


def _envelope(value: Any, origin: str) -> dict[str, Any]:
    """The checks of a canonical entry's value: an object with v, log and type (E103)."""
    if not isinstance(value, dict):
        raise EntryError("E103", "the entry is not a JSON object")
    version = value.get("v")
    if version != 1 or isinstance(version, bool):
        raise EntryError("E103", f'"v" is {json.dumps(version)}, not 1')
    if value.get("log") != origin:
        raise EntryError("E103", f'"log" is {json.dumps(value.get("log"))}, not the origin {origin!r}')
    kind = value.get("type")
    if type(kind) is str and kind in _GOOD_TYPES:  # seen to pass the test below (a log has few types)
        return value
    if not isinstance(kind, str) or len(kind) > 64 or not TYPE_NAME.match(kind):
        raise EntryError("E103", f'"type" {json.dumps(kind)} is not dotted lowercase words of at most 64 characters')
    _GOOD_TYPES.add(kind)
    return value
