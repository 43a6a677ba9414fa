"""Message catalogues of the web client: every key the code uses is in English; French and Spanish
cover the delegate's voting flow; placeholders agree across languages."""

from __future__ import annotations

import json
import re

from assembly.web.controllers import STATIC_DIR

CATALOGUES = STATIC_DIR / "i18n"
VOTING_FLOW = ("nav.", "auth.", "live.", "ballot.", "outcome.", "receipt.", "delegate.", "common.loading")
DYNAMIC = {  # keys built at run time from a value the API returns: every value must be present
    "ballot.option.": ("yes", "no", "abstain"),
    "ballot.status.": ("draft", "open", "closed"),
    "outcome.": ("adopted", "rejected", "no_quorum", "elected", "second_ballot_required", "none_elected"),
    "agenda.status.": ("pending", "open", "closed", "deferred"),
    "agenda.kind.": ("debate", "motion", "election", "information", "procedural"),
    "live.": ("live", "reconnecting", "polling"),
}


def _load(lang: str) -> dict[str, str]:
    return dict(json.loads((CATALOGUES / f"{lang}.json").read_text(encoding="utf-8")))


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for path in (STATIC_DIR / "js").rglob("*.js"):
        keys |= set(re.findall(r'\bt\("([a-z_]+\.[a-z_.]+)"', path.read_text(encoding="utf-8")))
    return keys


def test_english_has_every_key_the_code_uses() -> None:
    english = _load("en")
    missing = sorted(k for k in _used_keys() if k not in english)
    assert not missing
    for prefix, values in DYNAMIC.items():
        assert all(f"{prefix}{v}" in english for v in values), prefix


def test_french_and_spanish_cover_the_voting_flow_with_the_same_placeholders() -> None:
    english = _load("en")
    flow = [k for k in english if k.startswith(VOTING_FLOW)]
    assert len(flow) > 40
    for lang in ("fr", "es"):
        catalogue = _load(lang)
        assert sorted(k for k in flow if k not in catalogue) == [], lang
        assert set(catalogue) <= set(english), lang
        for key, text in catalogue.items():
            assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", english[key])), (lang, key)
            assert text != english[key] or key in {"nav.public", "ballot.option", "ballot.option.no"}, (lang, key)
