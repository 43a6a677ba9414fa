"""Property: however the sequencer cuts the log into batches, every checkpoint it signs is a prefix of
every later one, and an entry's receipt verifies against every checkpoint that covers it."""

from __future__ import annotations

import hashlib

from hypothesis import given
from hypothesis import strategies as st

from assembly.audit.log.merkle import MerkleTree, verify_consistency, verify_inclusion


@given(batches=st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=12), data=st.data())
def test_checkpoints_of_any_batching_are_consistent_and_cover_every_receipt(batches: list[int],
                                                                           data: st.DataObject) -> None:
    tree = MerkleTree()
    checkpoints: list[tuple[int, bytes]] = []
    for batch in batches:  # as the sequencer: append a batch, then sign (size, root)
        for _ in range(batch):
            tree.append(hashlib.sha256(tree.size.to_bytes(8, "big")).digest())
        checkpoints.append((tree.size, tree.root()))
    assert MerkleTree(tree.leaf_hash_at(i) for i in range(tree.size)).root() == tree.root()
    first, second = sorted(data.draw(st.lists(st.sampled_from(checkpoints), min_size=2, max_size=2)))
    if first[0] < second[0]:
        verify_consistency(first[0], second[0], first[1], second[1], tree.consistency_proof(first[0], second[0]))
    index = data.draw(st.integers(min_value=0, max_value=first[0] - 1))
    for size, root in (first, second):
        verify_inclusion(index, size, tree.leaf_hash_at(index), tree.inclusion_proof(index, size), root)
