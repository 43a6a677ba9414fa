"""Merkle hashing and proofs: RFC 6962 roots, transparency-dev vectors, properties (hypothesis).

Every check runs the application's implementation (assembly.audit.log.merkle) and the verifier's
independent one (assembly.audit.verify.tree).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assembly.audit.log.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    ProofError,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from assembly.audit.verify import tree as independent
from tests.unit.audit.conftest import VECTORS

TREE = json.loads((VECTORS / "rfc6962_tree.json").read_text())
INCLUSION = json.loads((VECTORS / "merkle_inclusion.json").read_text())
CONSISTENCY = json.loads((VECTORS / "merkle_consistency.json").read_text())


def b64(value: str) -> bytes:
    return base64.b64decode(value)


def proof_of(vector: dict[str, Any]) -> list[bytes]:
    return [b64(p) for p in vector["proof"] or []]


def test_hashing_has_the_rfc_domain_prefixes() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest() == independent.leaf_hash(b"abc")
    left, right = b"L" * 32, b"R" * 32
    expected = hashlib.sha256(b"\x01" + left + right).digest()
    assert node_hash(left, right) == expected == independent.node_hash(left, right)
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == independent.EMPTY_ROOT


def test_the_rfc6962_test_tree_gives_the_published_leaf_hashes_and_roots_at_every_size() -> None:
    leaves = [bytes.fromhex(x) for x in TREE["leaf_inputs_hex"]]
    hashes = [leaf_hash(leaf) for leaf in leaves]
    tree, other = MerkleTree(hashes), independent.Tree(hashes)

    assert [h.hex() for h in hashes] == TREE["leaf_hashes_hex"]
    for size, root in enumerate(TREE["roots_by_size_hex"]):
        assert tree.root(size).hex() == root
        assert other.root(size).hex() == root
    assert tree.root().hex() == "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"


@pytest.mark.parametrize("vector", INCLUSION, ids=lambda v: v["source"].split("inclusion/")[1])
def test_inclusion_vectors(vector: dict[str, Any]) -> None:
    args = (vector["leafIdx"], vector["treeSize"], b64(vector["leafHash"]), proof_of(vector), b64(vector["root"]))

    if vector["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*args)
        assert independent.check_inclusion(*args) is not None
    else:
        verify_inclusion(*args)
        assert independent.check_inclusion(*args) is None


@pytest.mark.parametrize("vector", CONSISTENCY, ids=lambda v: v["source"].split("consistency/")[1])
def test_consistency_vectors(vector: dict[str, Any]) -> None:
    args = (vector["size1"], vector["size2"], b64(vector["root1"]), b64(vector["root2"]), proof_of(vector))

    if vector["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*args)
        assert independent.check_consistency(*args) is not None
    else:
        verify_consistency(*args)
        assert independent.check_consistency(*args) is None


def test_happy_path_vectors_are_what_our_provers_produce() -> None:
    hashes = [leaf_hash(bytes.fromhex(x)) for x in TREE["leaf_inputs_hex"]]
    tree, other = MerkleTree(hashes), independent.Tree(hashes)
    for vector in INCLUSION:
        if not vector["wantErr"]:
            index, size = vector["leafIdx"], vector["treeSize"]
            assert tree.inclusion_proof(index, size) == proof_of(vector) == other.inclusion_proof(index, size)
    for vector in CONSISTENCY:
        if not vector["wantErr"]:
            old, new = vector["size1"], vector["size2"]
            assert tree.consistency_proof(old, new) == proof_of(vector) == other.consistency_proof(old, new)


def test_edge_rules() -> None:
    tree = MerkleTree(leaf_hash(bytes([i])) for i in range(5))
    root5, root1 = tree.root(5), tree.root(1)

    # A tree of one leaf: the empty proof, and the leaf hash is the root.
    verify_inclusion(0, 1, tree.leaf_hash_at(0), [], root1)
    assert root1 == tree.leaf_hash_at(0)
    # Size 0 proves nothing; a proof from the empty tree is meaningless.
    with pytest.raises(ProofError, match="not within"):
        verify_inclusion(0, 0, tree.leaf_hash_at(0), [], EMPTY_ROOT)
    with pytest.raises(ProofError, match="meaningless"):
        verify_consistency(0, 5, EMPTY_ROOT, root5, [])
    assert independent.check_consistency(0, 5, EMPTY_ROOT, root5, []) is not None
    # Equal sizes: the empty proof and equal roots, nothing else.
    verify_consistency(5, 5, root5, root5, [])
    with pytest.raises(ProofError, match="empty proof"):
        verify_consistency(5, 5, root5, root5, [root5])
    with pytest.raises(ProofError, match="different roots"):
        verify_consistency(5, 5, root5, root1, [])
    # Shrinking is never consistent.
    with pytest.raises(ProofError, match="do not grow"):
        verify_consistency(5, 1, root5, root1, [])
    # Every hash is 32 bytes.
    with pytest.raises(ProofError, match="32 bytes"):
        verify_inclusion(0, 1, tree.leaf_hash_at(0)[:31], [], root1)
    with pytest.raises(ProofError, match="32 bytes"):
        verify_consistency(1, 5, root1, root5, [*tree.consistency_proof(1, 5)[:-1], b"\x00" * 33])
    # The provers refuse what cannot be proved.
    with pytest.raises(ValueError, match="not within"):
        tree.inclusion_proof(5, 5)
    with pytest.raises(ValueError, match="no consistency proof"):
        tree.consistency_proof(0, 5)


def leaf_hashes(size: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]


sizes = st.integers(min_value=1, max_value=300)


@given(size=sizes, data=st.data())
def test_inclusion_proofs_for_random_sizes_verify_in_both_verifiers(size: int, data: st.DataObject) -> None:
    hashes = leaf_hashes(size)
    tree, other = MerkleTree(hashes), independent.Tree(hashes)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = tree.inclusion_proof(index)

    assert proof == other.inclusion_proof(index, size)
    verify_inclusion(index, size, hashes[index], proof, tree.root())
    assert independent.check_inclusion(index, size, hashes[index], proof, tree.root()) is None


@given(old=sizes, extra=st.integers(min_value=0, max_value=300))
def test_consistency_proofs_for_random_sizes_verify_in_both_verifiers(old: int, extra: int) -> None:
    new = old + extra
    hashes = leaf_hashes(new)
    tree, other = MerkleTree(hashes), independent.Tree(hashes)
    proof = tree.consistency_proof(old, new)

    assert proof == other.consistency_proof(old, new)
    verify_consistency(old, new, tree.root(old), tree.root(new), proof)
    assert independent.check_consistency(old, new, tree.root(old), tree.root(new), proof) is None


def mutate_proof(proof: list[bytes], data: st.DataObject) -> list[bytes]:
    """One change to the proof's hashes: a bit flip, truncation, an extra or a missing element."""
    kinds = ["extend", "insert"] + (["flip", "truncate", "drop"] if proof else [])
    kind = data.draw(st.sampled_from(kinds))
    mutated = list(proof)
    if kind == "flip":
        at = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        element = bytearray(mutated[at])
        element[bit // 8] ^= 1 << (bit % 8)
        mutated[at] = bytes(element)
    elif kind == "truncate":
        mutated = mutated[: data.draw(st.integers(0, len(proof) - 1))]
    elif kind == "drop":
        del mutated[data.draw(st.integers(0, len(proof) - 1))]
    else:
        extra = data.draw(st.sampled_from([*proof, b"\x00" * 32, hashlib.sha256(b"extra").digest()]))
        at = len(mutated) if kind == "extend" else data.draw(st.integers(0, len(mutated)))
        mutated.insert(at, extra)
    return mutated


@given(size=sizes, data=st.data())
def test_any_mutated_inclusion_proof_is_rejected_by_both(size: int, data: st.DataObject) -> None:
    hashes = leaf_hashes(size)
    tree = MerkleTree(hashes)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof, root, leaf = tree.inclusion_proof(index), tree.root(), hashes[index]
    claim = data.draw(st.sampled_from(["proof", "index", "size", "root"]))
    other_index = data.draw(st.integers(min_value=0, max_value=size + 2).filter(lambda i: i != index))
    other_size = data.draw(st.integers(min_value=1, max_value=size + 40).filter(lambda n: n != size))
    cases = {
        # Another size comes with that size's true root: the proof must not carry over.
        "proof": (index, size, leaf, mutate_proof(proof, data), root),
        "index": (other_index, size, leaf, proof, root),
        "size": (index, other_size, leaf, proof, MerkleTree(leaf_hashes(other_size)).root()),
        "root": (index, size, leaf, proof, hashlib.sha256(root).digest()),
    }
    args = cases[claim]

    with pytest.raises(ProofError):
        verify_inclusion(*args)
    assert independent.check_inclusion(*args) is not None


@given(old=sizes, extra=st.integers(min_value=1, max_value=300), data=st.data())
def test_any_mutated_consistency_proof_is_rejected_by_both(old: int, extra: int, data: st.DataObject) -> None:
    new = old + extra
    tree = MerkleTree(leaf_hashes(new + 40))
    proof = tree.consistency_proof(old, new)
    claim = data.draw(st.sampled_from(["proof", "old size", "new size", "swapped roots"]))
    other_old = data.draw(st.integers(min_value=1, max_value=new).filter(lambda m: m != old))
    other_new = data.draw(st.integers(min_value=old, max_value=new + 40).filter(lambda n: n != new))
    cases = {
        "proof": (old, new, tree.root(old), tree.root(new), mutate_proof(proof, data)),
        # A wrong size comes with that size's true root: the proof must not carry over.
        "old size": (other_old, new, tree.root(other_old), tree.root(new), proof),
        "new size": (old, other_new, tree.root(old), tree.root(other_new), proof),
        "swapped roots": (old, new, tree.root(new), tree.root(old), proof),
    }
    args = cases[claim]

    with pytest.raises(ProofError):
        verify_consistency(*args)
    assert independent.check_consistency(*args) is not None


@given(size=st.integers(min_value=0, max_value=600))
def test_the_incremental_and_the_level_built_trees_agree_at_every_size(size: int) -> None:
    hashes = leaf_hashes(size)

    assert MerkleTree(hashes).root() == independent.Tree(hashes).root(size)
