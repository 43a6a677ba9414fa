"""Pure rules of positions: the SDG data, tags, symbols, signatures, retry delays, webhook targets."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from assembly.assemblies.rules import Refusal
from assembly.positions.formats import csv_text
from assembly.positions.rules import (
    backoff_seconds,
    normalize_sdgs,
    pattern_refusal,
    sign,
    signature_header,
    symbol_of,
    target_refusal,
    url_refusal,
    verify_signature,
    version_kind,
)
from assembly.positions.sdg import GOALS, TARGETS, is_known


def test_the_vendored_framework_has_17_goals_and_169_targets() -> None:
    assert sorted(GOALS) == list(range(1, 18))
    assert sum(len(codes) for codes in TARGETS.values()) == 169
    assert len(TARGETS[17]) == 19
    assert TARGETS[17][-1] == "17.19"
    assert TARGETS[11][-3:] == ("11.a", "11.b", "11.c")
    assert all(code.startswith(f"{goal}.") for goal, codes in TARGETS.items() for code in codes)
    assert is_known("11")
    assert is_known("11.3")
    assert is_known("14.c")
    assert not is_known("18")
    assert not is_known("11.8")
    assert not is_known("17.a")
    assert not is_known("0")


def test_sdg_tags_are_normalized_or_refused() -> None:
    assert normalize_sdgs(["13", "SDG 11", "11.a", "11.3", "11", "Goal 5"]) == ["5", "11", "11.3", "11.a", "13"]
    refused = normalize_sdgs(["11", "18", "1.9"])
    assert isinstance(refused, Refusal)
    assert (refused.code, refused.field) == ("unknown_sdg", "sdgs")
    assert "'18'" in refused.message
    assert "'1.9'" in refused.message


def test_symbols_and_patterns() -> None:
    assert symbol_of("UCLG/WC/{year}/RES/{number}", 2026, 3) == "UCLG/WC/2026/RES/3"
    assert pattern_refusal("UCLG/WC/{year}/RES/{number}") is None
    for bad in ("UCLG/WC/{year}", "UCLG/{number}/{number}", "UCLG/{other}/{number}", "  "):
        assert pattern_refusal(bad) is not None, bad
    assert version_kind(["en"], "fr", text_given=True) == "translation"
    assert version_kind(["en", "fr"], "fr", text_given=True) == "correction"
    assert version_kind(["en"], "en", text_given=False) == "metadata"


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"event":"position.published"}'
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("s3cret", 1700000000, body) == expected
    header = signature_header("s3cret", 1700000000, body)
    assert header == f"t=1700000000,v1={expected}"
    assert verify_signature("s3cret", header, body, now=1700000100)
    assert not verify_signature("other", header, body, now=1700000100)
    assert not verify_signature("s3cret", header, body + b" ", now=1700000100)
    assert not verify_signature("s3cret", header, body, now=1700000000 + 301)  # a replay, too late
    assert not verify_signature("s3cret", "garbage", body, now=1700000000)


@pytest.mark.parametrize("attempts", [1, 2, 3, 10, 40])
def test_backoff_is_exponential_capped_and_jittered(attempts: int) -> None:
    ceiling = min(60.0, 2.0 * 2 ** (attempts - 1))
    assert backoff_seconds(attempts, base=2, cap=60, jitter=0.0) == 0
    assert backoff_seconds(attempts, base=2, cap=60, jitter=0.5) == ceiling / 2
    assert backoff_seconds(attempts, base=2, cap=60, jitter=0.999) <= ceiling


def test_webhook_targets() -> None:
    assert url_refusal("https://hooks.example.org/assembly") is None
    assert url_refusal("http://127.0.0.1:8080/hook") is None  # the scheme is fine; the target check decides
    for bad in ("ftp://example.org/", "file:///etc/passwd", "https:///nohost", "https://u:p@example.org/"):
        assert url_refusal(bad) is not None, bad
    assert target_refusal("https://example.org/", ["93.184.215.14"], allow_private=False) is None
    assert target_refusal("http://example.org/", ["93.184.215.14"], allow_private=False) is not None
    for address in ("127.0.0.1", "10.0.0.8", "192.168.1.1", "169.254.169.254", "::1", "fe80::1%eth0", "0.0.0.0"):
        assert target_refusal("https://example.org/", ["93.184.215.14", address], allow_private=False) is not None
    assert target_refusal("https://nowhere.invalid/", [], allow_private=False) is not None
    assert target_refusal("http://127.0.0.1/", ["127.0.0.1"], allow_private=True) is None


def test_csv_cells_that_a_spreadsheet_would_run_are_defused() -> None:
    text = csv_text(["name", "n"], [["=HYPERLINK(\"x\")", 1], ["Barcelona, ES", -2], [None, "@x"]])
    assert text.split("\r\n") == ["name,n", "\"'=HYPERLINK(\"\"x\"\")\",1", "\"Barcelona, ES\",'-2", ",'@x", ""]
