"""Tiles and entry bundles (https://c2sp.org/tlog-tiles): the log as static files.

Tile ``(L, N)`` holds up to 256 consecutive 32-byte hashes of Merkle level ``8·L``: hash ``i`` is
the node ``(8·L, 256·N + i)``. A full tile is 256 hashes; the rightmost tile of a level is partial
(``.p/<W>``, 1–255 hashes). Entry bundle ``N`` holds the entries whose leaf hashes are level-0
tile ``N``, each as a big-endian uint16 length and the bytes. Paths::

    tile/<L>/<N>[.p/<W>]        tile/entries/<N>[.p/<W>]

with ``N`` in zero-padded 3-digit groups, all but the last prefixed ``x`` (1234067 →
``x001/x234/067``). Everything here is pure: an exporter writes what these functions name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from readiness.errors import TileFormatError
from readiness.ledger.core.merkle import HASH_SIZE, NodeGetter, fold

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_ENTRY_SIZE = 0xFFFF
CHECKPOINT_PATH = "checkpoint"
_PATH = re.compile(
    r"tile/(entries|0|[1-9][0-9]?)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?"
)


@dataclass(frozen=True, order=True)
class TileId:
    """A hash tile (``level`` 0–63) or, with ``level`` ``"entries"``, an entry bundle."""

    level: int | None
    index: int
    width: int = TILE_WIDTH

    def __post_init__(self) -> None:
        if self.level is not None and not 0 <= self.level <= 63:
            raise TileFormatError(f"tile level must be between 0 and 63 (got {self.level})")
        if self.index < 0:
            raise TileFormatError(f"tile index must be >= 0 (got {self.index})")
        if not 1 <= self.width <= TILE_WIDTH:
            raise TileFormatError(f"tile width must be between 1 and 256 (got {self.width})")

    @property
    def is_entries(self) -> bool:
        """Whether this names an entry bundle rather than a hash tile."""
        return self.level is None

    @property
    def is_partial(self) -> bool:
        """Whether the tile holds fewer than 256 hashes or entries."""
        return self.width < TILE_WIDTH

    @property
    def path(self) -> str:
        """The tile's path below the log prefix."""
        level = "entries" if self.level is None else str(self.level)
        suffix = f".p/{self.width}" if self.is_partial else ""
        return f"tile/{level}/{encode_index(self.index)}{suffix}"


def encode_index(index: int) -> str:
    """A tile index as 3-digit path elements, all but the last prefixed ``x``."""
    if index < 0:
        raise TileFormatError(f"tile index must be >= 0 (got {index})")
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    return "/".join([*("x" + group for group in groups[:-1]), groups[-1]])


def parse_tile_path(path: str) -> TileId:
    """The tile or entry bundle a path names; strict (no extra zero groups, widths 1–255)."""
    match = _PATH.fullmatch(path)
    if match is None:
        raise TileFormatError(
            f"tile path {path[:120]!r} is not tile/<level>/<index>[.p/<width>] "
            "or tile/entries/<index>[.p/<width>]"
        )
    level_text, index_text, width_text = match.groups()
    groups = index_text.replace("x", "").split("/")
    if len(groups) > 1 and groups[0] == "000":
        raise TileFormatError(f"tile path {path!r} has a leading zero group in its index")
    width = TILE_WIDTH
    if width_text:
        width = int(width_text)
        if width >= TILE_WIDTH:
            raise TileFormatError(f"tile path {path!r}: a partial tile is 1 to 255 wide")
    level = None if level_text == "entries" else int(level_text)
    return TileId(level, int("".join(groups)), width)


def tile_counts(size: int) -> list[tuple[int, int, int]]:
    """Per tile level of a tree of ``size`` leaves: ``(level, full tiles, partial width or 0)``."""
    if size < 0:
        raise TileFormatError(f"tree size must be >= 0 (got {size})")
    counts = []
    level = 0
    while size >> (TILE_HEIGHT * level):
        hashes = size >> (TILE_HEIGHT * level)
        counts.append((level, hashes >> TILE_HEIGHT, hashes % TILE_WIDTH))
        level += 1
    return counts


def tiles_for_size(size: int, *, since: int = 0) -> Iterator[TileId]:
    """The hash tiles a tree of ``size`` needs that a tree of ``since`` leaves did not have.

    ``since=0`` gives every tile of the tree. Partial tiles are the ones for ``size`` exactly.
    """
    if not 0 <= since <= size:
        raise TileFormatError(f"tile sizes must satisfy 0 <= since <= size (got {since}, {size})")
    before = {level: (full, width) for level, full, width in tile_counts(since)}
    for level, full, width in tile_counts(size):
        old_full, old_width = before.get(level, (0, 0))
        for index in range(old_full, full):
            yield TileId(level, index)
        if width and (full, width) != (old_full, old_width):
            yield TileId(level, full, width)


def bundles_for_size(size: int, *, since: int = 0) -> Iterator[TileId]:
    """The entry bundles a tree of ``size`` needs that one of ``since`` leaves did not have."""
    for tile in tiles_for_size(size, since=since):
        if tile.level == 0:
            yield TileId(None, tile.index, tile.width)


def tile_nodes(tile: TileId) -> range:
    """The node indices, at Merkle level ``8·level``, whose hashes the tile holds."""
    if tile.level is None:
        raise TileFormatError("an entry bundle holds entries, not hashes")
    start = tile.index * TILE_WIDTH
    return range(start, start + tile.width)


def tile_data(tile: TileId, get_node: NodeGetter) -> bytes:
    """The bytes of a hash tile: its hashes, concatenated, from stored complete nodes."""
    indices = tile_nodes(tile)  # refuses entry bundles
    level = (tile.level or 0) * TILE_HEIGHT
    return b"".join(get_node(level, index) for index in indices)


def tile_hashes(tile: TileId, data: bytes) -> list[bytes]:
    """Split a fetched tile into its hashes; refuse a tile of the wrong length."""
    if len(data) != tile.width * HASH_SIZE:
        raise TileFormatError(
            f"tile {tile.path} must be {tile.width * HASH_SIZE} bytes (got {len(data)})"
        )
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def node_from_tile(level: int, index: int, tile: TileId, data: bytes) -> bytes:
    """The complete node ``(level, index)`` recomputed from the tile that covers it.

    The node's leaves at level ``8·tile.level`` must all be in the tile: this is how a client
    serves a proof's nodes from downloaded tiles.
    """
    if tile.level is None or level // TILE_HEIGHT != tile.level:
        raise TileFormatError(f"node (level {level}, index {index}) is not in tile {tile.path}")
    depth = level - TILE_HEIGHT * tile.level
    first = index << depth
    start = first - tile.index * TILE_WIDTH
    count = 1 << depth
    if start < 0 or start + count > tile.width:
        raise TileFormatError(f"node (level {level}, index {index}) is not in tile {tile.path}")
    hashes = tile_hashes(tile, data)[start : start + count]
    while len(hashes) > 1:
        hashes = [fold(hashes[i : i + 2]) for i in range(0, len(hashes), 2)]
    return hashes[0]


def tile_for_node(level: int, index: int, size: int) -> TileId:
    """The tile of a tree of ``size`` leaves that covers the complete node ``(level, index)``."""
    tile_level = level // TILE_HEIGHT
    base = TILE_HEIGHT * tile_level
    first = index << (level - base)
    tile_index = first // TILE_WIDTH
    available = size >> base
    if (index + 1) << level > size:
        raise TileFormatError(
            f"node (level {level}, index {index}) is not complete in a tree of size {size}"
        )
    width = min(TILE_WIDTH, available - tile_index * TILE_WIDTH)
    return TileId(tile_level, tile_index, width)


def tile_node_getter(size: int, fetch: Callable[[str], bytes]) -> NodeGetter:
    """A node getter for a tree of ``size`` leaves served as tiles: ``fetch(path) -> tile bytes``.

    What a verifier uses on an export or a tile server: every proof and root of
    :mod:`readiness.ledger.core.merkle` then runs over the tiles alone. Each tile is fetched once.
    """
    fetched: dict[TileId, bytes] = {}

    def get_node(level: int, index: int) -> bytes:
        tile = tile_for_node(level, index, size)
        if tile not in fetched:
            data = fetch(tile.path)
            tile_hashes(tile, data)  # refuses a tile of the wrong length
            fetched[tile] = data
        return node_from_tile(level, index, tile, fetched[tile])

    return get_node


def encode_entry_bundle(entries: Sequence[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length and its bytes (1–256 entries)."""
    if not 1 <= len(entries) <= TILE_WIDTH:
        raise TileFormatError(f"an entry bundle holds 1 to 256 entries (got {len(entries)})")
    parts = []
    for position, entry in enumerate(entries):
        if len(entry) > MAX_ENTRY_SIZE:
            raise TileFormatError(
                f"entry {position} of a bundle is {len(entry)} bytes; at most 65535 fit"
            )
        parts.append(len(entry).to_bytes(2, "big"))
        parts.append(entry)
    return b"".join(parts)


def decode_entry_bundle(data: bytes, *, width: int | None = None) -> list[bytes]:
    """The entries of a bundle; refuse truncation or a count other than ``width``."""
    entries: list[bytes] = []
    position = 0
    while position < len(data):
        if position + 2 > len(data):
            raise TileFormatError(
                f"entry bundle is truncated in a length prefix at byte {position}"
            )
        length = int.from_bytes(data[position : position + 2], "big")
        position += 2
        if position + length > len(data):
            raise TileFormatError(
                f"entry bundle is truncated: entry {len(entries)} needs {length} bytes at byte "
                f"{position}, {len(data) - position} remain"
            )
        entries.append(data[position : position + length])
        position += length
    if width is not None and len(entries) != width:
        raise TileFormatError(f"entry bundle holds {len(entries)} entries, expected {width}")
    if len(entries) > TILE_WIDTH:
        raise TileFormatError(f"entry bundle holds {len(entries)} entries; at most 256 fit")
    return entries
