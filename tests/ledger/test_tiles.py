"""Tile paths, tile contents and entry bundles (c2sp.org/tlog-tiles)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.errors import LedgerError, TileFormatError
from readiness.ledger.core import compact, merkle, tiles
from readiness.ledger.core.tiles import TileId


@pytest.mark.parametrize(
    ("index", "encoded"),
    [
        (0, "000"),
        (7, "007"),
        (999, "999"),
        (1000, "x001/000"),
        (1234067, "x001/x234/067"),  # the example of the spec
        (10**9, "x001/x000/x000/000"),
    ],
)
def test_tile_indices_are_written_in_x_prefixed_groups_of_three(index: int, encoded: str) -> None:
    assert tiles.encode_index(index) == encoded


@pytest.mark.parametrize(
    ("tile", "path"),
    [
        (TileId(0, 1234067), "tile/0/x001/x234/067"),
        (TileId(2, 5, 17), "tile/2/005.p/17"),
        (TileId(None, 273, 112), "tile/entries/273.p/112"),
        (TileId(None, 0), "tile/entries/000"),
        (TileId(63, 0, 1), "tile/63/000.p/1"),
    ],
)
def test_tile_paths_round_trip(tile: TileId, path: str) -> None:
    assert tile.path == path
    assert tiles.parse_tile_path(path) == tile


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",
        "tile/00/001",
        "tile/64/001",
        "tile/0/x000/001",
        "tile/0/001.p/0",
        "tile/0/001.p/256",
        "tile/0/001.p/007",
        "tile/0/001/",
        "tile/0/x001",
        "tile/data/001",
        "/tile/0/001",
        "tile/-1/001",
    ],
)
def test_malformed_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(TileFormatError):
        tiles.parse_tile_path(path)


def test_a_tree_of_70000_has_the_tiles_the_spec_lists() -> None:
    # "273 full level 0 tiles, one partial level 0 tile of width 112, one full level 1 tile, one
    # partial level 1 tile of width 17, and one partial level 2 tile of width 1"
    assert tiles.tile_counts(70_000) == [(0, 273, 112), (1, 1, 17), (2, 0, 1)]
    listed = list(tiles.tiles_for_size(70_000))
    assert len(listed) == 273 + 1 + 1 + 1 + 1
    assert [t.path for t in listed[-5:]] == [
        "tile/0/272",
        "tile/0/273.p/112",
        "tile/1/000",
        "tile/1/001.p/17",
        "tile/2/000.p/1",
    ]


def test_a_tree_of_256_is_one_full_tile_and_a_partial_tile_above() -> None:
    assert [t.path for t in tiles.tiles_for_size(256)] == ["tile/0/000", "tile/1/000.p/1"]
    assert list(tiles.tiles_for_size(0)) == []


def test_growing_the_tree_names_only_the_new_and_changed_tiles() -> None:
    grown = [t.path for t in tiles.tiles_for_size(600, since=300)]

    assert grown == ["tile/0/001", "tile/0/002.p/88", "tile/1/000.p/2"]
    assert list(tiles.tiles_for_size(300, since=300)) == []
    assert [t.path for t in tiles.bundles_for_size(600, since=300)] == [
        "tile/entries/001",
        "tile/entries/002.p/88",
    ]


@settings(max_examples=100, deadline=None)
@given(old=st.integers(0, 300_000), extra=st.integers(0, 300_000))
def test_tiles_since_an_older_size_are_the_difference_of_the_two_sets(old: int, extra: int) -> None:
    new = old + extra
    before = set(tiles.tiles_for_size(old))
    after = set(tiles.tiles_for_size(new))

    assert set(tiles.tiles_for_size(new, since=old)) == after - before


def _tree(size: int) -> compact.MemoryTree:
    return compact.MemoryTree(merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(size))


def test_tile_data_is_the_concatenated_hashes_of_its_level() -> None:
    tree = _tree(70_000)

    level0 = tiles.tile_data(TileId(0, 273, 112), tree.get_node)
    level1 = tiles.tile_data(TileId(1, 1, 17), tree.get_node)
    level2 = tiles.tile_data(TileId(2, 0, 1), tree.get_node)

    assert level0 == b"".join(tree.get_node(0, 273 * 256 + i) for i in range(112))
    assert level1 == b"".join(tree.get_node(8, 256 + i) for i in range(17))
    assert level2 == tree.get_node(16, 0)


def test_every_node_of_a_tree_can_be_recomputed_from_its_tile() -> None:
    size = 70_000
    tree = _tree(size)
    fetched: dict[TileId, bytes] = {}
    for level in range(17):
        for index in (0, 1, (size >> level) // 2, (size >> level) - 1):
            if index < 0 or (index + 1) << level > size:
                continue
            tile = tiles.tile_for_node(level, index, size)
            data = fetched.setdefault(tile, tiles.tile_data(tile, tree.get_node))
            assert tiles.node_from_tile(level, index, tile, data) == tree.get_node(level, index)


def test_proofs_and_roots_can_be_served_from_tiles_alone() -> None:
    size = 70_000
    tree = _tree(size)
    files = {tile.path: tiles.tile_data(tile, tree.get_node) for tile in tiles.tiles_for_size(size)}
    fetches: list[str] = []

    def fetch(path: str) -> bytes:
        fetches.append(path)
        return files[path]

    get_node = tiles.tile_node_getter(size, fetch)
    proof = merkle.inclusion_proof(65_777, size, get_node)
    merkle.verify_inclusion(65_777, size, tree.get_node(0, 65_777), proof, tree.root())
    old_root = merkle.root_from_nodes(1_000, get_node)
    merkle.verify_consistency(
        1_000, size, old_root, tree.root(), merkle.consistency_proof(1_000, size, get_node)
    )

    assert merkle.root_from_nodes(size, get_node) == tree.root()
    assert len(fetches) == len(set(fetches))


def test_a_served_tile_of_the_wrong_length_is_refused() -> None:
    get_node = tiles.tile_node_getter(300, lambda path: bytes(32 * 255))

    with pytest.raises(TileFormatError, match=r"^tile tile/0/000 must be 8192 bytes \(got 8160\)$"):
        get_node(0, 3)


@pytest.mark.parametrize(
    ("level", "index", "size", "message"),
    [
        (0, 1000, 1000, "not complete in a tree of size 1000"),
        (3, 125, 1000, "not complete in a tree of size 1000"),
    ],
)
def test_a_node_not_complete_has_no_tile(level: int, index: int, size: int, message: str) -> None:
    with pytest.raises(TileFormatError, match=message):
        tiles.tile_for_node(level, index, size)


def test_a_node_outside_the_given_tile_is_refused() -> None:
    tile = TileId(0, 0, 10)
    data = bytes(32 * 10)

    with pytest.raises(TileFormatError, match=r"^node \(level 0, index 10\) is not in tile"):
        tiles.node_from_tile(0, 10, tile, data)
    with pytest.raises(TileFormatError, match=r"^node \(level 8, index 0\) is not in tile"):
        tiles.node_from_tile(8, 0, tile, data)
    with pytest.raises(TileFormatError, match=r"^tile tile/0/000\.p/10 must be 320 bytes \(got 3"):
        tiles.node_from_tile(0, 0, tile, bytes(31))


def test_an_entry_bundle_is_uint16_length_prefixed_entries() -> None:
    bundle = tiles.encode_entry_bundle([b"", b"ab", b"\x00" * 3])

    assert bundle == b"\x00\x00" + b"\x00\x02ab" + b"\x00\x03\x00\x00\x00"
    assert tiles.decode_entry_bundle(bundle, width=3) == [b"", b"ab", b"\x00" * 3]


@pytest.mark.parametrize(
    ("data", "width", "message"),
    [
        (b"\x00", None, "truncated in a length prefix at byte 0"),
        (b"\x00\x02a", None, "entry 0 needs 2 bytes at byte 2, 1 remain"),
        (b"\x00\x00", 2, "holds 1 entries, expected 2"),
        (b"\x00\x00" * 257, None, "holds 257 entries; at most 256 fit"),
    ],
)
def test_malformed_bundles_are_refused_with_the_reason(
    data: bytes, width: int | None, message: str
) -> None:
    with pytest.raises(TileFormatError, match=message):
        tiles.decode_entry_bundle(data, width=width)


def test_bundles_of_no_entries_too_many_or_too_large_entries_cannot_be_written() -> None:
    with pytest.raises(TileFormatError, match="holds 1 to 256 entries"):
        tiles.encode_entry_bundle([])
    with pytest.raises(TileFormatError, match="holds 1 to 256 entries"):
        tiles.encode_entry_bundle([b""] * 257)
    with pytest.raises(TileFormatError, match="entry 1 of a bundle is 65536 bytes"):
        tiles.encode_entry_bundle([b"", bytes(65536)])


@settings(max_examples=200, deadline=None)
@given(entries=st.lists(st.binary(max_size=300), min_size=1, max_size=256))
def test_bundles_round_trip(entries: list[bytes]) -> None:
    data = tiles.encode_entry_bundle(entries)

    assert tiles.decode_entry_bundle(data, width=len(entries)) == entries


@settings(max_examples=300, deadline=None)
@given(path=st.text(alphabet="tile/entrisx0123456789.p", max_size=40) | st.text(max_size=40))
def test_parsing_arbitrary_paths_gives_a_tile_or_a_ledger_error(path: str) -> None:
    try:
        tile = tiles.parse_tile_path(path)
    except LedgerError:
        return
    assert tile.path == path


@pytest.mark.parametrize(
    ("level", "index", "width"), [(-1, 0, 256), (64, 0, 256), (0, -1, 256), (0, 0, 0), (0, 0, 257)]
)
def test_impossible_tile_ids_are_refused(level: int, index: int, width: int) -> None:
    with pytest.raises(TileFormatError):
        TileId(level, index, width)
