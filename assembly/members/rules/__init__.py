"""Member register rules: pure functions, no I/O.

``record``: what makes one member record valid (the API and the CSV import share it).
``register_csv``: how a register file in CSV is read and checked.
"""

from assembly.members.rules.record import (
    CATEGORY_MAX_LENGTH,
    EDITABLE_FIELDS,
    KEY_MAX_LENGTH,
    MAX_POPULATION,
    NAME_MAX_LENGTH,
    SEARCH_MAX_LENGTH,
    YEAR_MAX,
    YEAR_MIN,
    FieldProblem,
    MemberRecord,
    RawValue,
    check_key,
    check_search,
    normalize_country,
    validate_member,
)
from assembly.members.rules.register_csv import (
    MAX_REGISTER_BYTES,
    MAX_REGISTER_ROWS,
    MAX_REPORTED_PROBLEMS,
    OPTIONAL_COLUMNS,
    REGISTER_COLUMNS,
    REQUIRED_COLUMNS,
    CsvProblem,
    RegisterRefused,
    RegisterRow,
    RegisterRows,
    parse_register_csv,
)

__all__ = (
    "CATEGORY_MAX_LENGTH",
    "EDITABLE_FIELDS",
    "KEY_MAX_LENGTH",
    "MAX_POPULATION",
    "MAX_REGISTER_BYTES",
    "MAX_REGISTER_ROWS",
    "MAX_REPORTED_PROBLEMS",
    "NAME_MAX_LENGTH",
    "OPTIONAL_COLUMNS",
    "REGISTER_COLUMNS",
    "REQUIRED_COLUMNS",
    "SEARCH_MAX_LENGTH",
    "YEAR_MAX",
    "YEAR_MIN",
    "CsvProblem",
    "FieldProblem",
    "MemberRecord",
    "RawValue",
    "RegisterRefused",
    "RegisterRow",
    "RegisterRows",
    "check_key",
    "check_search",
    "normalize_country",
    "parse_register_csv",
    "validate_member",
)
