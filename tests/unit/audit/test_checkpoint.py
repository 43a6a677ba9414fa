"""Ed25519, signed notes and checkpoints: RFC 8032 and C2SP vectors, and every refusal.

Runs the application's implementation (assembly.audit.log.checkpoint) and, where it applies, the
verifier's independent one (assembly.audit.verify.notes).
"""

from __future__ import annotations

import base64
import json

import pytest

from assembly.audit.log.checkpoint import (
    Checkpoint,
    NoteError,
    NoteSigner,
    NoteVerifier,
    key_id,
    open_note,
    sign_checkpoint,
    sign_note,
    verify_checkpoint,
)
from assembly.audit.verify import notes as independent
from tests.unit.audit.conftest import GOLDEN_SEED, OTHER_SEED, VECTORS

ED25519 = json.loads((VECTORS / "ed25519_rfc8032.json").read_text())["vectors"]
NOTES = {v["name"]: v for v in json.loads((VECTORS / "signed_note.json").read_text(encoding="utf-8"))["vectors"]}
ORIGIN = "wa.example.org/audit/test"


@pytest.mark.parametrize("vector", ED25519, ids=lambda v: v["name"])
def test_rfc8032_vectors_sign_and_verify(vector: dict[str, str]) -> None:
    signer = NoteSigner("rfc8032", bytes.fromhex(vector["secret_key_hex"]))
    message, signature = bytes.fromhex(vector["message_hex"]), bytes.fromhex(vector["signature_hex"])

    assert signer.verifier.public_key.hex() == vector["public_key_hex"]
    assert signer.sign(message) == signature
    assert signer.verifier.verify(message, signature)
    assert not signer.verifier.verify(message + b"\x00", signature)


def test_the_c2sp_example_key_and_note_verify_in_both_implementations() -> None:
    vector = NOTES["c2sp-signed-note-example"]
    verifier = NoteVerifier.from_vkey(vector["vkey"])

    assert verifier.name == vector["key_name"]
    assert verifier.key_id.hex() == vector["key_id_hex"] == key_id(verifier.name, verifier.public_key).hex()
    assert verifier.vkey == vector["vkey"]
    assert open_note(vector["note"], [verifier]).text == vector["text"]
    key = independent.parse_key(vector["vkey"])
    assert (key.name, key.key_id.hex(), key.public) == (vector["key_name"], vector["key_id_hex"], verifier.public_key)


def test_signing_the_go_example_reproduces_its_note_byte_for_byte() -> None:
    vector = NOTES["go-sumdb-note-example"]
    signer = NoteSigner.from_skey(vector["skey"])

    assert signer.skey == vector["skey"]
    assert signer.verifier.vkey == vector["vkey"]
    assert signer.verifier.key_id.hex() == vector["key_id_hex"]
    assert sign_note(vector["text"], [signer]) == vector["note"]
    assert open_note(vector["note"].encode("utf-8"), [NoteVerifier.from_vkey(vector["vkey"])]).verified_by == (
        "PeterNeumann",
    )


def golden() -> NoteSigner:
    return NoteSigner(ORIGIN, GOLDEN_SEED)


def test_a_checkpoint_is_origin_size_and_base64_root_signed_by_the_log_key() -> None:
    signer = golden()
    checkpoint = Checkpoint(ORIGIN, 12, bytes(range(32)))
    note = sign_checkpoint(checkpoint, signer)

    body = f"{ORIGIN}\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    assert note.startswith(body + "\n\u2014 " + ORIGIN + " ")
    assert verify_checkpoint(note, signer.verifier) == checkpoint
    signed = independent.open_checkpoint(note, independent.parse_key(signer.verifier.vkey))
    assert (signed.origin, signed.size, signed.root) == (ORIGIN, 12, bytes(range(32)))


def test_signatures_by_unknown_keys_are_ignored_and_a_bad_one_by_the_log_key_rejects() -> None:
    signer, witness = golden(), NoteSigner("witness.example.org", OTHER_SEED)
    text = Checkpoint(ORIGIN, 3, b"\x07" * 32).body()
    both = sign_note(text, [witness, signer])
    key = independent.parse_key(signer.verifier.vkey)

    assert open_note(both, [signer.verifier]).verified_by == (ORIGIN,)
    assert independent.open_checkpoint(both, key).size == 3
    only_witness = sign_note(text, [witness])
    with pytest.raises(NoteError, match="no signature by a trusted key"):
        open_note(only_witness, [signer.verifier])
    with pytest.raises(independent.NoteProblem, match="no signature by the log key") as raised:
        independent.open_checkpoint(only_witness, key)
    assert raised.value.code == "E202"
    # A different key under the log's own name has another key id: ignored, so still unsigned.
    impostor = sign_note(text, [NoteSigner(ORIGIN, OTHER_SEED)])
    with pytest.raises(NoteError, match="no signature by a trusted key"):
        open_note(impostor, [signer.verifier])
    flipped = both[:-10] + ("A" if both[-10] != "A" else "B") + both[-9:]
    with pytest.raises(NoteError, match="does not verify"):
        open_note(flipped, [signer.verifier])
    with pytest.raises(independent.NoteProblem) as raised:
        independent.open_checkpoint(flipped, key)
    assert raised.value.code == "E202"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (f"{ORIGIN}\n012\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "leading zeros"),
        (f"{ORIGIN}\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", "leading zeros"),
        (f"{ORIGIN}\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\nextension\n", "not 3"),
        (f"{ORIGIN}\n12\n", "not 3"),
        (f"{ORIGIN}\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n", "not 32 bytes"),
        (f"{ORIGIN}\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n", "not canonical base64"),
        (f"{ORIGIN}\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n", "not base64"),
    ],
)
def test_malformed_checkpoint_bodies_are_refused_by_both(text: str, reason: str) -> None:
    signer = golden()
    note = sign_note(text, [signer])

    with pytest.raises(NoteError, match=reason):
        verify_checkpoint(note, signer.verifier)
    with pytest.raises(independent.NoteProblem) as raised:
        independent.open_checkpoint(note, independent.parse_key(signer.verifier.vkey))
    assert raised.value.code == "E200"


def test_a_checkpoint_of_another_origin_is_refused_even_when_the_log_key_signed_it() -> None:
    signer = golden()
    note = sign_note(Checkpoint("other.example.org/log", 1, b"\x01" * 32).body(), [signer])

    with pytest.raises(NoteError, match="is not the log key's name"):
        verify_checkpoint(note, signer.verifier)
    with pytest.raises(independent.NoteProblem) as raised:
        independent.open_checkpoint(note, independent.parse_key(signer.verifier.vkey))
    assert raised.value.code == "E203"
    with pytest.raises(NoteError, match="must be the checkpoint's origin"):
        sign_checkpoint(Checkpoint("other.example.org/log", 1, b"\x01" * 32), signer)


@pytest.mark.parametrize(
    "note",
    [
        "no signatures\n",
        "text\n\n",
        "text\n\n\u2014 name\n",
        "text\n\n- name AAAA\n",
        "text\n\n\u2014 name !!!!\n",
        "text\n\n\u2014 name AAAA\n",  # 3 bytes: shorter than a key id
        "text\twith a tab\n\n\u2014 name AAAAAAA=\n",
        "text without final newline\n\n\u2014 name AAAAAAA=",
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(NoteError):
        open_note(note, [golden().verifier])
    with pytest.raises(independent.NoteProblem):
        independent.open_checkpoint(note, independent.parse_key(golden().verifier.vkey))


@pytest.mark.parametrize(
    "vkey",
    [
        "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # wrong key id
        "example.com/foo+530D903A+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # uppercase id
        "example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # another name
        "example.com/foo+530d903a+AukyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",  # type byte 0x02
        "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2",  # not base64
        "example.com/foo+530d903a",
        "+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "example com+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
    ],
)
def test_malformed_verifier_keys_are_refused_by_both(vkey: str) -> None:
    with pytest.raises(NoteError):
        NoteVerifier.from_vkey(vkey)
    with pytest.raises(independent.NoteProblem) as raised:
        independent.parse_key(vkey)
    assert raised.value.code == "E004"


def test_signer_keys_round_trip_and_refuse_a_wrong_key_id() -> None:
    signer = golden()

    assert NoteSigner.from_skey(signer.skey) == signer
    wrong = signer.skey.replace(f"+{signer.verifier.key_id.hex()}+", "+00000000+")
    with pytest.raises(NoteError, match="key id"):
        NoteSigner.from_skey(wrong)
    with pytest.raises(NoteError, match="PRIVATE"):
        NoteSigner.from_skey(signer.verifier.vkey)
    with pytest.raises(NoteError, match="32 bytes"):
        NoteSigner(ORIGIN, b"\x00" * 31)
    material = base64.b64encode(b"\x01" + GOLDEN_SEED).decode()
    assert signer.skey.endswith(material)


def test_note_text_must_end_with_a_newline_and_hold_no_controls() -> None:
    with pytest.raises(NoteError, match="newline"):
        sign_note("no newline", [golden()])
    with pytest.raises(NoteError, match="control"):
        sign_note("bell\a\n", [golden()])
    with pytest.raises(NoteError, match="at least one"):
        sign_note("text\n", [])
