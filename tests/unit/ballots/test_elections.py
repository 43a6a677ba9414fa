"""Elections: absolute majority, second ballot, several seats, and reproducible lots."""

from __future__ import annotations

import hashlib

import pytest

from assembly.ballots.rules import (
    draw_lots,
    second_ballot_candidates,
    second_ballot_result,
    several_seats_result,
    single_seat_first_ballot,
)


def redraw(candidates: list[str], seed: bytes) -> list[str]:
    """An auditor's independent redraw from docs/procedures.md: sort by SHA-256(seed || id)."""
    return sorted(candidates, key=lambda c: hashlib.sha256(seed + c.encode("utf-8")).hexdigest())


def seed_drawing(candidates: list[str], first: str) -> bytes:
    """A seed under which ``first`` wins the draw among ``candidates`` (found by counting up)."""
    for n in range(1000):
        seed = f"seed-{n}".encode()
        if redraw(candidates, seed)[0] == first:
            return seed
    raise AssertionError("no seed found")  # pragma: no cover


# -- lots ------------------------------------------------------------------------------------------


def test_draw_is_reproducible_and_matches_an_independent_redraw() -> None:
    candidates = ["b", "c", "a", "d"]
    first = draw_lots(candidates, b"ballot-7-log-head", places=2)
    again = draw_lots(list(reversed(candidates)), b"ballot-7-log-head", places=2)
    assert first == again  # same seed, same candidates in any order: the same draw
    expected = redraw(candidates, b"ballot-7-log-head")
    assert [c for c, _ in first.order] == expected
    assert first.drawn == tuple(expected[:2])
    assert first.seed_hex == b"ballot-7-log-head".hex()
    assert first.candidates == ("a", "b", "c", "d")
    for candidate, digest in first.order:
        assert digest == hashlib.sha256(b"ballot-7-log-head" + candidate.encode()).hexdigest()
        assert f"{candidate} {digest}" in first.arithmetic


def test_another_seed_draws_differently() -> None:
    candidates = [f"candidate-{i}" for i in range(6)]
    orders = {tuple(c for c, _ in draw_lots(candidates, f"seed-{n}".encode(), places=6).order) for n in range(20)}
    assert len(orders) > 1
    assert draw_lots(candidates, seed_drawing(candidates, "candidate-0")).drawn == ("candidate-0",)
    assert draw_lots(candidates, seed_drawing(candidates, "candidate-5")).drawn == ("candidate-5",)


@pytest.mark.parametrize(
    ("candidates", "seed", "places", "message"),
    [
        (["a", "b"], b"", 1, "seed"),
        (["a", "a"], b"s", 1, "once"),
        (["a", ""], b"s", 1, "non-empty"),
        (["a", "b"], b"s", 3, "cannot draw"),
        (["a", "b"], b"s", 0, "cannot draw"),
    ],
)
def test_bad_draws_are_refused(candidates: list[str], seed: bytes, places: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        draw_lots(candidates, seed, places=places)


# -- one seat --------------------------------------------------------------------------------------


def test_clear_winner_on_the_first_ballot() -> None:
    result = single_seat_first_ballot({"a": 51, "b": 30, "c": 19}, blank=7)
    assert result.elected == ("a",)
    assert (result.valid_votes, result.blank, result.lot) == (100, 7, None)
    assert result.arithmetic == (
        "single seat, absolute majority of valid votes (a 51, b 30, c 19; valid 100, blank 7 not counted): "
        "2 x 51 = 102 > 100, a elected"
    )


@pytest.mark.parametrize(
    "votes",
    [
        {"a": 50, "b": 30, "c": 20},  # exactly half is not an absolute majority
        {"a": 50, "b": 50},  # two at half each
        {"a": 0, "b": 0},  # no valid votes
    ],
)
def test_no_absolute_majority_elects_nobody(votes: dict[str, int]) -> None:
    result = single_seat_first_ballot(votes, blank=100)  # blank ballots never help or hurt
    assert result.elected == ()
    assert "nobody elected" in result.arithmetic


def test_blank_ballots_do_not_count() -> None:
    # 40 of 79 valid is a majority although 40 of 79 + 21 blank would not be.
    assert single_seat_first_ballot({"a": 40, "b": 39}, blank=21).elected == ("a",)


def test_second_ballot_between_the_two_leaders() -> None:
    second = second_ballot_candidates({"a": 40, "b": 35, "c": 25}, b"seed")
    assert (second.candidates, second.lot) == (("a", "b"), None)
    assert second.arithmetic == "second ballot restricted to the two leaders (a 40, b 35, c 25): a and b"
    result = second_ballot_result({"a": 48, "b": 52}, b"seed", blank=3)
    assert (result.elected, result.lot) == (("b",), None)
    assert result.arithmetic.endswith("most votes 52; b elected")


def test_tie_for_second_place_is_drawn_by_lot() -> None:
    votes = {"a": 40, "b": 30, "c": 30}
    for winner in ("b", "c"):
        seed = seed_drawing(["b", "c"], winner)
        second = second_ballot_candidates(votes, seed)
        assert second.candidates == ("a", winner)
        assert second.lot is not None
        assert (second.lot.candidates, second.lot.places, second.lot.drawn) == (("b", "c"), 1, (winner,))
        assert f"b, c tied at 30 for 1 place(s), drawn by lot: {winner}" in second.arithmetic


def test_three_way_tie_for_first_draws_two() -> None:
    votes = {"a": 30, "b": 30, "c": 30, "d": 10}
    seed = b"three-way"
    second = second_ballot_candidates(votes, seed)
    expected = redraw(["a", "b", "c"], seed)[:2]
    assert second.lot is not None
    assert set(second.candidates) == set(expected)
    assert second.lot.places == 2


def test_no_second_ballot_after_a_winner() -> None:
    with pytest.raises(ValueError, match="absolute majority"):
        second_ballot_candidates({"a": 51, "b": 49}, b"s")


def test_second_ballot_tie_is_decided_by_lot_reproducibly() -> None:
    votes = {"a": 50, "b": 50}
    seed_a, seed_b = seed_drawing(["a", "b"], "a"), seed_drawing(["a", "b"], "b")
    assert second_ballot_result(votes, seed_a).elected == ("a",)
    assert second_ballot_result(votes, seed_a) == second_ballot_result(votes, seed_a)
    result = second_ballot_result(votes, seed_b)
    assert result.elected == ("b",)
    assert result.lot is not None
    assert result.lot.drawn == ("b",)
    assert result.arithmetic.endswith("a, b tied at 50 for 1 place(s), drawn by lot: b; b elected")


# -- several seats ---------------------------------------------------------------------------------


def test_most_votes_fill_the_seats() -> None:
    result = several_seats_result({"a": 40, "b": 35, "c": 30, "d": 29}, seats=3, seed=b"s")
    assert (result.elected, result.lot, result.seats) == (("a", "b", "c"), None, 3)
    assert result.arithmetic.endswith("elected: a, b, c")


def test_tie_at_the_last_seat_is_drawn_by_lot() -> None:
    votes = {"a": 40, "b": 35, "c": 30, "d": 30, "e": 30, "f": 1}
    seed = seed_drawing(["c", "d", "e"], "e")
    result = several_seats_result(votes, seats=3, seed=seed)
    assert result.elected == ("a", "b", "e")
    assert result.lot is not None
    assert (result.lot.candidates, result.lot.places) == (("c", "d", "e"), 1)
    assert "c, d, e tied at 30 for 1 place(s), drawn by lot: e" in result.arithmetic
    assert several_seats_result(votes, seats=3, seed=seed) == result  # the same seed: the same result


def test_tie_filling_the_last_seats_exactly_needs_no_lot() -> None:
    result = several_seats_result({"a": 40, "b": 30, "c": 30, "d": 5}, seats=3, seed=b"s")
    assert (result.elected, result.lot) == (("a", "b", "c"), None)


def test_tie_for_two_of_the_seats() -> None:
    votes = {"a": 40, "b": 30, "c": 30, "d": 30}
    result = several_seats_result(votes, seats=3, seed=b"x")
    assert result.lot is not None
    assert result.lot.places == 2
    assert result.elected[0] == "a"
    assert set(result.elected[1:]) == set(redraw(["b", "c", "d"], b"x")[:2])


def test_candidates_without_votes_are_not_elected() -> None:
    result = several_seats_result({"a": 3, "b": 0, "c": 0}, seats=2, seed=b"s")
    assert (result.elected, result.lot) == (("a",), None)
    assert "1 seat(s) unfilled: only 1 candidate(s) received votes" in result.arithmetic


@pytest.mark.parametrize(
    ("votes", "seats", "message"),
    [({}, 1, "at least one candidate"), ({"a": -1}, 1, "non-negative"), ({"a": 1}, 0, "seats"),
     ({"": 1}, 1, "non-empty")],
)
def test_bad_elections_are_refused(votes: dict[str, int], seats: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        several_seats_result(votes, seats=seats, seed=b"s")


def test_blank_must_be_a_count() -> None:
    with pytest.raises(ValueError, match="blank"):
        single_seat_first_ballot({"a": 1}, blank=-1)


def test_the_lot_example_of_docs_procedures_md() -> None:
    votes = {"a": 40, "b": 35, "c": 30, "d": 30, "e": 30, "f": 1}
    result = several_seats_result(votes, seats=3, seed=b"seed-0")
    assert result.elected == ("a", "b", "e")
    assert result.lot is not None
    assert result.lot.arithmetic == (
        "lot for 1 of 3 (c, d, e), seed 736565642d30: SHA-256(seed || id) ascending: "
        "e 89d0241b9bc7d40c6780c709cb94f3c9c3106f4d40f897c0ce0e7acca460f4a8, "
        "d a9248903c4aed3a911d67788894b30bba609209d7b11cd71710fdb97a178ee80, "
        "c c4dd4b37eee8e5c6f52de6e04d13c74c6e8b396733e85f3940210c8f80d04d00; drawn: e"
    )
