"""Rules for one member record: pure functions, no I/O.

The API and the CSV import validate members with the same function, so both accept exactly the
same values and answer with the same messages.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import TypeVar

import pycountry

from assembly.members.models import MemberKind, MemberSection, MemberStatus, WorldRegion

__all__ = (
    "CATEGORY_MAX_LENGTH",
    "EDITABLE_FIELDS",
    "KEY_MAX_LENGTH",
    "MAX_POPULATION",
    "NAME_MAX_LENGTH",
    "SEARCH_MAX_LENGTH",
    "YEAR_MAX",
    "YEAR_MIN",
    "FieldProblem",
    "MemberRecord",
    "RawValue",
    "check_key",
    "check_search",
    "normalize_country",
    "validate_member",
)

KEY_MAX_LENGTH = 64
"""Longest member key (the column is VARCHAR(64))."""

NAME_MAX_LENGTH = 200
"""Longest member name, after trimming."""

CATEGORY_MAX_LENGTH = 32
"""Longest membership category, after trimming."""

MAX_POPULATION = 10_000_000_000
"""Largest population accepted: more than the world's, so only typing errors are refused."""

YEAR_MIN = 1900
"""Earliest year accepted for ``fees_paid_through`` (the table's check constraint)."""

YEAR_MAX = 2999
"""Latest year accepted for ``fees_paid_through`` (the table's check constraint)."""

SEARCH_MAX_LENGTH = 100
"""Longest search text for the member list."""

EDITABLE_FIELDS: tuple[str, ...] = (
    "name",
    "kind",
    "country",
    "region",
    "section",
    "population",
    "membership_category",
    "fees_paid_through",
)
"""Fields a full replace (``PUT``) sets; the key never changes, the status only through commands."""

_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_DIGITS = re.compile(r"[0-9]+")

FieldProblem = tuple[str, str]
"""(field, message): one thing wrong with one field."""

RawValue = str | int | None
"""A value as it arrives: text from a CSV cell or JSON, an integer or null from JSON."""

_E = TypeVar("_E", bound=StrEnum)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class MemberRecord:
    """One member's values, validated and normalized (trimmed text, upper-case country)."""

    key: str
    name: str
    kind: MemberKind
    country: str
    region: WorldRegion
    section: MemberSection | None
    population: int | None
    membership_category: str | None
    fees_paid_through: int | None
    status: MemberStatus


@cache
def _country_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def _has_control_characters(value: str) -> bool:
    # NUL would make PostgreSQL refuse the row; tabs and line breaks have no place in a name.
    return any(unicodedata.category(char) == "Cc" for char in value)


def _text(value: RawValue) -> str | None:
    """Trim ``value`` and compose it (NFC); None for a missing or empty value."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text or None


def check_key(value: RawValue) -> tuple[str | None, str | None]:
    """Return (the key, None) or (None, what is wrong with it).

    A member key is the register's stable identifier (e.g. ``ES-BCN``): 1 to 64 characters, letters,
    digits, ``.``, ``_`` and ``-``, starting with a letter or digit. Keys are case-sensitive.
    """
    key = _text(value)
    if key is None:
        return None, "is required"
    if len(key) > KEY_MAX_LENGTH:
        return None, f"must be at most {KEY_MAX_LENGTH} characters long"
    if not _KEY.fullmatch(key):
        return None, "must start with a letter or digit and use only letters, digits, '.', '_' and '-'"
    return key, None


def normalize_country(value: RawValue) -> tuple[str | None, str | None]:
    """Return (the ISO 3166-1 alpha-2 code in upper case, None) or (None, what is wrong).

    Lower case is accepted (``es`` is ``ES``); the code must be an assigned ISO 3166-1 alpha-2
    code, so user-assigned codes such as ``XK`` and reserved ones such as ``UK`` are refused.
    """
    text = _text(value)
    if text is None:
        return None, "is required"
    code = text.upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        return None, "must be a two-letter ISO 3166-1 alpha-2 country code"
    if code not in _country_codes():
        return None, f"'{code}' is not an ISO 3166-1 alpha-2 country code"
    return code, None


def _enum(enum_type: type[_E], value: RawValue, *, required: bool) -> tuple[_E | None, str | None]:
    text = _text(value)
    if text is None:
        return None, ("is required" if required else None)
    try:
        return enum_type(text.lower()), None
    except ValueError:
        allowed = ", ".join(member.value for member in enum_type)
        return None, f"must be one of: {allowed}"


def _whole_number(value: RawValue) -> tuple[int | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, bool):  # bool is an int subclass; true is not a number here
        return None, "must be a whole number"
    if isinstance(value, int):
        return value, None
    text = value.strip()
    if not text:
        return None, None
    sign = -1 if text.startswith("-") else 1
    digits = text[1:] if text[:1] in {"-", "+"} else text
    if not _DIGITS.fullmatch(digits):
        return None, "must be a whole number written with digits only"
    # Every bound here is far below 10**18; a longer number is out of range whatever it says, and
    # converting thousands of digits would be slow (and refused by Python past 4300).
    return sign * (int(digits) if len(digits) <= 18 else 10**18), None


def _population(value: RawValue) -> tuple[int | None, str | None]:
    number, problem = _whole_number(value)
    if problem or number is None:
        return None, problem
    if number < 0:
        return None, "must not be negative"
    if number > MAX_POPULATION:
        return None, f"must be at most {MAX_POPULATION}"
    return number, None


def _year(value: RawValue) -> tuple[int | None, str | None]:
    number, problem = _whole_number(value)
    if problem or number is None:
        return None, problem
    if not YEAR_MIN <= number <= YEAR_MAX:
        return None, f"must be a year from {YEAR_MIN} to {YEAR_MAX}"
    return number, None


def _bounded_text(value: RawValue, max_length: int, *, required: bool) -> tuple[str | None, str | None]:
    text = _text(value)
    if text is None:
        return None, ("is required" if required else None)
    if len(text) > max_length:
        return None, f"must be at most {max_length} characters long"
    if _has_control_characters(text):
        return None, "must not contain control characters (tabs, line breaks, NUL)"
    return text, None


def validate_member(raw: Mapping[str, RawValue]) -> tuple[MemberRecord | None, list[FieldProblem]]:
    """Validate one member's values; return (the normalized record, []) or (None, the problems).

    Every field is checked, so one answer names every bad field. The rules (member register, as
    the Constitution's Art 7 and 24 describe members and sections):

    - ``key``: see :func:`check_key`.
    - ``name``: 1 to 200 characters after trimming (and Unicode NFC composition); no control characters.
    - ``kind``, ``region``: one of their enumerations' values (case-insensitive); required.
    - ``section``: ``metropolitan``, ``regional`` or empty.
    - ``country``: see :func:`normalize_country`.
    - ``population``: a whole number from 0 to :data:`MAX_POPULATION`, or empty.
    - ``membership_category``: at most 32 characters, or empty.
    - ``fees_paid_through``: a year from 1900 to 2999, or empty.
    - ``status``: ``active`` or ``suspended``; empty or missing means ``active``.

    Empty text (after trimming) counts as missing. Integers may come as JSON numbers or as text.
    """
    problems: list[FieldProblem] = []

    def keep(field: str, outcome: tuple[_T | None, str | None]) -> _T | None:
        value, problem = outcome
        if problem:
            problems.append((field, problem))
        return value

    key = keep("key", check_key(raw.get("key")))
    name = keep("name", _bounded_text(raw.get("name"), NAME_MAX_LENGTH, required=True))
    kind = keep("kind", _enum(MemberKind, raw.get("kind"), required=True))
    country = keep("country", normalize_country(raw.get("country")))
    region = keep("region", _enum(WorldRegion, raw.get("region"), required=True))
    section = keep("section", _enum(MemberSection, raw.get("section"), required=False))
    population = keep("population", _population(raw.get("population")))
    category = keep("membership_category",
                    _bounded_text(raw.get("membership_category"), CATEGORY_MAX_LENGTH, required=False))
    fees_paid_through = keep("fees_paid_through", _year(raw.get("fees_paid_through")))
    status = keep("status", _enum(MemberStatus, raw.get("status"), required=False))
    if problems:
        return None, problems
    # No problem means every required value is there; the asserts tell the type checker so.
    assert key is not None
    assert name is not None
    assert kind is not None
    assert country is not None
    assert region is not None
    return MemberRecord(
        key=key,
        name=name,
        kind=kind,
        country=country,
        region=region,
        section=section,
        population=population,
        membership_category=category,
        fees_paid_through=fees_paid_through,
        status=status or MemberStatus.ACTIVE,
    ), []


def check_search(value: str | None) -> tuple[str | None, str | None]:
    """Return (the trimmed search text or None, None) or (None, what is wrong with it)."""
    return _bounded_text(value, SEARCH_MAX_LENGTH, required=False)
