"""Ballots: electorates, votes, tallies, majorities, quorum and elections."""
