"""RFC 9162 hashes, roots and proofs against published vectors.

Vectors: the eight RFC 6962 test leaves and their node and root hashes used by Certificate
Transparency implementations (transparency-dev/merkle testonly/constants.go), and the 196
inclusion/consistency probes of transparency-dev/merkle testdata/ (tests/ledger/vectors/).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from readiness.errors import LedgerError, ProofError
from readiness.ledger.core import compact, merkle

VECTORS = json.loads(
    (Path(__file__).parent / "vectors" / "transparency_dev_merkle.json").read_text()
)

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
LEVEL_1 = [
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
]
LEVEL_2 = [
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
]


def _b64(value: str | None) -> bytes:
    return base64.b64decode(value) if value is not None else b""


def _tree() -> compact.MemoryTree:
    return compact.MemoryTree(merkle.leaf_hash(leaf) for leaf in LEAVES)


def test_the_empty_tree_hashes_to_sha256_of_nothing() -> None:
    assert merkle.EMPTY_ROOT.hex() == ROOTS[0]
    assert merkle.root_hash([]).hex() == ROOTS[0]


def test_leaf_and_node_hashes_are_domain_separated_as_in_rfc_9162() -> None:
    assert merkle.leaf_hash(b"").hex() == (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    )
    assert merkle.leaf_hash(b"L123456").hex() == (
        "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert merkle.node_hash(b"N123", b"N456").hex() == (
        "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


@pytest.mark.parametrize("size", range(9))
def test_root_of_every_prefix_of_the_rfc_leaves_matches_the_published_root(size: int) -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in LEAVES[:size]]

    assert merkle.root_hash(hashes).hex() == ROOTS[size]
    assert _tree().root(size).hex() == ROOTS[size]


def test_stored_complete_nodes_are_the_published_node_hashes() -> None:
    tree = _tree()

    assert [tree.get_node(1, i).hex() for i in range(4)] == LEVEL_1
    assert [tree.get_node(2, i).hex() for i in range(2)] == LEVEL_2
    assert tree.get_node(3, 0).hex() == ROOTS[8]


def test_an_incomplete_node_is_not_stored() -> None:
    tree = compact.MemoryTree(merkle.leaf_hash(leaf) for leaf in LEAVES[:3])

    with pytest.raises(ProofError, match=r"node \(level 1, index 1\) is not a complete subtree"):
        tree.get_node(1, 1)


@pytest.mark.parametrize("probe", VECTORS["inclusion"], ids=lambda p: p["file"])
def test_inclusion_probe_verifies_exactly_when_the_vector_says(probe: dict[str, Any]) -> None:
    args = (
        probe["leafIdx"],
        probe["treeSize"],
        _b64(probe["leafHash"]),
        [_b64(x) for x in probe["proof"] or []],
        _b64(probe["root"]),
    )
    if probe["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


# transparency-dev accepts equal sizes with equal 12-byte "roots"; here a root has 32 bytes.
_STRICTER = {"consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"}


@pytest.mark.parametrize("probe", VECTORS["consistency"], ids=lambda p: p["file"])
def test_consistency_probe_verifies_exactly_when_the_vector_says(probe: dict[str, Any]) -> None:
    args = (
        probe["size1"],
        probe["size2"],
        _b64(probe["root1"]),
        _b64(probe["root2"]),
        [_b64(x) for x in probe["proof"] or []],
    )
    if probe["wantErr"] or probe["file"] in _STRICTER:
        with pytest.raises(ProofError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


def test_a_root_that_is_not_32_bytes_is_refused_by_name() -> None:
    with pytest.raises(ProofError, match=r"^old root hash must be 32 bytes \(got 12\)$"):
        merkle.verify_consistency(1, 1, b"don't care 2", b"don't care 2", [])


@pytest.mark.parametrize("probe", [p for p in VECTORS["inclusion"] if not p["wantErr"]])
def test_generated_inclusion_proofs_equal_the_published_ones(probe: dict[str, Any]) -> None:
    proof = merkle.inclusion_proof(probe["leafIdx"], probe["treeSize"], _tree().get_node)

    assert proof == [_b64(x) for x in probe["proof"] or []]


@pytest.mark.parametrize(
    "probe", [p for p in VECTORS["consistency"] if not p["wantErr"] and p["size1"] > 0]
)
def test_generated_consistency_proofs_equal_the_published_ones(probe: dict[str, Any]) -> None:
    if probe["size2"] > 8:
        pytest.skip("probe about a tree beyond the eight RFC leaves")
    proof = merkle.consistency_proof(probe["size1"], probe["size2"], _tree().get_node)

    assert proof == [_b64(x) for x in probe["proof"] or []]


def test_inclusion_plan_names_the_stored_nodes_of_the_rfc_example() -> None:
    # Leaf 5 of 7: sibling leaf 4, the pair (6) as leaf 6 alone, and the left half (level 2, 0).
    assert merkle.inclusion_plan(5, 7) == (((0, 4),), ((0, 6),), ((2, 0),))
    # Leaf 0 of 7: the right border [4, 7) is folded from two stored nodes.
    assert merkle.inclusion_plan(0, 7) == (((0, 1),), ((1, 1),), ((1, 2), (0, 6)))


def test_consistency_plan_of_the_rfc_examples() -> None:
    # RFC 9162 §2.1.5: PROOF(3, D[7]) = [c, d, g, l]; PROOF(4, D[7]) = [l];
    # PROOF(6, D[7]) = [i, j, k].
    assert merkle.consistency_plan(3, 7) == (
        ((0, 2),),
        ((0, 3),),
        ((1, 0),),
        ((1, 2), (0, 6)),
    )
    assert merkle.consistency_plan(4, 7) == (((1, 2), (0, 6)),)
    assert merkle.consistency_plan(6, 7) == (((1, 2),), ((0, 6),), ((2, 0),))
    assert merkle.consistency_plan(7, 7) == ()


def test_plan_nodes_lists_each_node_once_in_first_use_order() -> None:
    plan = (((1, 2), (0, 6)), ((0, 6),), ((2, 0),))

    assert merkle.plan_nodes(plan) == [(1, 2), (0, 6), (2, 0)]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: merkle.inclusion_plan(3, 3), r"^leaf index 3 is not in a tree of size 3"),
        (lambda: merkle.inclusion_plan(-1, 3), r"^leaf index -1 is not in a tree of size 3"),
        (lambda: merkle.inclusion_plan(0, -1), r"^tree size must be >= 0 \(got -1\)$"),
        (lambda: merkle.consistency_plan(0, 3), r"^old tree size must be >= 1 \(got 0\)"),
        (lambda: merkle.consistency_plan(4, 3), r"^old tree size 4 is larger than new tree"),
        (lambda: merkle.range_nodes(1, 3), r"^leaf range \[1, 3\) is not aligned"),
        (lambda: merkle.range_nodes(3, 1), r"^leaf range \[3, 1\) is not a range of leaves$"),
    ],
)
def test_impossible_proof_requests_are_refused_with_the_reason(call: Any, message: str) -> None:
    with pytest.raises(ProofError, match=message):
        call()


def test_proof_errors_are_ledger_errors_with_their_code() -> None:
    error = ProofError("x")

    assert isinstance(error, LedgerError)
    assert (error.code, error.http_status) == ("proof_invalid", 400)


def test_verification_failures_say_which_root_the_proof_led_to() -> None:
    tree = _tree()
    proof = merkle.inclusion_proof(2, 8, tree.get_node)
    wrong = bytes(32)

    with pytest.raises(ProofError) as caught:
        merkle.verify_inclusion(2, 8, tree.get_node(0, 2), proof, wrong)

    assert caught.value.message == (
        f"inclusion proof for leaf 2 of tree size 8 leads to root {ROOTS[8]}, "
        f"not the expected {wrong.hex()}"
    )


def test_a_proof_one_hash_too_long_or_short_is_refused_as_such() -> None:
    tree = _tree()
    proof = merkle.inclusion_proof(2, 8, tree.get_node)
    leaf = tree.get_node(0, 2)

    with pytest.raises(ProofError, match=r"^inclusion proof for leaf 2 of tree size 8 is too long"):
        merkle.root_from_inclusion_proof(2, 8, leaf, [*proof, proof[0]])
    with pytest.raises(
        ProofError, match=r"^inclusion proof for leaf 2 of tree size 8 is too short"
    ):
        merkle.root_from_inclusion_proof(2, 8, leaf, proof[:-1])


def test_equal_tree_heads_with_different_roots_are_reported_as_a_fork() -> None:
    with pytest.raises(ProofError, match=r"the log forked$"):
        merkle.verify_consistency(5, 5, bytes(32), b"\x01" * 32, [])
