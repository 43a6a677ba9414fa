"""Pure rules of positions and webhooks: SDG tags, document symbols, versions, signatures, retries, targets.

No I/O here: the services call these with the values they read, and the tests call them directly.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from assembly.assemblies.rules import Refusal
from assembly.positions.sdg import GOALS, is_known

__all__ = (
    "EVENTS",
    "LANGUAGES",
    "backoff_seconds",
    "normalize_sdgs",
    "pattern_refusal",
    "series_of",
    "sign",
    "signature_header",
    "symbol_of",
    "target_refusal",
    "url_refusal",
    "verify_signature",
    "version_kind",
)

LANGUAGES = ("en", "fr", "es")
"""The network's working languages (UCLG): English, French, Spanish."""

EVENTS = ("position.published", "position.corrected")
"""Events a subscriber may ask for: a new position; a new version of one (translation, correction, metadata)."""


def _goal_sort_key(code: str) -> tuple[int, int, str]:
    goal, _, target = code.partition(".")
    if not target:
        return int(goal), -1, ""
    return (int(goal), int(target), "") if target.isdigit() else (int(goal), 1000, target)


def normalize_sdgs(codes: Iterable[str], *, field: str = "sdgs") -> list[str] | Refusal:
    """SDG tags checked against the 17 goals and 169 targets (``sdg.py``), deduplicated, in UN order.

    A goal is ``"11"`` (``"SDG 11"`` and ``"Goal 11"`` are accepted and written ``"11"``); a target is
    ``"11.3"`` or ``"11.a"``. Anything else is refused (422 ``unknown_sdg``) naming every bad code.
    """
    cleaned: list[str] = []
    unknown: list[str] = []
    for raw in codes:
        code = raw.strip().lower().removeprefix("sdg").removeprefix("goal").strip()
        if is_known(code):
            if code not in cleaned:
                cleaned.append(code)
        else:
            unknown.append(raw)
    if unknown:
        return Refusal("unknown_sdg", f"not an SDG goal (1 to {len(GOALS)}) or target (e.g. 11.3, 11.a): "
                       + ", ".join(repr(u) for u in unknown), kind="invalid", field=field)
    return sorted(cleaned, key=_goal_sort_key)


def series_of(pattern: str, year: int) -> str:
    """The series a symbol belongs to: the pattern with its year filled in (numbers run per series)."""
    return pattern.replace("{year}", str(year))


def symbol_of(pattern: str, year: int, number: int) -> str:
    """``UCLG/WC/{year}/RES/{number}`` for 2026 and 3 -> ``UCLG/WC/2026/RES/3`` (UN document symbol style)."""
    return series_of(pattern, year).replace("{number}", str(number))


def pattern_refusal(pattern: str) -> Refusal | None:
    """A pattern must hold ``{number}`` once, may hold ``{year}``, and nothing else in braces."""
    rest = pattern.replace("{number}", "", 1).replace("{year}", "")
    if "{number}" not in pattern or "{" in rest or "}" in rest or not pattern.strip():
        return Refusal("bad_symbol_pattern", "a pattern holds {number} once and may hold {year}, "
                       "e.g. UCLG/WC/{year}/RES/{number}", kind="invalid", field="pattern")
    return None


def version_kind(existing_languages: Sequence[str], language: str, *, text_given: bool) -> str:
    """A new text in a language with none yet is a translation; otherwise a correction; no text: metadata."""
    if not text_given:
        return "metadata"
    return "correction" if language in existing_languages else "translation"


# -- Webhooks ---------------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 (RFC 2104) over ``"<timestamp>." + body``, lowercase hex; the timestamp defeats replays."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Assembly-Signature`` header: ``t=<unix seconds>,v1=<hex>``."""
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify_signature(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """What a subscriber does: parse the header, recompute, compare in constant time, check freshness."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), parts.get("v1", ""))


def backoff_seconds(attempts: int, *, base: float, cap: float, jitter: float) -> float:
    """Delay before the next attempt after ``attempts`` failures: exponential, capped, with "full jitter".

    ``jitter`` is a number in [0, 1) the caller draws; the delay is uniform in [0, min(cap, base x 2^(n-1))]
    (AWS Architecture Blog, "Exponential Backoff and Jitter"): receivers that failed together do not
    all get retried at the same instant.
    """
    ceiling = min(cap, base * 2.0 ** max(0, attempts - 1))
    return ceiling * jitter


def url_refusal(url: str) -> Refusal | None:
    """A subscriber URL: http(s) with a host, no credentials in it (422 ``bad_webhook_url``)."""
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return Refusal("bad_webhook_url", "not a valid URL", kind="invalid", field="url")
    if parts.scheme not in {"https", "http"}:
        return Refusal("bad_webhook_url", f"the scheme must be https (or http where allowed), got "
                       f"{parts.scheme or 'none'!r}", kind="invalid", field="url")
    if not parts.hostname:
        return Refusal("bad_webhook_url", "the URL names no host", kind="invalid", field="url")
    if parts.username or parts.password:
        return Refusal("bad_webhook_url", "credentials do not belong in the URL; the shared secret signs each "
                       "delivery", kind="invalid", field="url")
    return None


def target_refusal(url: str, addresses: Sequence[str], *, allow_private: bool) -> Refusal | None:
    """Where private targets are forbidden: https only, and every address the host resolves to is global.

    ``addresses`` are what the host name resolved to (an IP literal resolves to itself). Loopback,
    private, link-local (cloud metadata at 169.254.169.254), multicast and reserved addresses are
    refused so that a subscriber URL cannot make the server reach into its own network (SSRF).
    """
    if allow_private:
        return None
    if urlsplit(url).scheme != "https":
        return Refusal("bad_webhook_url", "the scheme must be https", kind="invalid", field="url")
    if not addresses:
        return Refusal("bad_webhook_url", "the host does not resolve", kind="invalid", field="url")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global:
            return Refusal("bad_webhook_url", f"the host resolves to a non-routable address ({ip})",
                           kind="invalid", field="url")
    return None
