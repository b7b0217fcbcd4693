"""An independent implementation agrees: Go's golang.org/x/mod/sumdb/tlog and sumdb/note (the
Go checksum database's code) verify our export's tiles against the signed root, our roots, and
our inclusion and consistency proofs. Skipped when Go or Debian's golang-golang-x-mod-dev is
missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from readiness.ledger.service import LedgerService
from tests.ledger.witness.conftest import LOG, entries

GOPATH = Path("/usr/share/gocode")
PROGRAM = Path(__file__).parent / "go" / "checktlog.go"
SIZE = 600  # tiles 0/000, 0/001, 0/002.p/88, 1/000.p/2


def go_check(tmp_path: Path, data: dict[str, object]) -> subprocess.CompletedProcess[str]:
    go = shutil.which("go")
    if go is None or not (GOPATH / "src/golang.org/x/mod/sumdb/tlog").is_dir():
        pytest.skip("Go and golang-golang-x-mod-dev are not installed")
    source = tmp_path / "input.json"
    source.write_text(json.dumps(data))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "GO111MODULE": "off",
        "GOPATH": str(GOPATH),
        "GOCACHE": str(tmp_path / "gocache"),
        "GOFLAGS": "",
        "CGO_ENABLED": "0",
    }
    return subprocess.run(
        [go, "run", str(PROGRAM), str(source)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_go_sumdb_tlog_verifies_our_tiles_roots_and_proofs(
    ledger: LedgerService, tmp_path: Path
) -> None:
    ledger.append(entries(SIZE))
    ledger.export_tiles(tmp_path / "export")
    pairs = [(0, 1), (5, 13), (255, 256), (256, 257), (300, 511), (599, SIZE)]
    sizes = sorted({size for _, size in pairs} | {1, 7, 256, 300, 511})
    inclusion = []
    for index, size in pairs:
        proof = ledger.prove_inclusion(index, size)
        inclusion.append(
            {
                "index": index,
                "size": size,
                "leaf": proof.leaf_hash.hex(),
                "path": [h.hex() for h in proof.path],
            }
        )
    consistency = [
        {"old": old, "new": new, "proof": [h.hex() for h in ledger.prove_consistency(old, new)]}
        for old, new in [(1, 7), (7, 256), (256, 300), (300, 511), (511, SIZE), (13, 13)]
    ]

    done = go_check(
        tmp_path,
        {
            "dir": str(tmp_path / "export"),
            "vkey": LOG.verifier.vkey,
            "roots": {str(size): ledger.root(size).hex() for size in sizes},
            "inclusion": inclusion,
            "consistency": consistency,
        },
    )

    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "ok 600 entries, 6 inclusion proofs, 6 consistency proofs\n",
        "",
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_go_refuses_an_export_whose_tile_was_changed(ledger: LedgerService, tmp_path: Path) -> None:
    ledger.append(entries(SIZE))
    ledger.export_tiles(tmp_path / "export")
    tile = tmp_path / "export" / "tile" / "0" / "001"
    data = bytearray(tile.read_bytes())
    data[100] ^= 1
    tile.write_bytes(bytes(data))

    done = go_check(tmp_path, {"dir": str(tmp_path / "export"), "vkey": LOG.verifier.vkey})

    assert (done.returncode, done.stdout) == (
        1,
        "error: leaf 259: the tile's hash is not the entry's\n",  # byte 100: hash 3 of tile 1
    )
