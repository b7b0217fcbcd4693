// checktlog verifies a Readiness tile export and its proofs with golang.org/x/mod/sumdb/tlog
// and sumdb/note (the Go checksum database's own code), as an independent implementation.
//
// Usage: go run checktlog.go INPUT.json; prints "ok ..." and exits 0, or an error and exits 1.
package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Leaf  string   `json:"leaf"`
	Path  []string `json:"path"`
}

type consistency struct {
	Old   int64    `json:"old"`
	New   int64    `json:"new"`
	Proof []string `json:"proof"`
}

type input struct {
	Dir         string            `json:"dir"`
	Vkey        string            `json:"vkey"`
	Roots       map[string]string `json:"roots"`
	Inclusion   []inclusion       `json:"inclusion"`
	Consistency []consistency     `json:"consistency"`
}

// tiles reads C2SP tiles: the Go path without its height element (tile/8/L/N -> tile/L/N).
type tiles struct{ dir string }

func (t tiles) Height() int { return 8 }

func (t tiles) ReadTiles(list []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(list))
	for i, tile := range list {
		path := strings.Replace(tile.Path(), "tile/8/", "tile/", 1)
		data, err := os.ReadFile(filepath.Join(t.dir, path))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (t tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func hash(s string) tlog.Hash {
	raw, err := hex.DecodeString(s)
	if err != nil || len(raw) != tlog.HashSize {
		fail("bad hash %q", s)
	}
	var h tlog.Hash
	copy(h[:], raw)
	return h
}

func hashes(list []string) []tlog.Hash {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		out[i] = hash(s)
	}
	return out
}

func fail(format string, args ...any) {
	fmt.Println("error: " + fmt.Sprintf(format, args...))
	os.Exit(1)
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fail("%v", err)
	}
	var in input
	if err := json.Unmarshal(raw, &in); err != nil {
		fail("%v", err)
	}
	verifier, err := note.NewVerifier(in.Vkey)
	if err != nil {
		fail("vkey: %v", err)
	}
	msg, err := os.ReadFile(filepath.Join(in.Dir, "checkpoint"))
	if err != nil {
		fail("%v", err)
	}
	opened, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	lines := strings.Split(opened.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail("checkpoint root: %v", err)
	}
	reader := tlog.TileHashReader(tlog.Tree{N: size, Hash: root}, tiles{in.Dir})
	// Every entry of every bundle hashes to the leaf the (root-checked) tiles hold.
	var leaf int64
	for bundle := int64(0); leaf < size; bundle++ {
		path := tlog.Tile{H: 8, L: 0, N: bundle, W: 256}
		if width := size - bundle*256; width < 256 {
			path.W = int(width)
		}
		name := strings.Replace(path.Path(), "tile/8/0/", "tile/entries/", 1)
		data, err := os.ReadFile(filepath.Join(in.Dir, name))
		if err != nil {
			fail("%v", err)
		}
		for len(data) > 0 {
			n := int(data[0])<<8 | int(data[1])
			entry := data[2 : 2+n]
			data = data[2+n:]
			got, err := reader.ReadHashes([]int64{tlog.StoredHashIndex(0, leaf)})
			if err != nil {
				fail("tiles: %v", err)
			}
			if got[0] != tlog.RecordHash(entry) {
				fail("leaf %d: the tile's hash is not the entry's", leaf)
			}
			leaf++
		}
	}
	if treeHash, err := tlog.TreeHash(size, reader); err != nil || treeHash != root {
		fail("tree hash %v (%v) is not the checkpoint's root %v", treeHash, err, root)
	}
	for key, value := range in.Roots {
		n, _ := strconv.ParseInt(key, 10, 64)
		if got, err := tlog.TreeHash(n, reader); err != nil || got != hash(value) {
			fail("root of size %d: Go computes %v (%v)", n, got, err)
		}
	}
	for _, p := range in.Inclusion {
		th := hash(in.Roots[strconv.FormatInt(p.Size, 10)])
		if err := tlog.CheckRecord(hashes(p.Path), p.Size, th, p.Index, hash(p.Leaf)); err != nil {
			fail("inclusion of %d in %d: %v", p.Index, p.Size, err)
		}
		mine, err := tlog.ProveRecord(p.Size, p.Index, reader)
		if err != nil || len(mine) != len(p.Path) {
			fail("Go's own inclusion proof of %d in %d differs (%v)", p.Index, p.Size, err)
		}
		for i := range mine {
			if mine[i] != hash(p.Path[i]) {
				fail("Go's own inclusion proof of %d in %d differs at %d", p.Index, p.Size, i)
			}
		}
	}
	for _, p := range in.Consistency {
		oldRoot := hash(in.Roots[strconv.FormatInt(p.Old, 10)])
		newRoot := hash(in.Roots[strconv.FormatInt(p.New, 10)])
		if err := tlog.CheckTree(hashes(p.Proof), p.New, newRoot, p.Old, oldRoot); err != nil {
			fail("consistency %d -> %d: %v", p.Old, p.New, err)
		}
	}
	fmt.Printf("ok %d entries, %d inclusion proofs, %d consistency proofs\n",
		size, len(in.Inclusion), len(in.Consistency))
}
