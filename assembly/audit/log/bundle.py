"""The offline bundle: what an auditor downloads and ``assembly verify`` checks.

Four files (docs/audit-log-spec.md, "Bundle layout"), in a directory or at the root of a zip:

- ``entries.jsonl``: one line per entry in log order, each the JSON string of the standard
  base64 (with padding) of the entry's exact bytes, ending with a newline;
- ``checkpoints.txt``: the signed checkpoint notes in increasing size order, each followed by
  one empty line;
- ``public_key.txt``: the log's verifier key and a newline;
- ``manifest.json``: canonical JSON ``{"format": "assembly-audit-bundle/1", "origin": ...}`` and,
  optionally, ``generated_ms``.
"""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from assembly.audit.log.canonical import canonicalize, check_origin

__all__ = (
    "BUNDLE_FORMAT",
    "CHECKPOINTS_FILE",
    "ENTRIES_FILE",
    "MANIFEST_FILE",
    "PUBLIC_KEY_FILE",
    "bundle_files",
    "write_bundle_directory",
    "zip_bundle",
)

BUNDLE_FORMAT = "assembly-audit-bundle/1"
ENTRIES_FILE = "entries.jsonl"
CHECKPOINTS_FILE = "checkpoints.txt"
PUBLIC_KEY_FILE = "public_key.txt"
MANIFEST_FILE = "manifest.json"

# Zip members get a fixed timestamp so the same bundle always gives the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def bundle_files(
    *,
    origin: str,
    vkey: str,
    entries: Iterable[bytes],
    checkpoints: Sequence[str],
    generated_ms: int | None = None,
) -> dict[str, bytes]:
    """The four bundle files, by name. ``checkpoints`` are signed notes in increasing size order."""
    check_origin(origin)
    lines = [b'"' + base64.b64encode(entry) + b'"\n' for entry in entries]
    manifest: dict[str, object] = {"format": BUNDLE_FORMAT, "origin": origin}
    if generated_ms is not None:
        manifest["generated_ms"] = generated_ms
    return {
        ENTRIES_FILE: b"".join(lines),
        CHECKPOINTS_FILE: "".join(note + "\n" for note in checkpoints).encode("utf-8"),
        PUBLIC_KEY_FILE: (vkey + "\n").encode("utf-8"),
        MANIFEST_FILE: canonicalize(manifest) + b"\n",
    }


def zip_bundle(files: Mapping[str, bytes]) -> bytes:
    """A deterministic zip of the bundle files (sorted names, fixed timestamps, deflated)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name])
    return buffer.getvalue()


def write_bundle_directory(files: Mapping[str, bytes], directory: Path) -> None:
    """Write the bundle files into ``directory`` (created if missing)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_bytes(content)
