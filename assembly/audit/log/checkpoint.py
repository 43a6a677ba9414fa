"""Checkpoints (C2SP tlog-checkpoint) signed as C2SP signed notes with Ed25519.

- A checkpoint body is three lines: the log origin, the tree size in decimal, the base64 root.
  This log writes no extension lines and refuses checkpoints that carry any.
- A signed note is the text, an empty line, then one line per signature:
  ``"\u2014 " + key name + " " + base64(key id (4 bytes) || Ed25519 signature (64 bytes)) + "\\n"``.
- Key id = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]; the log's key name is
  its origin.
- A verifier key (vkey) is ``name+<8 lowercase hex key id>+base64(0x01 || public key)``; a
  signer key (skey, as golang.org/x/mod/sumdb/note writes them) is
  ``PRIVATE+KEY+name+<hex key id>+base64(0x01 || 32-byte seed)``.

Sources: c2sp.org/signed-note@v1.0.0, c2sp.org/tlog-checkpoint@v1.0.0, RFC 8032.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = (
    "ED25519_TYPE",
    "EM_DASH",
    "MAX_SIGNATURES",
    "Checkpoint",
    "NoteError",
    "NoteSigner",
    "NoteVerifier",
    "OpenedNote",
    "key_id",
    "open_note",
    "sign_checkpoint",
    "sign_note",
    "verify_checkpoint",
)

ED25519_TYPE = 0x01
"""Signature type byte of plain Ed25519 signatures in c2sp.org/signed-note."""

EM_DASH = "\u2014"
MAX_SIGNATURES = 100
"""Most signature lines read from one note (the spec asks verifiers to accept at least 16)."""

_KEY_NAME = re.compile(r"[^\s+]+")
_HEX_ID = re.compile(r"[0-9a-f]{8}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
_MAX_SIZE = 2**63 - 1


class NoteError(ValueError):
    """A malformed key, note or checkpoint, or a signature that does not verify."""


def _b64decode(text: str, what: str) -> bytes:
    """Strict standard base64 with padding: the text must be the canonical encoding of its bytes."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} is not base64") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def key_id(name: str, public_key: bytes) -> bytes:
    """C2SP key id of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519_TYPE]) + public_key).digest()[:4]


def _check_key_name(name: str) -> None:
    if not _KEY_NAME.fullmatch(name):
        raise NoteError(f"key name {name!r} is empty or contains a space or '+'")


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class NoteVerifier:
    """A trusted Ed25519 note key: its name, key id and public key."""

    name: str
    key_id: bytes
    public_key: bytes

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> NoteVerifier:
        _check_key_name(name)
        if len(public_key) != 32:
            raise NoteError("an Ed25519 public key is 32 bytes")
        return cls(name, key_id(name, public_key), public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Parse ``name+hexkeyid+base64(0x01 || public key)``; the key id must recompute."""
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key is name+keyid+key")
        name, hex_id, material = parts
        _check_key_name(name)
        if not _HEX_ID.fullmatch(hex_id):
            raise NoteError("the key id of a verifier key is 8 lowercase hexadecimal digits")
        raw = _b64decode(material, "verifier key")
        if len(raw) != 33 or raw[0] != ED25519_TYPE:
            raise NoteError("the verifier key is not an Ed25519 key (type 0x01 and 32 bytes)")
        verifier = cls.from_public_key(name, raw[1:])
        if verifier.key_id.hex() != hex_id:
            raise NoteError("the key id does not match the key name and public key")
        return verifier

    @property
    def vkey(self) -> str:
        """The verifier key string, as published."""
        material = base64.b64encode(bytes([ED25519_TYPE]) + self.public_key).decode("ascii")
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class NoteSigner:
    """An Ed25519 note signing key. Keep it out of the database (docs/audit-log-spec.md, "Keys")."""

    name: str
    seed: bytes

    def __post_init__(self) -> None:
        _check_key_name(self.name)
        if len(self.seed) != 32:
            raise NoteError("an Ed25519 private key (seed) is 32 bytes")

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        """Parse ``PRIVATE+KEY+name+hexkeyid+base64(0x01 || seed)``; the key id must recompute."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("a signer key is PRIVATE+KEY+name+keyid+key")
        name, hex_id, material = parts[2:]
        raw = _b64decode(material, "signer key")
        if len(raw) != 33 or raw[0] != ED25519_TYPE:
            raise NoteError("the signer key is not an Ed25519 key (type 0x01 and 32 bytes)")
        signer = cls(name, raw[1:])
        if signer.verifier.key_id.hex() != hex_id:
            raise NoteError("the key id does not match the key name and public key")
        return signer

    @property
    def skey(self) -> str:
        material = base64.b64encode(bytes([ED25519_TYPE]) + self.seed).decode("ascii")
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id.hex()}+{material}"

    @property
    def verifier(self) -> NoteVerifier:
        public = _raw_public(Ed25519PrivateKey.from_private_bytes(self.seed).public_key())
        return NoteVerifier.from_public_key(self.name, public)

    def sign(self, message: bytes) -> bytes:
        """Ed25519 (RFC 8032, pure) signature of ``message``: deterministic, 64 bytes."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    if _CONTROL.search(text):
        raise NoteError("note text contains a control character other than newline")


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    """Sign ``text`` (which ends with a newline) with each signer; return the signed note."""
    _check_text(text)
    if not signers:
        raise NoteError("a signed note needs at least one signature")
    message = text.encode("utf-8")
    lines = []
    for signer in signers:
        blob = signer.verifier.key_id + signer.sign(message)
        lines.append(f"{EM_DASH} {signer.name} {base64.b64encode(blob).decode('ascii')}\n")
    return text + "\n" + "".join(lines)


@dataclass(frozen=True)
class OpenedNote:
    """A note whose signatures were checked: its text and the names of the keys that signed it."""

    text: str
    verified_by: tuple[str, ...]


def open_note(note: str | bytes, verifiers: Iterable[NoteVerifier]) -> OpenedNote:
    """Verify a signed note against trusted keys and return its text.

    Rules (c2sp.org/signed-note): valid UTF-8 without control characters other than newline;
    text and signatures separated by the last empty line; each signature line is
    ``"\u2014 " name " " base64(4-byte key id || signature)``; signatures by unknown keys (name
    and key id not both matching a trusted key) are ignored; a signature by a trusted key that
    fails to verify rejects the note; at least one trusted key must have signed. Raises NoteError.
    """
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("note is not UTF-8") from None
    _check_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("note has no empty line before its signatures")
    text, signature_block = note[: split + 1], note[split + 2 :]
    if not signature_block:
        raise NoteError("note has no signature lines")
    lines = signature_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    trusted = {(v.name, v.key_id): v for v in verifiers}
    message = text.encode("utf-8")
    verified: list[str] = []
    for line in lines:
        prefix, _, rest = line.partition(" ")
        name, _, encoded = rest.partition(" ")
        if prefix != EM_DASH or not name or not encoded or " " in encoded:
            raise NoteError(f"malformed signature line {line!r}")
        _check_key_name(name)
        blob = _b64decode(encoded, "signature")
        if len(blob) < 5:
            raise NoteError("signature is shorter than a key id and one byte")
        verifier = trusted.get((name, blob[:4]))
        if verifier is None:
            continue
        if len(blob) != 4 + 64 or not verifier.verify(message, blob[4:]):
            raise NoteError(f"signature by {name} does not verify")
        verified.append(name)
    if not verified:
        raise NoteError("no signature by a trusted key")
    return OpenedNote(text, tuple(verified))


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed statement of its size and root (c2sp.org/tlog-checkpoint)."""

    origin: str
    size: int
    root: bytes

    def __post_init__(self) -> None:
        _check_key_name(self.origin)
        if not 0 <= self.size <= _MAX_SIZE:
            raise NoteError("checkpoint size out of range")
        if len(self.root) != 32:
            raise NoteError("checkpoint root is 32 bytes")

    def body(self) -> str:
        """The note text: origin, size and base64 root, each on its own line."""
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode('ascii')}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse a checkpoint body; refuses extension lines, leading zeros and non-canonical base64."""
        if not text.endswith("\n"):
            raise NoteError("checkpoint must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) != 3:
            raise NoteError(f"checkpoint has {len(lines)} lines, not 3 (no extension lines)")
        origin, size, root = lines
        if not _DECIMAL.fullmatch(size) or int(size) > _MAX_SIZE:
            raise NoteError("checkpoint size is not a decimal number without leading zeros")
        raw = _b64decode(root, "checkpoint root")
        if len(raw) != 32:
            raise NoteError("checkpoint root is not 32 bytes")
        return cls(origin, int(size), raw)


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> str:
    """The signed note of ``checkpoint``; the signer's key name must be the origin."""
    if signer.name != checkpoint.origin:
        raise NoteError("the log key's name must be the checkpoint's origin")
    return sign_note(checkpoint.body(), [signer])


def verify_checkpoint(note: str | bytes, verifier: NoteVerifier) -> Checkpoint:
    """Open a signed checkpoint with the log's key and parse it; its origin must be the key name."""
    checkpoint = Checkpoint.parse(open_note(note, [verifier]).text)
    if checkpoint.origin != verifier.name:
        raise NoteError(f"checkpoint origin {checkpoint.origin!r} is not the log key's name {verifier.name!r}")
    return checkpoint
