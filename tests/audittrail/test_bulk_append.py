"""``readiness audit append --bulk FILE``: one transaction, then query and verify as usual."""

from __future__ import annotations

import json
from pathlib import Path

from tests.audit.test_tamper_cli import Cli, event


def test_a_bulk_append_continues_the_log_and_verifies(cli: Cli, project_dir: Path) -> None:
    source = project_dir / "bulk.jsonl"
    source.write_text("".join(json.dumps(event(n)) + "\n" for n in range(10, 510)))

    code, out, err = cli("audit", "append", "--bulk", str(source), "-f", "json")

    assert (code, err) == (0, "")
    assert json.loads(out) == {"appended": 500, "first_index": 10, "size": 510}
    code, out, _ = cli("audit", "query", "--actor", "usr_0509", "-f", "json")
    assert code == 0
    assert [hit["leaf_index"] for hit in json.loads(out)["events"]] == [509]
    assert cli("audit", "checkpoint")[0] == 0
    code, report = cli.verify()
    assert (code, report["verified"], report["size"]) == (0, True, 511)  # + the query's event


def test_a_bulk_append_of_a_bad_line_appends_nothing(cli: Cli, project_dir: Path) -> None:
    source = project_dir / "bad.jsonl"
    source.write_text(json.dumps(event(1)) + "\n{not json\n")

    code, out, err = cli("audit", "append", "--bulk", str(source))

    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert cli.verify()[1]["size"] == 10
