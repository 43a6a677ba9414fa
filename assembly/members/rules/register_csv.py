"""Rules for reading a member register in CSV: pure functions, no I/O.

The import is all or nothing, so the whole file is read and every row checked here, before the
service writes anything.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from assembly.members.rules.record import MemberRecord, validate_member

__all__ = (
    "MAX_REGISTER_BYTES",
    "MAX_REGISTER_ROWS",
    "MAX_REPORTED_PROBLEMS",
    "OPTIONAL_COLUMNS",
    "REGISTER_COLUMNS",
    "REQUIRED_COLUMNS",
    "CsvProblem",
    "RegisterRefused",
    "RegisterRow",
    "RegisterRows",
    "parse_register_csv",
)

MAX_REGISTER_ROWS = 300_000
"""Most member rows one CSV import may hold (the network has about 250,000 members)."""

MAX_REGISTER_BYTES = 32 * 1024 * 1024
"""Largest CSV file one import may send, in bytes (300,000 rows of about 100 bytes fit)."""

MAX_REPORTED_PROBLEMS = 1000
"""Most problems listed in one refusal; the count of all of them is always given."""

REQUIRED_COLUMNS: tuple[str, ...] = ("key", "name", "kind", "country", "region")
"""Columns every register file must have."""

OPTIONAL_COLUMNS: tuple[str, ...] = ("section", "population", "membership_category", "fees_paid_through", "status")
"""Columns a register file may have; one left out is not touched on members already registered."""

REGISTER_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
"""Every column a register file may have, in the order the documentation shows them."""


@dataclass(frozen=True, slots=True)
class CsvProblem:
    """One thing wrong in a register file; ``row`` counts as a spreadsheet does (header = row 1)."""

    row: int
    column: str | None
    """The column's name from the header, or None when the problem is the whole row or file."""
    message: str


@dataclass(frozen=True, slots=True)
class RegisterRow:
    """One valid member row and where it is in the file."""

    row: int
    record: MemberRecord


@dataclass(frozen=True, slots=True)
class RegisterRows:
    """A register file whose every row is valid."""

    columns: frozenset[str]
    """The columns the file has; optional columns it leaves out are not touched on existing members."""
    rows: tuple[RegisterRow, ...]


@dataclass(frozen=True, slots=True)
class RegisterRefused:
    """A register file that cannot be imported, with every problem found (up to a bound)."""

    code: str
    """Stable error code: csv_too_large, csv_not_utf8, csv_empty, csv_malformed, csv_header_invalid,
    csv_too_many_rows or csv_rows_invalid."""
    summary: str
    problems: tuple[CsvProblem, ...]
    problem_count: int
    """How many problems were found; ``problems`` lists the first :data:`MAX_REPORTED_PROBLEMS`."""


def _refuse(code: str, summary: str, problems: list[CsvProblem]) -> RegisterRefused:
    return RegisterRefused(code=code, summary=summary, problems=tuple(problems[:MAX_REPORTED_PROBLEMS]),
                           problem_count=len(problems))


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Yield (spreadsheet row number, cells): a quoted line break stays inside its row, as in a spreadsheet."""
    yield from enumerate(csv.reader(io.StringIO(text, newline=""), strict=True), start=1)


def _read_header(cells: list[str]) -> tuple[list[str], list[CsvProblem]]:
    names = [cell.strip().lower() for cell in cells]
    problems: list[CsvProblem] = []
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name:
            problems.append(CsvProblem(1, None, f"column {position} has no name in the header"))
        elif name not in REGISTER_COLUMNS:
            problems.append(CsvProblem(1, name, f"unknown column '{name}'; the columns are: "
                                                + ", ".join(REGISTER_COLUMNS)))
        elif name in seen:
            problems.append(CsvProblem(1, name, f"column '{name}' appears more than once in the header"))
        seen.add(name)
    problems.extend(CsvProblem(1, required, f"required column '{required}' is missing from the header")
                    for required in REQUIRED_COLUMNS if required not in seen)
    return names, problems


def _is_blank(cells: Iterable[str]) -> bool:
    return all(not cell.strip() for cell in cells)


def parse_register_csv(data: bytes) -> RegisterRows | RegisterRefused:
    """Read a member register in CSV; return every valid row, or every problem found.

    The format (docs/members.md): UTF-8 (a byte-order mark is ignored), comma-separated, fields
    quoted with ``"`` as RFC 4180 says, lines ending in LF or CRLF. Row 1 is the header: column
    names in any order, case-insensitive; the required columns must be there, unknown or repeated
    columns are refused. Every further row is one member, validated by :func:`validate_member`;
    rows whose cells are all empty are skipped. A key may appear on one row only. At most
    :data:`MAX_REGISTER_ROWS` member rows and :data:`MAX_REGISTER_BYTES` bytes.

    The import is all or nothing, so every row is checked and every problem reported (up to
    :data:`MAX_REPORTED_PROBLEMS`, with the total count) before anything is written.
    """
    text = _decode(data)
    if isinstance(text, RegisterRefused):
        return text
    records = _records(text)
    reader: _RowReader | None = None
    row_number = 1
    try:
        for row_number, cells in records:
            if reader is None:
                header, header_problems = _read_header(cells)
                if header_problems:
                    return _refuse("csv_header_invalid", "the header row is not valid", header_problems)
                reader = _RowReader(header)
            elif not reader.read(row_number, cells):
                return _refuse("csv_too_many_rows", f"the file has more than {MAX_REGISTER_ROWS} member rows",
                               [CsvProblem(row_number, None, f"more than {MAX_REGISTER_ROWS} member rows")])
    except csv.Error as exc:
        # The csv module stops at the first malformed record (an unclosed quote, a huge field).
        problems = [*(reader.problems if reader else []),
                    CsvProblem(row_number + (reader is not None), None, f"the file cannot be read as CSV here: {exc}")]
        return _refuse("csv_malformed", "the file is not well-formed CSV", problems)
    assert reader is not None  # the text is not blank, so there is a header row
    return reader.outcome()


def _decode(data: bytes) -> str | RegisterRefused:
    """The file's text, or why it has none: too large, not UTF-8, or blank."""
    if len(data) > MAX_REGISTER_BYTES:
        return _refuse("csv_too_large", f"the file is larger than {MAX_REGISTER_BYTES} bytes", [])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return _refuse("csv_not_utf8", "the file is not UTF-8 text; save it as 'CSV UTF-8'",
                       [CsvProblem(line, None, f"byte {exc.start + 1} is not UTF-8 (line {line} of the file)")])
    if not text.strip():
        return _refuse("csv_empty", "the file is empty", [CsvProblem(1, None, "the file is empty")])
    return text


class _RowReader:
    """Validates the member rows after the header, collecting valid rows and every problem."""

    def __init__(self, header: list[str]) -> None:
        self.header = header
        self.rows: list[RegisterRow] = []
        self.problems: list[CsvProblem] = []
        self._member_rows = 0
        self._key_rows: dict[str, int] = {}

    def read(self, row_number: int, cells: list[str]) -> bool:
        """Check one row; return False when it is one row more than :data:`MAX_REGISTER_ROWS`."""
        if _is_blank(cells):
            return True
        self._member_rows += 1
        if self._member_rows > MAX_REGISTER_ROWS:
            return False
        width = len(self.header)
        if len(cells) > width and not _is_blank(cells[width:]):
            self.problems.append(
                CsvProblem(row_number, None, f"the row has {len(cells)} cells but the header has {width} columns"))
            return True
        raw = {name: (cells[position] if position < len(cells) else "") for position, name in enumerate(self.header)}
        record, field_problems = validate_member(raw)
        self.problems.extend(CsvProblem(row_number, field, message) for field, message in field_problems)
        if record is None:
            return True
        first = self._key_rows.setdefault(record.key, row_number)
        if first != row_number:
            self.problems.append(CsvProblem(
                row_number, "key", f"key '{record.key}' is also on row {first}; a key may appear only once"))
            return True
        self.rows.append(RegisterRow(row=row_number, record=record))
        return True

    def outcome(self) -> RegisterRows | RegisterRefused:
        """The valid rows, or the refusal naming every problem (or the absence of rows)."""
        if self.problems:
            return _refuse("csv_rows_invalid", f"{len(self.problems)} problem(s) in the rows; nothing was imported",
                           self.problems)
        if not self.rows:
            return _refuse("csv_empty", "the file has a header but no member rows",
                           [CsvProblem(2, None, "the file has a header but no member rows")])
        return RegisterRows(columns=frozenset(self.header), rows=tuple(self.rows))
