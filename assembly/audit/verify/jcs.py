"""Entry bytes: strict JSON reading, RFC 8785 re-encoding and the log profile (spec "Entries").

Written from docs/audit-log-spec.md and RFC 8785, independently of the application's encoder.
An entry is accepted only if its bytes are exactly the canonical encoding of the value they parse
to, so any extra space, reordered member, escaped character or alternative number spelling fails.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

__all__ = ("MAX_ENTRY_BYTES", "EntryError", "check_entry", "parse_json")

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


def check_entry(data: bytes, origin: str) -> dict[str, Any]:
    """Return the members of one entry, or raise EntryError (E102 size, E101 form, E103 envelope)."""
    if len(data) > MAX_ENTRY_BYTES:
        raise EntryError("E102", f"{len(data)} bytes, more than {MAX_ENTRY_BYTES}")
    value = parse_json(data)
    if _encode(value, 0, "").encode("utf-8") != data:
        raise EntryError("E101", "the bytes are not the RFC 8785 canonical form of their value")
    if not isinstance(value, dict):
        raise EntryError("E103", "the entry is not a JSON object")
    version = value.get("v")
    if version != 1 or isinstance(version, bool):
        raise EntryError("E103", f'"v" is {json.dumps(version)}, not 1')
    if value.get("log") != origin:
        raise EntryError("E103", f'"log" is {json.dumps(value.get("log"))}, not the origin {origin!r}')
    kind = value.get("type")
    if not isinstance(kind, str) or len(kind) > 64 or not TYPE_NAME.match(kind):
        raise EntryError("E103", f'"type" {json.dumps(kind)} is not dotted lowercase words of at most 64 characters')
    return value
