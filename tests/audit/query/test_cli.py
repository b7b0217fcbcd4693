"""readiness audit query/timeline/export/verify-export/reindex, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness.cli.main import main
from readiness.storage import Stores
from tests.audit.query.conftest import event

ENV = ("READINESS_STATE_URL", "READINESS_AUDIT_URL", "READINESS_PROJECT", "READINESS_URL")


class Cli:
    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.capsys = root, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["-C", str(self.root), *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(
    stores: Stores,
    project_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Cli]:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("READINESS_ACTOR", "auditor_1")
    monkeypatch.setenv("READINESS_STATE_URL", stores.state.url.render_as_string(False))
    monkeypatch.setenv("READINESS_AUDIT_URL", stores.audit.url.render_as_string(False))
    run = Cli(project_dir, capsys)
    source = project_dir / "events.jsonl"
    events = [event(n) for n in range(6)]
    events[0]["after"] = {"amount": 1, "status": "draft"}
    events[4]["before"] = {"amount": 1}
    events[4]["after"] = {"amount": 5}
    source.write_text("".join(json.dumps(e) + "\n" for e in events))
    assert run("audit", "append", str(source))[0] == 0
    yield run


def test_query_prints_one_page_and_the_next_cursor(cli: Cli) -> None:
    code, out, _ = cli("audit", "query", "--actor", "usr_1", "--limit", "1", "-f", "json")
    page = json.loads(out)
    assert (code, [e["leaf_index"] for e in page["events"]]) == (0, [4])
    code, out, _ = cli(
        "audit", "query", "--actor", "usr_1", "--cursor", page["next_cursor"], "-f", "json"
    )
    assert [e["leaf_index"] for e in json.loads(out)["events"]] == [1]


def test_query_as_text_is_one_line_an_event(cli: Cli) -> None:
    code, out, _ = cli("audit", "query", "--target-type", "invoice", "--target-id", "inv_1")
    assert code == 0
    assert out.splitlines() == [
        "       5  2026-01-01T05:00:00.000000Z usr_2                invoice.update          "
        "     invoice/inv_1  success",
        "       1  2026-01-01T01:00:00.000000Z usr_1                invoice.update          "
        "     invoice/inv_1  success",
        "2 events",
    ]


def test_timeline_as_of_prints_the_state_then(cli: Cli) -> None:
    code, out, _ = cli(
        "audit", "timeline", "invoice", "inv_0", "--as-of", "2026-01-01T03:00Z", "-f", "json"
    )
    body = json.loads(out)
    assert (code, [e["leaf_index"] for e in body["events"]]) == (0, [0])
    assert body["as_of"]["state"] == {"amount": 1, "status": "draft"}
    code, out, _ = cli("audit", "timeline", "invoice", "inv_0", "--as-of", "2026-01-02")
    assert out.splitlines()[-1] == "as of 2026-01-02: {'amount': 5, 'status': 'draft'}"


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_an_export_verifies_with_the_published_public_key(cli: Cli, fmt: str) -> None:
    out_file = cli.root / f"trail.{fmt}"
    code, out, _ = cli(
        "audit", "export", "--format", fmt, "--out", str(out_file), "--action", "invoice.*"
    )
    assert code == 0
    assert out.startswith("exported 6 events proved against tree size 6 to ")
    vkey = cli.root / ".readiness" / "checkpoints" / "log.vkey"
    code, out, _ = cli("audit", "verify-export", str(out_file), "--public-key", str(vkey))
    assert (code, out.strip()) == (
        0,
        f"{out_file}: 6 events verified against the checkpoint of project/audit (tree size 6)",
    )


def test_an_edited_export_does_not_verify(cli: Cli) -> None:
    out_file = cli.root / "trail.jsonl"
    assert cli("audit", "export", "--out", str(out_file))[0] == 0
    lines = out_file.read_text().splitlines()
    lines[1] = lines[1].replace('"usr_2"', '"usr_0"', 1)
    out_file.write_text("\n".join(lines) + "\n")
    vkey = (cli.root / ".readiness" / "checkpoints" / "log.vkey").read_text().strip()
    code, _, err = cli("audit", "verify-export", str(out_file), "--public-key", vkey)
    assert (code, err) == (
        1,
        f"error: {out_file}: NOT verified: row 1 (leaf 5): column actor_id says 'usr_0', "
        "the entry says 'usr_2'\n",
    )


def test_reindex_reads_the_whole_log_again(cli: Cli) -> None:
    assert cli("audit", "reindex")[1] == "indexed 0 leaves of project/audit\n"
    assert cli("audit", "reindex", "--full")[1] == "indexed 6 leaves of project/audit\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("query", "--since", "2026-02-30"),
            "since: '2026-02-30' is not a date (2026-04-10) or a time with a zone "
            "(2026-04-10T14:23:01Z)",
        ),
        (("query", "--limit", "0"), "limit: 0 is out of range; give 1 to 1000"),
        (("query", "--limit", "1001"), "limit: 1001 is out of range; give 1 to 1000"),
        (
            ("query", "--cursor", "zzz"),
            "cursor: 'zzz' is not a cursor this query returned (next_cursor)",
        ),
        (
            ("timeline", "invoice", "inv 1"),
            "target_id: 'inv 1' is not an id or name (1 to 256 letters, digits, _ . : / -)",
        ),
        (
            ("timeline", "invoice", "inv_1", "--as-of", "soon"),
            "as-of: 'soon' is not a date (2026-04-10) or a time with a zone (2026-04-10T14:23:01Z)",
        ),
        (
            ("export", "--format", "xml", "--out", "x"),
            "format: 'xml' is not an export format; give jsonl, csv, parquet",
        ),
        (
            ("export", "--out", "/no/such/dir/x.jsonl"),
            "--out: the folder /no/such/dir does not exist",
        ),
    ],
)
def test_bad_input_is_exit_2_with_one_line(cli: Cli, args: tuple[str, ...], message: str) -> None:
    code, out, err = cli("audit", *args)
    assert (code, out, err) == (2, "", f"error: {message}\n")
