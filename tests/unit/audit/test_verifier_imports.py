"""The verifier is independent: its source imports only itself, the standard library and cryptography."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import assembly.audit.verify

VERIFY = Path(assembly.audit.verify.__file__).parent
ALLOWED_THIRD_PARTY = {"cryptography"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, "." * node.level + (node.module or "")))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in {
            "__import__",
            "import_module",
        }:
            found.append((node.lineno, "<dynamic import>"))
    return found


def test_the_verifier_imports_nothing_from_the_application() -> None:
    sources = sorted(VERIFY.rglob("*.py"))
    offending = []
    for path in sources:
        for line, module in imported_modules(path):
            top = module.split(".")[0]
            own = module == "assembly.audit.verify" or module.startswith("assembly.audit.verify.")
            if own or top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY or module == "__future__":
                continue
            offending.append(f"{path.relative_to(VERIFY.parent)}:{line} imports {module}")

    assert len(sources) >= 10
    assert offending == []


def test_the_scan_catches_an_application_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import json\nfrom assembly.audit.log import merkle\nfrom . import tree\nimportlib.import_module('x')\n"
    )

    assert [m for _, m in imported_modules(sample)] == ["json", "assembly.audit.log", ".", "<dynamic import>"]
