"""``logs scan``: text and JSON reports, exit codes, the redacted copy, gzip, stdin, directories."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.logcheck.cli_scan import register

LOG = (
    '{"level":"info","message":"signup bob@example.com","password":"hunter22"}\n'
    "2025-03-15 payment card 4111 1111 1111 1111 from 203.0.113.42\n"
    "plain line\n"
)
CLEAN = 'nothing to see\n{"level":"info","order":"ord-1"}\n'


class Cli:
    """Runs ``scan`` in a Typer app of its own: exit code, stdout, stderr."""

    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self.app = typer.Typer()
        register(self.app)
        self.app.callback()(lambda: None)  # a group, as in ``readiness logs``
        self.capsys = capsys

    def __call__(self, *args: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        command = typer.main.get_command(self.app)
        code = command.main(["scan", *args], standalone_mode=False)
        out, err = self.capsys.readouterr()
        return int(code or 0), out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(capsys)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "app.log"
    path.write_text(LOG, encoding="utf-8")
    return path


def test_text_report_lists_each_finding_then_the_counts_and_exits_1(cli: Cli, log: Path) -> None:
    code, out, err = cli(str(log))
    assert (code, err) == (1, "")
    assert out == (
        f"{log}:1: email bo***********om key=message\n"
        f"{log}:1: key ******** key=password\n"
        f"{log}:2: card 41***************11\n"
        f"{log}:2: ip 20********42\n"
        "4 findings in 3 lines: card 1, email 1, ip 1, key 1\n"
    )


def test_json_report_has_counts_and_findings_with_file_line_type_sample_and_key(
    cli: Cli, log: Path
) -> None:
    code, out, _ = cli(str(log), "--format", "json")
    assert code == 1
    assert json.loads(out) == {
        "counts": {"card": 1, "email": 1, "ip": 1, "key": 1},
        "findings": [
            {"file": str(log), "line": 1, "type": "email", "sample": "bo***********om",
             "key": "message"},
            {"file": str(log), "line": 1, "type": "key", "sample": "********", "key": "password"},
            {"file": str(log), "line": 2, "type": "card", "sample": "41***************11"},
            {"file": str(log), "line": 2, "type": "ip", "sample": "20********42"},
        ],
        "lines": 3,
        "truncated": False,
    }  # fmt: skip


def test_a_clean_log_exits_0(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "clean.log").write_text(CLEAN, encoding="utf-8")
    assert cli(str(tmp_path / "clean.log")) == (0, "no findings in 2 lines\n", "")


def test_the_redacted_copy_is_written_and_clean_lines_are_kept_as_they_were(
    cli: Cli, log: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "app.redacted.log"
    code, _, _ = cli(str(log), "--redact-to", str(target), "-f", "json")
    assert code == 1
    assert target.read_text(encoding="utf-8") == (
        '{"level":"info","message":"signup [EMAIL]","password":"[REDACTED]"}\n'
        "2025-03-15 payment card [CARD] from 203.0.113.0/24\n"
        "plain line\n"
    )
    assert sorted(p.name for p in target.parent.iterdir()) == ["app.redacted.log"]


def test_gzip_logs_are_read_and_a_gz_target_is_compressed(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "app.log.gz"
    source.write_bytes(gzip.compress(LOG.encode()))
    target = tmp_path / "copy.log.gz"
    code, out, _ = cli(str(source), "--redact-to", str(target), "--types", "email")
    assert (code, out) == (1, f"{source}:1: email bo***********om key=message\n"
                              "1 findings in 3 lines: email 1\n")  # fmt: skip
    assert gzip.decompress(target.read_bytes()).decode() == (
        '{"level":"info","message":"signup [EMAIL]","password":"hunter22"}\n'
        "2025-03-15 payment card 4111 1111 1111 1111 from 203.0.113.42\n"
        "plain line\n"
    )


def test_stdin_is_read_when_the_path_is_a_dash(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BufferedReader(io.BytesIO(b"from 203.0.113.42\n")))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert cli("-") == (1, "-:1: ip 20********42\n1 findings in 1 lines: ip 1\n", "")


def test_a_directory_is_scanned_recursively_in_name_order_without_dot_files(
    cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "two.log").write_text("x\nmail a@example.com\n", encoding="utf-8")
    (tmp_path / "a.log").write_text("call (415) 555-0132\n", encoding="utf-8")
    (tmp_path / ".hidden.log").write_text("mail c@example.com\n", encoding="utf-8")
    code, out, _ = cli(str(tmp_path))
    assert (code, out) == (1, f"{tmp_path / 'a.log'}:1: phone (4**********32\n"
                              f"{tmp_path / 'b' / 'two.log'}:2: email a@*********om\n"
                              "2 findings in 3 lines: email 1, phone 1\n")  # fmt: skip


def test_max_findings_caps_the_list_and_says_so(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "many.log"
    path.write_text("".join(f"u{i}@example.com\n" for i in range(3)), encoding="utf-8")
    code, out, _ = cli(str(path), "--max-findings", "1")
    assert (code, out) == (1, f"{path}:1: email u0**********om\n"
                              "(the first 1 findings of 3 shown)\n"
                              "3 findings in 3 lines: email 3\n")  # fmt: skip


def test_a_missing_file_exits_2_with_one_line(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope.log"
    assert cli(str(missing)) == (2, "", f"error: {missing}: no such file or directory\n")


def test_a_broken_gzip_file_exits_2_and_leaves_no_copy(cli: Cli, tmp_path: Path) -> None:
    broken = tmp_path / "broken.log.gz"
    broken.write_bytes(gzip.compress(LOG.encode())[:30])
    target = tmp_path / "copy.log"
    code, out, err = cli(str(broken), "--redact-to", str(target))
    assert (code, out) == (2, "")
    assert err == (
        f"error: {broken}: Compressed file ended before the end-of-stream marker was reached\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.log.gz"]


def test_an_unknown_type_or_format_exits_2_naming_the_choices(cli: Cli, log: Path) -> None:
    assert cli(str(log), "--types", "email,passport") == (
        2, "", "error: --types: unknown type 'passport': expected a comma-separated list of "
        "api_key, bearer, card, email, iban, ip, jwt, key, phone, secret, ssn\n",
    )  # fmt: skip
    assert cli(str(log), "--format", "xml") == (
        2, "", "error: --format xml: expected one of text, json\n"
    )  # fmt: skip


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300))
def test_any_bytes_scan_and_a_copy_without_findings_equals_the_input(
    cli: Cli, tmp_path: Path, data: bytes
) -> None:
    source, target = tmp_path / "fuzz.log", tmp_path / "fuzz.copy"
    source.write_bytes(data)
    code, out, err = cli(str(source), "--redact-to", str(target), "-f", "json")
    if data.startswith(b"\x1f\x8b") and code == 2:  # gzip magic, then not gzip: unreadable
        assert (out, err.count("\n"), err.startswith(f"error: {source}: ")) == ("", 1, True)
        return
    assert (code in (0, 1), err) == (True, "")
    lines = data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)
    assert json.loads(out)["lines"] == lines
    if code == 0 and b"\r" not in data and not data.startswith(b"\x1f\x8b"):
        assert target.read_bytes() == (data if not data or data.endswith(b"\n") else data + b"\n")
