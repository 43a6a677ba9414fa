"""Audit payload rules: pure functions, no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ("MAX_PAYLOAD_DEPTH", "PayloadValue", "check_payload")

MAX_PAYLOAD_DEPTH = 6
_KEY = re.compile(r"^[a-z0-9_]{1,64}$")
_SAFE_INTEGER = 2**53 - 1

PayloadValue = str | int | bool | None | list["PayloadValue"] | dict[str, "PayloadValue"]


def check_payload(payload: Mapping[str, object], depth: int = 0) -> None:
    """Raise ValueError unless ``payload`` can be logged canonically (RFC 8785, integers only).

    Keys are ``[a-z0-9_]``; values are strings, booleans, null, integers within +-(2**53 - 1), and
    lists or objects of those. Floats are refused: weights and shares are integers everywhere, so
    the canonical bytes never depend on number formatting.
    """
    if depth > MAX_PAYLOAD_DEPTH:
        msg = "audit payload nested too deeply"
        raise ValueError(msg)
    for key, value in payload.items():
        if not _KEY.match(key):
            msg = f"audit payload key {key!r} is not [a-z0-9_]"
            raise ValueError(msg)
        _check_value(value, depth)


def _check_value(value: object, depth: int) -> None:
    if value is None or isinstance(value, bool | str):
        return
    if isinstance(value, int):
        if abs(value) > _SAFE_INTEGER:
            msg = f"audit payload integer {value} is outside +-(2**53 - 1)"
            raise ValueError(msg)
        return
    if isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)
        return
    if isinstance(value, Mapping):
        check_payload(value, depth + 1)
        return
    msg = f"audit payload value of type {type(value).__name__} is not allowed (floats never are)"
    raise ValueError(msg)
