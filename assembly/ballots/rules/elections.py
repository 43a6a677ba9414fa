"""Elections: one seat by absolute majority with a second ballot, several seats by most votes, lots.

Pure functions over the votes each candidate received (``{candidate_id: votes}``, in members or in
weight as the ballot counts). Valid votes are the votes given to candidates: blank ballots and
abstentions are not counted (RONR: "excluding blanks and abstentions"; UN GA practice reports them
apart from "members present and voting"). The electronic ballot refuses malformed ballots when
they are cast, so there are no invalid ballots to count.

Ties are settled by lot (UN GA r.93), drawn by :func:`draw_lots` from a recorded seed so that
anyone can redraw it and get the same result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = (
    "ElectionResult",
    "LotDraw",
    "SecondBallot",
    "draw_lots",
    "second_ballot_candidates",
    "second_ballot_result",
    "several_seats_result",
    "single_seat_first_ballot",
)


@dataclass(frozen=True, slots=True)
class LotDraw:
    """A drawing of lots, with everything needed to redraw it."""

    seed_hex: str
    """The seed, hexadecimal."""
    candidates: tuple[str, ...]
    """Who took part in the draw, sorted by id."""
    places: int
    """How many of them the draw chose."""
    order: tuple[tuple[str, str], ...]
    """(candidate id, SHA-256 hex of seed || UTF-8 id) for every candidate, ascending digest first."""
    drawn: tuple[str, ...]
    """The first ``places`` candidates of ``order``."""
    arithmetic: str


@dataclass(frozen=True, slots=True)
class ElectionResult:
    """Who is elected, from which counts, and how."""

    elected: tuple[str, ...]
    """Candidate ids elected (empty when nobody is), in ranking order."""
    seats: int
    valid_votes: int
    """Votes given to candidates; blank ballots and abstentions excluded."""
    blank: int
    """Blank ballots and abstentions, reported and not counted."""
    ranking: tuple[tuple[str, int], ...]
    """(candidate id, votes), most votes first, equal votes by id (the order decides nothing)."""
    lot: LotDraw | None
    arithmetic: str


@dataclass(frozen=True, slots=True)
class SecondBallot:
    """The two candidates a single-seat second ballot is restricted to (UN GA r.93)."""

    candidates: tuple[str, ...]
    lot: LotDraw | None
    arithmetic: str


def draw_lots(candidates: Iterable[str], seed: bytes, *, places: int = 1) -> LotDraw:
    """Draw ``places`` of ``candidates`` by lot, reproducibly (UN GA r.93: a tie is decided by lot).

    Each candidate's ticket is SHA-256(seed || UTF-8 bytes of its id), in hexadecimal; tickets are
    sorted ascending and the first ``places`` candidates are drawn. The same seed and candidates
    always draw the same; another seed draws independently. The seed must be fixed and recorded
    before the draw and unknown to anyone who could still change the votes (the service takes it
    from the closed ballot's log).
    """
    ids = list(candidates)
    if not seed:
        raise ValueError("a lot needs a non-empty seed")
    if len(set(ids)) != len(ids):
        raise ValueError("each candidate enters a lot once")
    if any(not isinstance(c, str) or not c for c in ids):
        raise ValueError("candidate ids are non-empty strings")
    if not 1 <= places <= len(ids):
        raise ValueError(f"cannot draw {places} of {len(ids)} candidates")
    tickets = sorted((hashlib.sha256(seed + c.encode("utf-8")).hexdigest(), c) for c in ids)
    order = tuple((c, digest) for digest, c in tickets)
    drawn = tuple(c for c, _ in order[:places])
    listed = ", ".join(f"{c} {digest}" for c, digest in order)
    text = (f"lot for {places} of {len(ids)} ({', '.join(sorted(ids))}), seed {seed.hex()}: "
            f"SHA-256(seed || id) ascending: {listed}; drawn: {', '.join(drawn)}")
    return LotDraw(seed.hex(), tuple(sorted(ids)), places, order, drawn, text)


def _ranking(votes: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    if not votes:
        raise ValueError("an election needs at least one candidate")
    for candidate, count in votes.items():
        if not isinstance(candidate, str) or not candidate:
            raise ValueError("candidate ids are non-empty strings")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise ValueError(f"votes for {candidate} must be a non-negative integer, got {count!r}")
    return tuple(sorted(votes.items(), key=lambda item: (-item[1], item[0])))


def _check_blank(blank: int) -> None:
    if not isinstance(blank, int) or isinstance(blank, bool) or blank < 0:
        raise ValueError("blank must be a non-negative integer")


def _counts_text(ranking: tuple[tuple[str, int], ...], blank: int) -> str:
    valid = sum(v for _, v in ranking)
    return f"{', '.join(f'{c} {v}' for c, v in ranking)}; valid {valid}, blank {blank} not counted"


def single_seat_first_ballot(votes: Mapping[str, int], *, blank: int = 0) -> ElectionResult:
    """One seat: elected with an absolute majority of the valid votes, 2 x votes > valid.

    UN GA r.92-93 (majority of members present and voting); RONR (more than half of the votes
    cast, blanks and abstentions excluded). Two candidates at exactly half each have no majority,
    and with no valid votes nobody is elected. Without a winner a second ballot follows,
    restricted to :func:`second_ballot_candidates`.
    """
    _check_blank(blank)
    ranking = _ranking(votes)
    valid = sum(v for _, v in ranking)
    top = ranking[0][1]
    leaders = [c for c, v in ranking if v == top]
    elected = (leaders[0],) if 2 * top > valid else ()
    head = f"single seat, absolute majority of valid votes ({_counts_text(ranking, blank)}): "
    if elected:
        text = f"{head}2 x {top} = {2 * top} > {valid}, {elected[0]} elected"
    elif valid == 0:
        text = f"{head}no valid votes, nobody elected; a second ballot follows"
    else:
        text = (f"{head}highest {top} ({', '.join(leaders)}): 2 x {top} = {2 * top} <= {valid}, nobody elected; "
                "a second ballot between the two leaders follows")
    return ElectionResult(elected, 1, valid, blank, ranking, None, text)


def _top_places(
    ranking: tuple[tuple[str, int], ...], places: int, seed: bytes
) -> tuple[tuple[str, ...], LotDraw | None, str]:
    """The ``places`` best-placed candidates, a lot among those tied for the last place if needed."""
    if len(ranking) <= places:
        return tuple(c for c, _ in ranking), None, ""
    last = ranking[places - 1][1]
    sure = tuple(c for c, v in ranking if v > last)
    tied = [c for c, v in ranking if v == last]
    need = places - len(sure)
    if len(tied) == need:
        return sure + tuple(tied), None, ""
    lot = draw_lots(tied, seed, places=need)
    note = f"{', '.join(tied)} tied at {last} for {need} place(s), drawn by lot: {', '.join(lot.drawn)}"
    drawn = set(lot.drawn)
    # Keep ranking order (sure first, then the drawn in ranking order) so the result reads naturally.
    return sure + tuple(c for c in tied if c in drawn), lot, note


def second_ballot_candidates(votes: Mapping[str, int], seed: bytes) -> SecondBallot:
    """The two leaders of a first ballot without a winner (UN GA r.93: restricted to the top two).

    Candidates with more votes than the second-highest count go through; the places left go to
    those tied at that count, by :func:`draw_lots` when there are more of them than places (a tie
    for first place among three, or for second place among two or more). With only one or two
    candidates, all go through.
    """
    ranking = _ranking(votes)
    valid = sum(v for _, v in ranking)
    if 2 * ranking[0][1] > valid:
        raise ValueError(f"{ranking[0][0]} has an absolute majority: there is no second ballot")
    chosen, lot, note = _top_places(ranking, 2, seed)
    text = (f"second ballot restricted to the two leaders ({', '.join(f'{c} {v}' for c, v in ranking)}): "
            f"{note + '; ' if note else ''}{' and '.join(chosen)}")
    return SecondBallot(chosen, lot, text)


def second_ballot_result(votes: Mapping[str, int], seed: bytes, *, blank: int = 0) -> ElectionResult:
    """Second ballot for one seat: more votes wins; a tie is decided by lot (UN GA r.93).

    Restricted to two candidates, more votes is the absolute majority of the valid votes, except
    at a tie (including 0 to 0), which the lot decides.
    """
    _check_blank(blank)
    ranking = _ranking(votes)
    valid = sum(v for _, v in ranking)
    chosen, lot, note = _top_places(ranking, 1, seed)
    how = note if lot else f"most votes {ranking[0][1]}"
    text = f"second ballot, most votes ({_counts_text(ranking, blank)}): {how}; {chosen[0]} elected"
    return ElectionResult(chosen, 1, valid, blank, ranking, lot, text)


def several_seats_result(votes: Mapping[str, int], *, seats: int, seed: bytes, blank: int = 0) -> ElectionResult:
    """Several seats: the ``seats`` candidates with most votes are elected; ties for the last seat by lot.

    Plurality ("most votes") as the issue sets it; a candidate needs at least one vote, so seats
    for which not enough candidates received votes stay unfilled (said in the arithmetic). When
    more candidates are tied at the last elected count than seats remain, :func:`draw_lots` picks
    among them.
    """
    _check_blank(blank)
    if not isinstance(seats, int) or isinstance(seats, bool) or seats < 1:
        raise ValueError("seats must be an integer >= 1")
    ranking = _ranking(votes)
    valid = sum(v for _, v in ranking)
    with_votes = tuple((c, v) for c, v in ranking if v > 0)
    chosen, lot, note = _top_places(with_votes, seats, seed)
    parts = [f"{seats} seat(s), most votes ({_counts_text(ranking, blank)})"]
    if note:
        parts.append(note)
    if len(chosen) < seats:
        parts.append(f"{seats - len(chosen)} seat(s) unfilled: only {len(chosen)} candidate(s) received votes")
    text = "; ".join(parts) + f"; elected: {', '.join(chosen) if chosen else 'nobody'}"
    return ElectionResult(chosen, seats, valid, blank, ranking, lot, text)
