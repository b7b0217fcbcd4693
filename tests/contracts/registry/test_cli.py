"""``readiness contracts schema``: register, check, diff, list, config; exit codes 0/1/2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from readiness.cli.main import main

EXAMPLES = Path(__file__).parents[3] / "examples" / "contracts"


class Cli:
    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.capsys = root, capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main(["-C", str(self.root), "contracts", "schema", *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(
    project_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    shutil.copytree(EXAMPLES, project_dir / "schemas")
    monkeypatch.chdir(project_dir)  # the files are named relative to the working directory
    return Cli(project_dir, capsys)


def test_register_check_diff_list(cli: Cli) -> None:
    assert cli("register", "orders-value", "schemas/orders-v1.json")[:2] == (
        0,
        "orders-value version 1 (schema id 1)\n",
    )
    code, out, _ = cli("register", "orders-value", "schemas/orders-v2.json", "--format", "json")
    assert (code, json.loads(out)) == (
        0,
        {"registered": True, "subject": "orders-value", "version": 2, "id": 2},
    )
    code, out, _ = cli("check", "orders-value", "schemas/orders-v3-breaking.json", "-f", "json")
    result = json.loads(out)
    assert (code, result["compatible"], result["mode"]) == (1, False, "BACKWARD")
    assert [i["kind"] for i in result["incompatibilities"]] == [
        "property_became_required",
        "multipleOf_added",
        "enum_added",
    ]
    code, out, _ = cli("register", "orders-value", "schemas/orders-v3-breaking.json")
    assert code == 1 and out.startswith("refused: Schema being registered is incompatible")
    code, out, _ = cli("diff", "orders-value", "1", "2")
    assert (code, out.splitlines()) == (
        0,
        [
            "orders-value: version 1 -> 2",
            '  + /properties/coupon: {"type": "string"}',
            "  ! breaks FORWARD: property_removed_from_closed_model at #/properties/coupon: "
            "writer data may carry 'coupon', the reader's closed model refuses it",
        ],
    )
    assert cli("list")[:2] == (0, "subject=orders-value  latest=2  compatibility=BACKWARD\n")


def test_avro_and_config(cli: Cli) -> None:
    assert cli("register", "pay-value", "schemas/payment-v1.avsc")[0] == 0
    assert cli("config", "FULL_TRANSITIVE", "--subject", "pay-value")[:2] == (
        0,
        "pay-value: FULL_TRANSITIVE\n",
    )
    assert cli("register", "pay-value", "schemas/payment-v2.avsc")[:2] == (
        1,
        "refused: Schema being registered is incompatible with an earlier schema for subject "
        "'pay-value' (FULL_TRANSITIVE): FORWARD: type_changed at /amount/: long cannot be read "
        "as int; readers of the old schema cannot read data written with the new one (reader: "
        "'int', writer: 'long')\n",
    )
    assert cli("config", "BACKWARD", "--subject", "pay-value")[0] == 0
    assert cli("register", "pay-value", "schemas/payment-v2.avsc")[0] == 0


def test_usage_errors_exit_2_with_one_line(cli: Cli) -> None:
    assert cli("diff", "nope", "1") == (2, "", "error: subject 'nope' not found\n")
    code, _, err = cli("register", "x", "schemas/missing.json")
    assert (code, err) == (2, "error: schemas/missing.json: No such file or directory\n")
    assert cli("config", "SIDEWAYS")[0] == 2
    assert cli("check", "x", "schemas/orders-v1.json", "--type", "xml")[0] == 2
