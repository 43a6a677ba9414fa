"""Member register rules: each field's boundaries and the CSV reading rules, without a database."""

from __future__ import annotations

from typing import Any

import pytest

from assembly.members import rules
from assembly.members.models import MemberKind, MemberSection, MemberStatus, WorldRegion
from assembly.members.rules import (
    MemberRecord,
    RegisterRefused,
    RegisterRows,
    check_key,
    check_search,
    normalize_country,
    parse_register_csv,
    register_csv,
    validate_member,
)

VALID: dict[str, Any] = {
    "key": "ES-BCN",
    "name": "Barcelona",
    "kind": "metropolis",
    "country": "ES",
    "region": "europe",
    "section": "metropolitan",
    "population": "1620000",
    "membership_category": "A",
    "fees_paid_through": "2025",
    "status": "active",
}


def problems_of(**overrides: Any) -> list[tuple[str, str]]:
    return validate_member({**VALID, **overrides})[1]


def record_of(**overrides: Any) -> MemberRecord:
    record, problems = validate_member({**VALID, **overrides})
    assert record is not None, problems
    return record


def test_a_valid_row_becomes_a_normalized_record() -> None:
    assert record_of(name="  Barcelona ", country=" es ", region="Europe", kind="METROPOLIS") == MemberRecord(
        key="ES-BCN",
        name="Barcelona",
        kind=MemberKind.METROPOLIS,
        country="ES",
        region=WorldRegion.EUROPE,
        section=MemberSection.METROPOLITAN,
        population=1_620_000,
        membership_category="A",
        fees_paid_through=2025,
        status=MemberStatus.ACTIVE,
    )


def test_every_bad_field_is_reported_at_once() -> None:
    fields = [field for field, _ in problems_of(key="", name="", kind="x", country="x", region="x", section="x",
                                                 population="-1", membership_category="c" * 33,
                                                 fees_paid_through="1", status="x")]
    assert fields == ["key", "name", "kind", "country", "region", "section", "population", "membership_category",
                      "fees_paid_through", "status"]


# --- key ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["A", "0", "a" * 64, "ES-BCN", "es.bcn_1-2", "9.-_"])
def test_key_accepted(key: str) -> None:
    assert check_key(key) == (key, None)


@pytest.mark.parametrize("key", ["a" * 65, "-ES", ".ES", "_ES", "ES BCN", "ES/BCN", "ÉS", "E\nS", "ES\x00", "é"])
def test_key_refused(key: str) -> None:
    value, problem = check_key(key)
    assert value is None
    assert problem


@pytest.mark.parametrize("key", [None, "", "   "])
def test_key_is_required(key: str | None) -> None:
    assert check_key(key) == (None, "is required")


def test_key_is_trimmed_but_keeps_its_case() -> None:
    assert check_key("  es-Bcn ") == ("es-Bcn", None)


# --- name --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["B", "N" * 200, "  " + "N" * 200 + "  ", "São Paulo", "東京都", "Ville d'Avray, (FR)"]
)
def test_name_accepted(name: str) -> None:
    assert record_of(name=name).name == name.strip()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "is required"),
        ("   ", "is required"),
        (None, "is required"),
        ("N" * 201, "must be at most 200 characters long"),
        ("A\tB", "must not contain control characters (tabs, line breaks, NUL)"),
        ("A\nB", "must not contain control characters (tabs, line breaks, NUL)"),
        ("A\x00B", "must not contain control characters (tabs, line breaks, NUL)"),
    ],
)
def test_name_refused(name: str | None, message: str) -> None:
    assert problems_of(name=name) == [("name", message)]


def test_name_is_composed_so_reimports_compare_equal() -> None:
    decomposed = "Sa\u0303o Paulo"  # a + combining tilde
    assert record_of(name=decomposed).name == "S\u00e3o Paulo"


# --- enumerations ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [kind.value for kind in MemberKind])
def test_every_kind_is_accepted(kind: str) -> None:
    assert record_of(kind=kind.upper()).kind == MemberKind(kind)


@pytest.mark.parametrize("region", [region.value for region in WorldRegion])
def test_every_region_is_accepted(region: str) -> None:
    assert record_of(region=f" {region} ").region == WorldRegion(region)


@pytest.mark.parametrize(("field", "value"), [("kind", "city"), ("region", "oceania"), ("section", "urban"),
                                              ("status", "expelled"), ("kind", "local government")])
def test_unknown_enumeration_values_are_refused_with_the_allowed_list(field: str, value: str) -> None:
    [(named, message)] = problems_of(**{field: value})
    assert named == field
    assert message.startswith("must be one of: ")


@pytest.mark.parametrize(("field", "value"), [("kind", ""), ("region", None)])
def test_kind_and_region_are_required(field: str, value: str | None) -> None:
    assert problems_of(**{field: value}) == [(field, "is required")]


@pytest.mark.parametrize(("section", "expected"), [("", None), (None, None), ("regional", MemberSection.REGIONAL)])
def test_section_is_optional(section: str | None, expected: MemberSection | None) -> None:
    assert record_of(section=section).section == expected


@pytest.mark.parametrize(("status", "expected"), [("", MemberStatus.ACTIVE), (None, MemberStatus.ACTIVE),
                                                  ("Suspended", MemberStatus.SUSPENDED)])
def test_status_defaults_to_active(status: str | None, expected: MemberStatus) -> None:
    assert record_of(status=status).status == expected


# --- country -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "stored"), [("ES", "ES"), ("es", "ES"), (" fr ", "FR"), ("gB", "GB"), ("AX", "AX")])
def test_country_accepted_and_stored_upper_case(code: str, stored: str) -> None:
    assert normalize_country(code) == (stored, None)


@pytest.mark.parametrize("code", ["ZZ", "XK", "UK", "EU", "AA"])
def test_unassigned_country_codes_are_refused(code: str) -> None:
    assert normalize_country(code) == (None, f"'{code.upper()}' is not an ISO 3166-1 alpha-2 country code")


@pytest.mark.parametrize("code", ["E", "ESP", "1A", "É1", "Spain", "E-"])
def test_malformed_country_codes_are_refused(code: str) -> None:
    assert normalize_country(code) == (None, "must be a two-letter ISO 3166-1 alpha-2 country code")


def test_country_is_required() -> None:
    assert problems_of(country="") == [("country", "is required")]


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [("0", 0), (0, 0), ("10000000000", 10_000_000_000), ("", None),
                                                 (None, None), (" 42 ", 42), ("+7", 7), ("007", 7)])
def test_population_accepted(value: Any, expected: int | None) -> None:
    assert record_of(population=value).population == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "must not be negative"),
        (-1, "must not be negative"),
        ("10000000001", "must be at most 10000000000"),
        ("9" * 5000, "must be at most 10000000000"),
        ("1.5", "must be a whole number written with digits only"),
        ("1,000", "must be a whole number written with digits only"),
        ("1e6", "must be a whole number written with digits only"),
        ("many", "must be a whole number written with digits only"),
        ("--1", "must be a whole number written with digits only"),
        (True, "must be a whole number"),
    ],
)
def test_population_refused(value: Any, message: str) -> None:
    assert problems_of(population=value) == [("population", message)]


@pytest.mark.parametrize(("value", "expected"), [("1900", 1900), ("2999", 2999), (2026, 2026), ("", None)])
def test_fees_year_accepted(value: Any, expected: int | None) -> None:
    assert record_of(fees_paid_through=value).fees_paid_through == expected


@pytest.mark.parametrize("value", ["1899", "3000", "-2024", "0", 99999, "2024.0", "'24"])
def test_fees_year_refused(value: Any) -> None:
    [(field, _)] = problems_of(fees_paid_through=value)
    assert field == "fees_paid_through"


# --- membership category -----------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [("C" * 32, "C" * 32), ("", None), (None, None), (" A1 ", "A1")])
def test_category_accepted(value: str | None, expected: str | None) -> None:
    assert record_of(membership_category=value).membership_category == expected


def test_category_longer_than_32_is_refused() -> None:
    assert problems_of(membership_category="C" * 33) == [("membership_category", "must be at most 32 characters long")]


# --- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(None, (None, None)), ("  ", (None, None)),
                                                 (" bar ", ("bar", None)), ("s" * 100, ("s" * 100, None))])
def test_search_accepted(value: str | None, expected: tuple[str | None, None]) -> None:
    assert check_search(value) == expected


@pytest.mark.parametrize("value", ["s" * 101, "a\x00b"])
def test_search_refused(value: str) -> None:
    assert check_search(value)[1]


# --- CSV ---------------------------------------------------------------------------------------

HEADER = ",".join(rules.REGISTER_COLUMNS)


def row(index: int, **overrides: str) -> str:
    cells = {"key": f"K-{index}", "name": f"City {index}", "kind": "local_government", "country": "FR",
             "region": "europe", "section": "", "population": "10", "membership_category": "",
             "fees_paid_through": "", "status": ""}
    cells.update(overrides)
    return ",".join(cells[column] for column in rules.REGISTER_COLUMNS)


def parse(text: str) -> RegisterRows | RegisterRefused:
    return parse_register_csv(text.encode())


def refused(text: str | bytes) -> RegisterRefused:
    result = parse_register_csv(text.encode() if isinstance(text, str) else text)
    assert isinstance(result, RegisterRefused), result
    return result


def test_a_valid_file_gives_its_rows_with_spreadsheet_row_numbers() -> None:
    result = parse(f"{HEADER}\n{row(1)}\n\n{row(2)}\n")
    assert isinstance(result, RegisterRows)
    assert [(r.row, r.record.key) for r in result.rows] == [(2, "K-1"), (4, "K-2")]
    assert result.columns == frozenset(rules.REGISTER_COLUMNS)


def test_header_names_are_trimmed_and_case_insensitive_in_any_order() -> None:
    result = parse(" Region ,KEY,Name,country,kind\neurope,K-1,Lyon,fr,metropolis\n")
    assert isinstance(result, RegisterRows)
    assert result.columns == frozenset(rules.REQUIRED_COLUMNS)
    assert result.rows[0].record.country == "FR"


def test_bom_and_crlf_are_accepted() -> None:
    result = parse_register_csv(("\ufeff" + HEADER + "\r\n" + row(1) + "\r\n").encode())
    assert isinstance(result, RegisterRows)
    assert result.rows[0].record.key == "K-1"


def test_quoted_cells_keep_commas_and_quotes() -> None:
    quoted = '"Lyon, ""Grand"" Lyon"'
    result = parse(f"{HEADER}\n{row(1, name=quoted)}\n")
    assert isinstance(result, RegisterRows)
    assert result.rows[0].record.name == 'Lyon, "Grand" Lyon'


@pytest.mark.parametrize(
    ("header", "column", "message"),
    [
        (HEADER + ",mayor", "mayor", "unknown column 'mayor'"),
        (HEADER.replace("kind,", ""), "kind", "required column 'kind' is missing from the header"),
        (HEADER + ",key", "key", "column 'key' appears more than once in the header"),
        (HEADER + ",", None, "column 11 has no name in the header"),
    ],
)
def test_header_problems(header: str, column: str | None, message: str) -> None:
    result = refused(f"{header}\n{row(1)}\n")
    assert result.code == "csv_header_invalid"
    assert any(p.row == 1 and p.column == column and p.message.startswith(message) for p in result.problems), result


def test_duplicate_keys_name_both_rows() -> None:
    result = refused(f"{HEADER}\n{row(1)}\n{row(2)}\n{row(1)}\n{row(1)}\n")
    assert result.code == "csv_rows_invalid"
    assert [(p.row, p.column) for p in result.problems] == [(4, "key"), (5, "key")]
    assert "is also on row 2" in result.problems[0].message


def test_a_row_with_too_many_cells_is_refused_but_trailing_empty_cells_are_not() -> None:
    result = refused(f"{HEADER}\n{row(1)},,,\n{row(2)},extra\n")
    assert [(p.row, p.column) for p in result.problems] == [(3, None)]
    assert "11 cells" in result.problems[0].message


def test_a_short_row_counts_missing_cells_as_empty() -> None:
    result = parse("key,name,kind,country,region,population\nK-1,Lyon,metropolis,FR,europe\n")
    assert isinstance(result, RegisterRows)
    assert result.rows[0].record.population is None


@pytest.mark.parametrize(("data", "code", "row"), [
    (b"", "csv_empty", 1),
    (b"\xef\xbb\xbf \r\n", "csv_empty", 1),
    ((HEADER + "\n").encode(), "csv_empty", 2),
    (b"key,name\n\xff\xfe\n", "csv_not_utf8", 2),
    ((HEADER + '\n"K-1,unclosed\n').encode(), "csv_malformed", 2),
    ((HEADER + "\n" + row(1) + "\nK-2,a\x00b,x\n").encode(), "csv_rows_invalid", 3),  # NUL: name refused
])
def test_unreadable_files(data: bytes, code: str, row: int) -> None:
    result = refused(data)
    assert result.code == code
    assert result.problems[-1].row == row


def test_problems_are_bounded_but_all_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(register_csv, "MAX_REPORTED_PROBLEMS", 5)
    result = refused(HEADER + "\n" + "\n".join(row(i, country="ZZ") for i in range(20)) + "\n")
    assert len(result.problems) == 5
    assert result.problem_count == 20


def test_too_many_rows_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(register_csv, "MAX_REGISTER_ROWS", 3)
    assert isinstance(parse(HEADER + "\n" + "\n".join(row(i) for i in range(3)) + "\n"), RegisterRows)
    result = refused(HEADER + "\n" + "\n".join(row(i) for i in range(4)) + "\n")
    assert result.code == "csv_too_many_rows"
    assert result.problems[0].row == 5


def test_too_large_files_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(register_csv, "MAX_REGISTER_BYTES", 100)
    assert refused(HEADER + "\n" + row(1) + "\n").code == "csv_too_large"
