"""Verifier keys, signed notes and checkpoints (c2sp.org/signed-note, c2sp.org/tlog-checkpoint).

Written from the C2SP texts and the spec ("Checkpoints"), independently of the application.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ("Key", "NoteProblem", "SignedCheckpoint", "open_checkpoint", "parse_key", "split_notes")

DASH = "\u2014"
MAX_SIGNATURE_LINES = 100


class NoteProblem(Exception):
    """A key, note or checkpoint that fails; ``code`` is the verifier error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _base64(text: str) -> bytes | None:
    """Standard base64 with padding, canonical (re-encodes to the same text), else None."""
    if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", text) or len(text) % 4:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


@dataclass(frozen=True)
class Key:
    """The log's Ed25519 note key."""

    name: str
    key_id: bytes
    public: bytes
    text: str


def parse_key(text: str) -> Key:
    """Parse a vkey ``name+hexkeyid+base64(0x01 || 32-byte public key)`` (error code E004)."""
    name, plus1, rest = text.partition("+")
    hex_id, plus2, material = rest.partition("+")
    if not (plus1 and plus2):
        raise NoteProblem("E004", "the public key is not name+keyid+key")
    if not name or re.search(r"[\s+]", name):
        raise NoteProblem("E004", "the key name is empty or holds a space or '+'")
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise NoteProblem("E004", "the key id is not 8 lowercase hexadecimal digits")
    raw = _base64(material)
    if raw is None or len(raw) != 33 or raw[0] != 0x01:
        raise NoteProblem("E004", "the key is not base64 of 0x01 followed by a 32-byte Ed25519 public key")
    computed = hashlib.sha256(name.encode("utf-8") + b"\x0a\x01" + raw[1:]).digest()[:4]
    if computed.hex() != hex_id:
        raise NoteProblem("E004", f"the key id {hex_id} is not SHA-256(name, 0x0A, 0x01, key)[:4] = {computed.hex()}")
    return Key(name, computed, raw[1:], text)


def split_notes(content: bytes) -> list[str]:
    """Split checkpoints.txt into signed notes: each note is followed by one empty line (E200)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteProblem("E200", "checkpoints.txt is not UTF-8") from None
    if not text:
        raise NoteProblem("E200", "checkpoints.txt holds no checkpoint")
    if not text.endswith("\n\n"):
        raise NoteProblem("E200", "checkpoints.txt does not end with a note and an empty line")
    # A checkpoint body and a signature block hold no empty line, so the file alternates
    # body, signatures, body, signatures ... separated by empty lines.
    blocks = text[:-2].split("\n\n")
    if len(blocks) % 2:
        raise NoteProblem("E200", "checkpoints.txt does not alternate checkpoint bodies and signature lines")
    return [blocks[i] + "\n\n" + blocks[i + 1] + "\n" for i in range(0, len(blocks), 2)]


@dataclass(frozen=True)
class SignedCheckpoint:
    origin: str
    size: int
    root: bytes


def open_checkpoint(note: str, key: Key) -> SignedCheckpoint:
    """Check the log's signature on a note, then read the checkpoint it signs.

    Codes: E200 malformed note or checkpoint body, E202 no valid signature by the log key,
    E203 origin differs from the key name.
    """
    if re.search(r"[\x00-\x09\x0b-\x1f]", note):
        raise NoteProblem("E200", "the note holds a control character other than newline")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteProblem("E200", "the note has no empty line before its signatures")
    text, signatures = note[: cut + 1], note[cut + 2 : -1]
    lines = signatures.split("\n") if signatures else []
    if not lines or len(lines) > MAX_SIGNATURE_LINES:
        raise NoteProblem("E200", f"the note has {len(lines)} signature lines")
    _check_signatures(text, lines, key)
    body = text[:-1].split("\n")
    if len(body) != 3:
        raise NoteProblem("E200", f"the checkpoint has {len(body)} lines, not origin, size and root")
    origin, size, root_text = body
    if not re.fullmatch(r"0|[1-9][0-9]{0,18}", size):
        raise NoteProblem("E200", f"the size {size[:30]!r} is not a decimal number without leading zeros")
    root = _base64(root_text)
    if root is None or len(root) != 32:
        raise NoteProblem("E200", "the root is not the base64 of 32 bytes")
    if origin != key.name:
        raise NoteProblem("E203", f"the checkpoint origin {origin!r} is not the log's {key.name!r}")
    return SignedCheckpoint(origin, int(size), root)


def _check_signatures(text: str, lines: list[str], key: Key) -> None:
    """E202 unless the log key signed ``text`` and none of its signatures fails."""
    signed = False
    for line in lines:
        match = re.fullmatch(f"{DASH} ([^\\s+]+) ([A-Za-z0-9+/=]+)", line)
        blob = _base64(match.group(2)) if match else None
        if match is None or blob is None or len(blob) < 5:
            raise NoteProblem("E200", f"malformed signature line {line[:80]!r}")
        if match.group(1) != key.name or blob[:4] != key.key_id:
            continue  # another key (a witness, say): ignored, as c2sp.org/signed-note requires
        try:
            if len(blob) != 68:
                raise InvalidSignature
            Ed25519PublicKey.from_public_bytes(key.public).verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise NoteProblem("E202", "the log key's signature does not verify") from None
        signed = True
    if not signed:
        raise NoteProblem("E202", "no signature by the log key")
