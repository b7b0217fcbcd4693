"""``readiness logs lint -``: the module on stdin, named ``<stdin>`` or ``--stdin-filename``, linted
and reported exactly as the same file on disk would be."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from readiness.cli.main import main

GOLDEN = Path(__file__).parent / "golden"
LEAK = b'import structlog\nlog = structlog.get_logger()\nlog.info("login", email=e)\n'
PRINT = b'print("started")\n'


class Stdin(io.TextIOWrapper):
    """A text stdin over ``data`` whose buffer the command reads."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data), encoding="utf-8")


class BrokenBuffer(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        raise OSError(5, "Input/output error")


class Cli:
    def __init__(
        self, root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        self.root, self.capsys, self.monkeypatch = root, capsys, monkeypatch

    def __call__(self, *args: str, stdin: bytes | io.TextIOWrapper = b"") -> tuple[int, str, str]:
        piped = stdin if isinstance(stdin, io.TextIOWrapper) else Stdin(stdin)
        self.monkeypatch.setattr("sys.stdin", piped)
        self.capsys.readouterr()
        code = main(["-C", str(self.root), "logs", *args])
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def cli(
    project_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Cli:
    return Cli(project_dir, capsys, monkeypatch)


def test_a_leak_on_stdin_is_reported_under_the_name_stdin(cli: Cli) -> None:
    code, out, err = cli("lint", "-", stdin=LEAK)
    assert (code, err) == (1, "")
    assert out == (
        "<stdin>:3:19: error [pii-name]\n"
        "  field 'email' is named like personal data (email) and reaches the log line\n"
        '  3 | log.info("login", email=e)\n'
        "    |                   ^^^^^\n"
        "  fix: log an identifier or a hash instead (user_id, a masked value), or drop it\n"
        "\n"
        "1 finding (1 error) in 1 file\n"
    )


def test_stdin_filename_names_the_source_in_json_findings(cli: Cli) -> None:
    code, out, _ = cli("lint", "-f", "json", "--stdin-filename", "app/auth.py", "-", stdin=LEAK)
    data = json.loads(out)
    assert (code, data["files"], [(f["file"], f["line"]) for f in data["findings"]]) == (
        1,
        1,
        [("app/auth.py", 3)],
    )


def test_stdin_filename_alone_reads_stdin_as_ruff_does(cli: Cli) -> None:
    code, out, _ = cli("lint", "--stdin-filename", "app/auth.py", stdin=LEAK)
    assert (code, out.splitlines()[0]) == (1, "app/auth.py:3:19: error [pii-name]")


def test_an_absolute_stdin_filename_is_shown_relative_to_the_project(
    cli: Cli, project_dir: Path
) -> None:
    name = str(project_dir / "app" / "auth.py")
    code, out, _ = cli("lint", "-f", "github", "--stdin-filename", name, "-", stdin=LEAK)
    assert (code, out.split("::")[1]) == (1, "error file=app/auth.py,line=3,col=19,title=pii-name")


def test_the_stdin_filename_decides_where_print_is_allowed(cli: Cli) -> None:
    service = cli("lint", "--fail-on", "warning", "--stdin-filename", "app/main.py", stdin=PRINT)
    test = cli("lint", "--fail-on", "warning", "--stdin-filename", "tests/test_x.py", stdin=PRINT)
    assert (service[0], service[1].splitlines()[0]) == (1, "app/main.py:1:1: warning [print-call]")
    assert (test[0], test[1]) == (0, "no findings in 1 file\n")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
@pytest.mark.parametrize("golden", sorted(p.name for p in GOLDEN.glob("*.pysrc")))
def test_stdin_output_is_byte_for_byte_the_output_for_the_same_file(
    cli: Cli, project_dir: Path, fmt: str, golden: str
) -> None:
    source = (GOLDEN / golden).read_bytes()
    path = project_dir / "app" / golden.replace(".pysrc", ".py")
    path.parent.mkdir()
    path.write_bytes(source)
    from_file = cli("lint", "-f", fmt, "--fail-on", "info", str(path))
    from_stdin = cli(
        "lint", "-f", fmt, "--fail-on", "info", "--stdin-filename", str(path), "-", stdin=source
    )
    assert from_stdin == from_file


def test_empty_stdin_is_nothing_to_lint_like_a_directory_without_python_files(
    cli: Cli, project_dir: Path
) -> None:
    (project_dir / "empty").mkdir()
    assert cli("lint", "-", stdin=b"") == (0, "no findings in 0 files\n", "")
    assert cli("lint", str(project_dir / "empty")) == (0, "no findings in 0 files\n", "")
    code, out, _ = cli("lint", "-f", "json", "-", stdin=b"")
    assert (code, json.loads(out)) == (
        0,
        {"files": 0, "findings": [], "errors": [], "suppressed": 0},
    )


def test_a_syntax_error_on_stdin_fails_the_run_as_a_file_with_one_does(cli: Cli) -> None:
    code, out, err = cli("lint", "-", stdin=b"def f(:\n")
    assert (code, out, err) == (
        1,
        "<stdin>:1:7: error not valid Python: invalid syntax\n"
        "\n"
        "no findings in 1 file, 1 not linted\n",
        "",
    )


def test_a_nul_byte_on_stdin_is_reported_at_its_position(cli: Cli) -> None:
    code, out, err = cli("lint", "-f", "json", "-", stdin=b"x = 1\ny = 2\0\n")
    assert (code, err, json.loads(out)["errors"]) == (
        1,
        "",
        [{"file": "<stdin>", "line": 2, "column": 6, "reason": "not valid Python: a NUL byte"}],
    )


def test_invalid_utf8_on_stdin_is_reported_as_an_undecodable_file(cli: Cli) -> None:
    code, out, err = cli("lint", "-f", "json", "-", stdin=b"x = '\xff'\n")
    assert (code, err, json.loads(out)["errors"]) == (
        1,
        "",
        [
            {
                "file": "<stdin>",
                "line": 1,
                "column": 1,
                "reason": "cannot be decoded: invalid or missing encoding declaration",
            }
        ],
    )


@pytest.mark.parametrize(
    "source", [b"def f(:\n", b"x = 1\0\n", b"x = '\xff'\n", b"x = 1\ny = 2\nz = '\xff'\n"]
)
@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_broken_source_on_stdin_is_reported_as_the_same_file_on_disk_is(
    cli: Cli, project_dir: Path, source: bytes, fmt: str
) -> None:
    path = project_dir / "broken.py"
    path.write_bytes(source)
    from_file = cli("lint", "-f", fmt, str(path))
    from_stdin = cli("lint", "-f", fmt, "--stdin-filename", str(path), "-", stdin=source)
    assert (from_stdin, from_file[0]) == (from_file, 1)


def test_stdin_with_another_path_exits_2_with_one_line(cli: Cli) -> None:
    assert cli("lint", "-", "src", stdin=LEAK) == (
        2,
        "",
        "error: src: - (or --stdin-filename) lints the source on stdin and takes no other PATH; "
        "run it once for stdin and once for the paths\n",
    )


def test_an_empty_stdin_filename_exits_2_with_one_line(cli: Cli) -> None:
    assert cli("lint", "--stdin-filename", "", "-", stdin=LEAK) == (
        2,
        "",
        "error: --stdin-filename: expected a file name, got an empty one\n",
    )


def test_a_stdin_that_cannot_be_read_exits_2_with_one_line(cli: Cli) -> None:
    broken = io.TextIOWrapper(io.BufferedReader(BrokenBuffer()), encoding="utf-8")
    assert cli("lint", "-", stdin=broken) == (
        2,
        "",
        "error: <stdin>: cannot be read (Input/output error)\n",
    )
