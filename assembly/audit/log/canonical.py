"""Canonical JSON for log entries: RFC 8785 (JCS) restricted to integers, and the entry envelope.

Two layers (docs/audit-log-spec.md, "Entries"):

- :func:`canonicalize` is RFC 8785 for JSON values whose numbers are integers within
  +-(2**53 - 1): object members sorted by their names' UTF-16 code units, no whitespace, strings
  escaped as ECMAScript's ``JSON.stringify`` escapes them, integers in plain decimal. Within that
  range every integer is exactly representable as an IEEE 754 double and ECMAScript prints it as
  its decimal digits, so no number formatting question arises; floats are refused outright.
- The log profile (:func:`check_profile`, :func:`encode_entry`, :func:`decode_entry`) adds what the
  log promises its readers: member names ``[a-z0-9_]{1,64}``, strings in Unicode NFC, at most
  :data:`MAX_DEPTH` nested containers, at most :data:`MAX_ENTRY_BYTES` bytes, and the envelope
  members ``v``, ``log`` and ``type``.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, TypeAlias

__all__ = (
    "ENTRY_VERSION",
    "ENVELOPE_KEYS",
    "MAX_DEPTH",
    "MAX_ENTRY_BYTES",
    "MAX_SAFE_INTEGER",
    "CanonicalError",
    "JSONValue",
    "canonicalize",
    "check_origin",
    "check_profile",
    "decode_entry",
    "encode_entry",
    "parse_strict",
)

JSONValue: TypeAlias = bool | int | str | list["JSONValue"] | dict[str, "JSONValue"] | None

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer magnitude allowed: beyond it IEEE 754 doubles (and so JCS) lose exactness."""

MAX_ENTRY_BYTES = 65_535
"""Largest entry, in bytes of its canonical form (the tlog-tiles entry bundle limit)."""

MAX_DEPTH = 16
"""Most containers (objects and arrays) nested inside one another, the entry object included."""

ENTRY_VERSION = 1
"""Value of the envelope member ``v`` for entries of this specification."""

ENVELOPE_KEYS = frozenset({"v", "log", "type"})

_KEY = re.compile(r"[a-z0-9_]{1,64}")
_TYPE = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*")
_MAX_TYPE_LENGTH = 64
# Log origins are also signed-note key names: printable ASCII without space or plus.
_ORIGIN = re.compile(r"[\x21-\x2a\x2c-\x7e]{1,255}")

# RFC 8785 section 3.2.2.2: the two-character escapes, \u00xx (lowercase hex) for the other
# controls, every other character as itself.
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_ESCAPES = {chr(c): _SHORT_ESCAPES.get(chr(c), f"\\u{c:04x}") for c in range(0x20)} | _SHORT_ESCAPES
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


class CanonicalError(ValueError):
    """A value or a byte string that is not canonical JSON of the log profile.

    Attributes:
        reason: what is wrong, in words.
        path: where, as a JSON-pointer-like path (``/payload/items/3``); empty for the whole value.
    """

    def __init__(self, reason: str, path: str = "") -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{reason} at {path}" if path else reason)


def canonicalize(value: object) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of ``value``.

    Accepts None, bools, integers within +-(2**53 - 1), strings of valid Unicode (no lone
    surrogates), lists and dicts with string keys. Raises CanonicalError for anything else,
    floats included. Member names are not restricted here; the log profile restricts them.
    """
    parts: list[str] = []
    _write(value, parts, "")
    return "".join(parts).encode("utf-8")


def _write(value: object, out: list[str], path: str) -> None:
    if isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _write(item, out, f"{path}/{index}")
        out.append("]")
    elif isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise CanonicalError("object member name is not a string", path)
        out.append("{")
        for index, key in enumerate(sorted(value, key=lambda k: _utf16_units(k, path))):
            if index:
                out.append(",")
            out.append(_string(key, path))
            out.append(":")
            _write(value[key], out, f"{path}/{key}")
        out.append("}")
    else:
        out.append(_scalar(value, path))


def _scalar(value: object, path: str) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalError("integer outside +-(2**53 - 1)", path)
        return str(int(value))
    if isinstance(value, str):
        return _string(value, path)
    if isinstance(value, float):
        raise CanonicalError("floats are not allowed (integers only)", path)
    raise CanonicalError(f"{type(value).__name__} is not a JSON value", path)


def _utf16_units(key: str, path: str) -> bytes:
    """Sort key: the name's UTF-16 code units, big-endian, so bytes compare as the units do."""
    try:
        return key.encode("utf-16-be")
    except UnicodeEncodeError:
        raise CanonicalError("object member name is not valid Unicode (lone surrogate)", path) from None


def _string(text: str, path: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise CanonicalError("string is not valid Unicode (lone surrogate)", path) from None
    return '"' + _NEEDS_ESCAPE.sub(lambda match: _ESCAPES[match.group()], text) + '"'


def parse_strict(data: bytes) -> JSONValue:
    """Parse JSON bytes strictly: UTF-8, no duplicate member names, integers only, in range.

    Does not check canonical form (compare ``canonicalize(parse_strict(data)) == data`` for that).
    Raises CanonicalError.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CanonicalError(f"not UTF-8 (byte {exc.start})") from None
    try:
        value: JSONValue = json.loads(
            text,
            object_pairs_hook=_unique_members,
            parse_float=_refuse_float,
            parse_constant=_refuse_constant,
            parse_int=_bounded_int,
        )
    except CanonicalError:
        raise
    except RecursionError:
        raise CanonicalError(f"containers nested more than {MAX_DEPTH} deep") from None
    except ValueError as exc:  # json.JSONDecodeError
        raise CanonicalError(f"not JSON: {exc}") from None
    return value


def _unique_members(pairs: list[tuple[str, JSONValue]]) -> dict[str, JSONValue]:
    members: dict[str, JSONValue] = {}
    for key, value in pairs:
        if key in members:
            raise CanonicalError(f"duplicate member name {key!r}")
        members[key] = value
    return members


def _refuse_float(literal: str) -> float:
    raise CanonicalError(f"number {literal} has a fraction or an exponent (integers only)")


def _refuse_constant(literal: str) -> float:
    raise CanonicalError(f"{literal} is not JSON")


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > 16:
        raise CanonicalError(f"integer {literal[:20]} is outside +-(2**53 - 1)")
    value = int(literal)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise CanonicalError(f"integer {literal} is outside +-(2**53 - 1)")
    return value


def check_profile(value: object, path: str = "", depth: int = 0) -> None:
    """Raise CanonicalError unless ``value`` obeys the log profile beyond RFC 8785.

    Member names match ``[a-z0-9_]{1,64}``; strings are in Unicode NFC; containers nest at most
    :data:`MAX_DEPTH` deep; no floats; integers within +-(2**53 - 1).
    """
    if isinstance(value, list | tuple | Mapping):
        if depth + 1 > MAX_DEPTH:
            raise CanonicalError(f"containers nested more than {MAX_DEPTH} deep", path)
        if isinstance(value, Mapping):
            for key, item in value.items():
                if not isinstance(key, str) or not _KEY.fullmatch(key):
                    raise CanonicalError(f"member name {key!r} does not match [a-z0-9_]{{1,64}}", path)
                check_profile(item, f"{path}/{key}", depth + 1)
        else:
            for index, item in enumerate(value):
                check_profile(item, f"{path}/{index}", depth + 1)
        return
    _scalar(value, path)  # type, range and Unicode validity
    if isinstance(value, str) and not unicodedata.is_normalized("NFC", value):
        raise CanonicalError("string is not in Unicode NFC", path)


def check_origin(origin: str) -> None:
    """Raise CanonicalError unless ``origin`` is a valid log origin (and signed-note key name).

    1 to 255 characters of printable ASCII (0x21-0x7E) other than ``+``, e.g.
    ``wa.example.org/audit/2026-s1``.
    """
    if not _ORIGIN.fullmatch(origin):
        raise CanonicalError(f"origin {origin!r} is not 1-255 printable ASCII characters without space or '+'")


def _check_type(entry_type: object) -> str:
    if not isinstance(entry_type, str) or len(entry_type) > _MAX_TYPE_LENGTH or not _TYPE.fullmatch(entry_type):
        raise CanonicalError(f"type {entry_type!r} is not dotted lowercase words of at most 64 characters", "/type")
    return entry_type


def encode_entry(origin: str, entry_type: str, fields: Mapping[str, Any]) -> bytes:
    """Build the canonical bytes of one log entry: ``{"v":1,"log":origin,"type":entry_type,...fields}``.

    Raises CanonicalError if the fields break the profile, use an envelope name, or the entry
    exceeds :data:`MAX_ENTRY_BYTES`.
    """
    check_origin(origin)
    _check_type(entry_type)
    clash = ENVELOPE_KEYS.intersection(fields)
    if clash:
        raise CanonicalError(f"fields may not use the envelope names {sorted(clash)}")
    entry: dict[str, Any] = {"v": ENTRY_VERSION, "log": origin, "type": entry_type, **fields}
    check_profile(entry)
    data = canonicalize(entry)
    if len(data) > MAX_ENTRY_BYTES:
        raise CanonicalError(f"entry is {len(data)} bytes, more than {MAX_ENTRY_BYTES}")
    return data


def decode_entry(data: bytes, origin: str | None = None) -> dict[str, JSONValue]:
    """Parse and check one stored entry; return its members.

    Checks size, strict JSON, the profile, canonical form (the bytes are exactly the canonical
    encoding of what they parse to) and the envelope (``v`` is 1, ``log`` is ``origin`` when
    given, ``type`` is well formed). Raises CanonicalError.
    """
    if len(data) > MAX_ENTRY_BYTES:
        raise CanonicalError(f"entry is {len(data)} bytes, more than {MAX_ENTRY_BYTES}")
    value = parse_strict(data)
    check_profile(value)
    if canonicalize(value) != data:
        raise CanonicalError("bytes are not the canonical encoding of their value")
    if not isinstance(value, dict):
        raise CanonicalError("entry is not a JSON object")
    if value.get("v") != ENTRY_VERSION or isinstance(value.get("v"), bool):
        raise CanonicalError(f"v is {value.get('v')!r}, not {ENTRY_VERSION}", "/v")
    log = value.get("log")
    if not isinstance(log, str) or (origin is not None and log != origin):
        raise CanonicalError(f"log is {log!r}, not the log's origin", "/log")
    _check_type(value.get("type"))
    return value
