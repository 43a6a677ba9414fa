"""Reading a bundle: a directory, a zip, or a JSON document holding the four files of the spec (section 7)."""

from __future__ import annotations

import binascii
import json
import re
import zipfile
from pathlib import Path
from typing import Any

__all__ = ("FILES", "BundleProblem", "lines_between", "parse_entry_lines", "parse_manifest", "read_bundle")

ENTRIES = "entries.jsonl"
CHECKPOINTS = "checkpoints.txt"
PUBLIC_KEY = "public_key.txt"
MANIFEST = "manifest.json"
FILES = (ENTRIES, CHECKPOINTS, PUBLIC_KEY, MANIFEST)
FORMAT = "assembly-audit-bundle/1"
MAX_FILE_BYTES = 1 << 30  # refuse anything larger than 1 GiB rather than exhaust memory
ORIGIN = re.compile(r"[\x21-\x2a\x2c-\x7e]{1,255}\Z")


class BundleProblem(Exception):
    """The bundle cannot be read as the spec lays it out; ``code`` is the verifier error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def read_bundle(path: Path) -> tuple[dict[str, bytes], list[str]]:
    """The bundle files by name, and the names of other files found (which are ignored).

    E001: the path is neither a directory nor a readable zip, a file is too large, or a zip
    member is duplicated; E002: one of the four files is missing.
    """
    if path.is_dir():
        found, others = _read_directory(path)
    elif path.is_file() and not zipfile.is_zipfile(path) and _starts_like_json(path):
        found, others = _read_document(path)
    elif path.is_file():
        found, others = _read_zip(path)
    else:
        raise BundleProblem("E001", f"{path} is neither a directory nor a file")
    missing = [name for name in FILES if name not in found]
    if missing:
        raise BundleProblem("E002", f"missing {', '.join(missing)}")
    return found, others


def _read_directory(path: Path) -> tuple[dict[str, bytes], list[str]]:
    found: dict[str, bytes] = {}
    others: list[str] = []
    for child in sorted(path.iterdir()):
        if child.name in FILES and child.is_file():
            if child.stat().st_size > MAX_FILE_BYTES:
                raise BundleProblem("E001", f"{child.name} is larger than 1 GiB")
            found[child.name] = child.read_bytes()
        else:
            others.append(child.name)
    return found, others


def _starts_like_json(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(64).lstrip()[:1] == b"{"


def _read_document(path: Path) -> tuple[dict[str, bytes], list[str]]:
    """The API's form: one JSON object whose members are the file names and their exact texts."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BundleProblem("E001", f"{path.name} is larger than 1 GiB")
    try:
        value = json.loads(path.read_bytes().decode("utf-8"), object_pairs_hook=_document_object)
    except BundleProblem:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BundleProblem("E001", f"not a readable bundle document ({exc})") from None
    if not isinstance(value, dict):
        raise BundleProblem("E001", "the bundle document is not a JSON object")
    found: dict[str, bytes] = {}
    others: list[str] = []
    for name, content in value.items():
        if name not in FILES:
            others.append(name)
        elif not isinstance(content, str):
            raise BundleProblem("E001", f"{name} in the bundle document is not a string")
        else:
            found[name] = content.encode("utf-8")
    return found, sorted(others)


def _document_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise BundleProblem("E001", f"the bundle document holds {name} twice")
        result[name] = value
    return result


def _read_zip(path: Path) -> tuple[dict[str, bytes], list[str]]:
    found: dict[str, bytes] = {}
    others: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename not in FILES:
                    others.append(info.filename)
                    continue
                if info.filename in found:
                    raise BundleProblem("E001", f"the zip holds {info.filename} twice")
                if info.file_size > MAX_FILE_BYTES:
                    raise BundleProblem("E001", f"{info.filename} is larger than 1 GiB")
                found[info.filename] = archive.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError) as exc:
        raise BundleProblem("E001", f"not a readable zip file ({exc})") from None
    return found, others


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise BundleProblem("E003", f"manifest.json names {name!r} twice")
        result[name] = value
    return result


def parse_manifest(content: bytes) -> dict[str, Any]:
    """Read manifest.json (E003): ``format`` and ``origin`` required, ``generated_ms`` optional."""
    try:
        value = json.loads(content.decode("utf-8"), object_pairs_hook=_strict_object)
    except BundleProblem:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BundleProblem("E003", f"manifest.json is not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise BundleProblem("E003", "manifest.json is not a JSON object")
    unknown = sorted(set(value) - {"format", "origin", "generated_ms"})
    if unknown:
        raise BundleProblem("E003", f"manifest.json has unknown members {unknown}")
    if value.get("format") != FORMAT:
        raise BundleProblem("E003", f"format is {value.get('format')!r}, not {FORMAT!r}")
    origin = value.get("origin")
    if not isinstance(origin, str) or not ORIGIN.match(origin):
        raise BundleProblem("E003", "origin is not 1-255 printable ASCII characters without space or '+'")
    generated = value.get("generated_ms", 0)
    if type(generated) is not int or generated < 0:
        raise BundleProblem("E003", "generated_ms is not a non-negative integer")
    return value


def parse_entry_lines(content: bytes) -> list[bytes]:
    """Decode entries.jsonl (E100): each line a JSON string of canonical standard base64."""
    if not content:
        return []
    if not content.endswith(b"\n"):
        raise BundleProblem("E100", "entries.jsonl does not end with a newline")
    fast = _all_lines(content)
    if fast is not None:
        return fast
    # Some line is wrong: read line by line, to name the first.
    lines = content.split(b"\n")
    lines.pop()  # the empty text after the final newline (no copy of the content without it)
    entries = []
    for number, line in enumerate(lines, start=1):
        raw = _line_bytes(line)
        if raw is None:
            raise BundleProblem("E100", f"line {number} (entry {number - 1}) is not a JSON string of base64")
        entries.append(raw)
    return entries


def _all_lines(content: bytes) -> list[bytes] | None:
    """Every line's bytes if all lines are right, else None; ``content`` ends with a newline.

    The file is '"' p1 '"\\n"' p2 ... '"\\n"' pn '"\\n' (at least 3 bytes). Cutting what lies between
    the first '"' and the final '"\\n' at each '"\\n"' yields the p's; as the strict decoder refuses
    '"' and newlines inside them, each line is then exactly '"' p '"'. The p's are cut one at a
    time (rather than by split) so that each is freed once decoded.
    """
    if len(content) < 3 or content[:1] != b'"' or content[-2:] != b'"\n':
        return None
    return lines_between(content, 1, len(content) - 2)


def lines_between(content: bytes, start: int, stop: int) -> list[bytes] | None:
    """The bytes of the lines whose texts fill content[start:stop] (from after a line's opening
    '"' to before a line's closing '"'), cut at each '"\\n"' as :func:`_all_lines` does; None if
    one of them is not canonical base64."""
    entries = []
    find, decode = content.find, binascii.a2b_base64
    try:
        while True:
            cut = find(b'"\n"', start, stop)
            piece = content[start:stop] if cut < 0 else content[start:cut]
            raw = decode(piece, strict_mode=True)
            if piece[-1:] == b"=" and not _zero_tail(piece, raw):
                return None
            entries.append(raw)
            if cut < 0:
                return entries
            start = cut + 3
    except (binascii.Error, ValueError):
        return None


def _zero_tail(text: bytes, raw: bytes) -> bool:
    """The bits the padding leaves unused are zero: the last group re-encodes to the last four characters."""
    tail = raw[-1:] if text.endswith(b"==") else raw[-2:]
    return binascii.b2a_base64(tail, newline=False) == text[-4:]


def _line_bytes(line: bytes) -> bytes | None:
    # A line is '"', canonical standard base64, '"'. The strict decoder refuses characters outside
    # the alphabet, missing, misplaced or excess padding; canonical also means the unused bits
    # before the padding are zero, i.e. the last group re-encodes to the text's last four characters.
    if len(line) < 2 or line[0] != 0x22 or line[-1] != 0x22:
        return None
    text = line[1:-1]
    try:
        raw = binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError):
        return None
    return raw if not text.endswith(b"=") or _zero_tail(text, raw) else None
